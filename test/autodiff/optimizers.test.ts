/**
 * Optimizers and gradient clipping, run for several steps in ONNX Runtime (state fed back) and
 * compared with plain float64 TypeScript implementations of the PyTorch algorithms.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { emptyGraph, type Graph } from '../../src/onnx/ir.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { encodeModel } from '../../src/onnx/io.js';
import { tensor, type DType, type Tensor } from '../../src/onnx/tensor.js';
import { Rng } from '../../src/util/rng.js';
import {
  resolveOptimizer,
  clipGradNorm,
  clipGradValue,
  OPTIMIZERS,
  type OptimizerSpec,
} from '../../src/autodiff/optimizers/index.js';
import { ConfigError } from '../../src/config/errors.js';

// ---------------------------------------------------------------- float64 references (PyTorch)

type State = Record<string, Float64Array>;
interface RefParam {
  p: Float64Array;
  state: State;
  lrScale: number;
  wd?: number;
}

/** One PyTorch step for one parameter; mutates p and state. */
type RefStep = (o: Record<string, any>, x: RefParam, g: Float64Array, step: number, lr: number) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

const zeros = (n: number) => new Float64Array(n);
function st(x: RefParam, key: string, n: number, init = 0): Float64Array {
  if (!x.state[key]) x.state[key] = zeros(n).fill(init);
  return x.state[key];
}

const refSgd: RefStep = (o, x, g0, step, lr0) => {
  const { momentum = 0, dampening = 0, nesterov = false } = o;
  const wd = x.wd ?? o.weight_decay ?? 0;
  const lr = lr0 * x.lrScale;
  const n = x.p.length;
  const buf = momentum ? st(x, 'momentum_buffer', n) : undefined;
  for (let i = 0; i < n; i++) {
    let g = g0[i] + wd * x.p[i];
    if (buf) {
      buf[i] = step === 1 ? g : momentum * buf[i] + (1 - dampening) * g;
      g = nesterov ? g + momentum * buf[i] : buf[i];
    }
    x.p[i] -= lr * g;
  }
};

function refAdamLike(decoupled: boolean): RefStep {
  return (o, x, g0, step, lr0) => {
    const [b1, b2] = o.betas ?? [0.9, 0.999];
    const eps = o.eps ?? 1e-8;
    const wd = x.wd ?? o.weight_decay ?? (decoupled ? 1e-2 : 0);
    const lr = lr0 * x.lrScale;
    const n = x.p.length;
    const m = st(x, 'exp_avg', n);
    const v = st(x, 'exp_avg_sq', n);
    const vmax = o.amsgrad ? st(x, 'max_exp_avg_sq', n) : undefined;
    const bc1 = 1 - b1 ** step;
    const bc2 = 1 - b2 ** step;
    for (let i = 0; i < n; i++) {
      let g = g0[i];
      if (decoupled) x.p[i] *= 1 - lr * wd;
      else g += wd * x.p[i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      let second = v[i];
      if (vmax) {
        vmax[i] = Math.max(vmax[i], v[i]);
        second = vmax[i];
      }
      const denom = Math.sqrt(second) / Math.sqrt(bc2) + eps;
      x.p[i] -= ((lr / bc1) * m[i]) / denom;
    }
  };
}

const refRmsprop: RefStep = (o, x, g0, _step, lr0) => {
  const { alpha = 0.99, eps = 1e-8, momentum = 0, centered = false } = o;
  const wd = x.wd ?? o.weight_decay ?? 0;
  const lr = lr0 * x.lrScale;
  const n = x.p.length;
  const sq = st(x, 'square_avg', n);
  const ga = centered ? st(x, 'grad_avg', n) : undefined;
  const buf = momentum > 0 ? st(x, 'momentum_buffer', n) : undefined;
  for (let i = 0; i < n; i++) {
    const g = g0[i] + wd * x.p[i];
    sq[i] = alpha * sq[i] + (1 - alpha) * g * g;
    let avg: number;
    if (ga) {
      ga[i] = alpha * ga[i] + (1 - alpha) * g;
      avg = Math.sqrt(sq[i] - ga[i] * ga[i]);
    } else avg = Math.sqrt(sq[i]);
    avg += eps;
    if (buf) {
      buf[i] = momentum * buf[i] + g / avg;
      x.p[i] -= lr * buf[i];
    } else x.p[i] -= (lr * g) / avg;
  }
};

const refAdagrad: RefStep = (o, x, g0, step, lr0) => {
  const { lr_decay = 0, initial_accumulator_value = 0, eps = 1e-10 } = o;
  const wd = x.wd ?? o.weight_decay ?? 0;
  const n = x.p.length;
  const sum = st(x, 'sum', n, initial_accumulator_value);
  const clr = (lr0 * x.lrScale) / (1 + (step - 1) * lr_decay);
  for (let i = 0; i < n; i++) {
    const g = g0[i] + wd * x.p[i];
    sum[i] += g * g;
    x.p[i] -= (clr * g) / (Math.sqrt(sum[i]) + eps);
  }
};

const REFS: Record<string, RefStep> = {
  sgd: refSgd,
  adam: refAdamLike(false),
  adamw: refAdamLike(true),
  rmsprop: refRmsprop,
  adagrad: refAdagrad,
};

// ---------------------------------------------------------------- ORT harness

function ortTensor(t: Tensor): ort.Tensor {
  return new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, t.dims);
}

async function session(graph: Graph): Promise<ort.InferenceSession> {
  const model = {
    irVersion: 8,
    opset: new Map([['', 18]]),
    producerName: 'gymnos-test',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    graph,
  };
  return ort.InferenceSession.create(encodeModel(model), { intraOpNumThreads: 1 });
}

interface ParamCase {
  shape: number[];
  lrScale?: number;
  weightDecay?: number;
}

const PARAMS: ParamCase[] = [
  { shape: [3, 4] },
  { shape: [5], lrScale: 0.5, weightDecay: 0.02 },
  { shape: [2, 3], weightDecay: 0 },
];

function relDiff(a: number, b: number, floor = 1e-3): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), floor);
}

/** Root mean square: float32 rounding scales with a tensor's magnitude, so small elements are judged against it. */
function rms(x: Float64Array): number {
  return Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
}

/** Runs `spec` for `steps` steps in ORT and in the reference; returns the worst relative difference. */
async function compare(spec: OptimizerSpec, dtype: DType, steps = 6, seed = 3): Promise<number> {
  const rng = new Rng(seed);
  const opt = resolveOptimizer(spec);
  const g = emptyGraph('opt');
  const b = new GraphBuilder(g, 'opt');
  g.inputs.push({ name: 'lr', dtype: 'float32', shape: [] }, { name: 'step', dtype: 'int64', shape: [] });
  const feeds: Record<string, Tensor> = {};
  const carry: Array<{ input: string; output: string }> = [];
  const refs: RefParam[] = [];
  const stateKeys: string[][] = [];
  PARAMS.forEach((pc, k) => {
    const n = pc.shape.reduce((a, d) => a * d, 1);
    const init = Array.from({ length: n }, () => rng.uniform(-1, 1));
    const p = `p${k}`;
    const gr = `g${k}`;
    g.inputs.push({ name: p, dtype, shape: pc.shape }, { name: gr, dtype, shape: pc.shape });
    feeds[p] = tensor(dtype, pc.shape, init);
    const out = opt.build(
      b,
      { param: p, grad: gr, shape: pc.shape, dtype, lrScale: pc.lrScale, weightDecay: pc.weightDecay },
      { lr: 'lr', step: 'step', prefix: `opt/${p}` },
    );
    g.outputs.push({ name: out.newParam, dtype, shape: pc.shape });
    carry.push({ input: p, output: out.newParam });
    for (const s of out.state) {
      g.inputs.push({ name: s.name, dtype, shape: s.init.dims });
      g.outputs.push({ name: s.next, dtype, shape: s.init.dims });
      feeds[s.name] = s.init;
      carry.push({ input: s.name, output: s.next });
    }
    stateKeys.push(out.state.map((s) => s.key));
    refs.push({
      p: Float64Array.from(feeds[p].data as Float32Array),
      state: {},
      lrScale: pc.lrScale ?? 1,
      wd: pc.weightDecay,
    });
  });
  const sess = await session(g);
  let worst = 0;
  try {
    for (let step = 1; step <= steps; step++) {
      const lr = ((spec.lr as number | undefined) ?? opt.options.lr) * (1 + 0.3 * Math.sin(step));
      const scale = step % 2 ? 1 : 0.05; // varying magnitudes exercise AMSGrad's max
      const ortFeeds: Record<string, ort.Tensor> = {
        lr: new ort.Tensor('float32', Float32Array.of(lr), []),
        step: new ort.Tensor('int64', BigInt64Array.of(BigInt(step)), []),
      };
      for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = ortTensor(v);
      PARAMS.forEach((pc, k) => {
        const n = pc.shape.reduce((a, d) => a * d, 1);
        const grad = tensor(
          dtype,
          pc.shape,
          Array.from({ length: n }, () => scale * rng.uniform(-1, 1)),
        );
        ortFeeds[`g${k}`] = ortTensor(grad);
        const lrUsed = Math.fround(lr); // the lr input is float32 whatever the parameter type
        REFS[opt.type](spec, refs[k], Float64Array.from(grad.data as Float32Array), step, lrUsed);
      });
      const out = await sess.run(ortFeeds);
      for (const c of carry) {
        const t = out[c.output];
        feeds[c.input] = tensor(dtype, [...t.dims], t.data as Float32Array);
      }
      refs.forEach((r, k) => {
        const check = (name: string, want: Float64Array) => {
          const got = feeds[name].data as Float32Array;
          assert.equal(got.length, want.length, name);
          const floor = Math.max(rms(want), 1e-3);
          for (let i = 0; i < want.length; i++) worst = Math.max(worst, relDiff(got[i], want[i], floor));
        };
        check(`p${k}`, r.p);
        for (const key of stateKeys[k]) check(`opt/p${k}/${key}`, r.state[key]);
        assert.deepEqual(Object.keys(r.state).sort(), [...stateKeys[k]].sort(), `state keys of p${k}`);
      });
    }
  } finally {
    await sess.release();
  }
  return worst;
}

const CASES: OptimizerSpec[] = [
  { type: 'sgd', lr: 0.1 },
  { type: 'sgd', lr: 0.1, weight_decay: 0.1 },
  { type: 'sgd', lr: 0.1, momentum: 0.9 },
  { type: 'sgd', lr: 0.1, momentum: 0.9, dampening: 0.3 },
  { type: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true },
  { type: 'sgd', lr: 0.05, momentum: 0.8, nesterov: true, weight_decay: 0.01 },
  { type: 'adam', lr: 0.01 },
  { type: 'adam', lr: 0.01, betas: [0.8, 0.99], eps: 1e-3 },
  { type: 'adam', lr: 0.01, weight_decay: 0.05 },
  { type: 'adam', lr: 0.01, amsgrad: true },
  { type: 'adam', lr: 0.01, amsgrad: true, weight_decay: 0.05, eps: 1e-4 },
  { type: 'adamw', lr: 0.01 },
  { type: 'adamw', lr: 0.01, weight_decay: 0.1, amsgrad: true },
  { type: 'adamw', lr: 0.01, weight_decay: 0, betas: [0.5, 0.9] },
  { type: 'rmsprop', lr: 0.01 },
  { type: 'rmsprop', lr: 0.01, centered: true },
  { type: 'rmsprop', lr: 0.01, momentum: 0.9 },
  { type: 'rmsprop', lr: 0.01, centered: true, momentum: 0.5, weight_decay: 0.01, alpha: 0.9, eps: 1e-4 },
  { type: 'adagrad', lr: 0.1 },
  { type: 'adagrad', lr: 0.1, lr_decay: 0.1, initial_accumulator_value: 0.1, weight_decay: 0.05, eps: 1e-6 },
];

for (const spec of CASES) {
  const label = JSON.stringify(spec);
  test(`optimizer ${label}: ORT float64 matches the PyTorch algorithm over 6 steps`, async () => {
    const worst = await compare(spec, 'float64');
    if (process.env.GYMNOS_TEST_VERBOSE) console.log(`${label} float64 worst ${worst}`);
    assert.ok(worst < 1e-12, `worst relative difference ${worst}`);
  });
  test(`optimizer ${label}: ORT float32 matches the float64 algorithm over 6 steps`, async () => {
    const worst = await compare(spec, 'float32');
    if (process.env.GYMNOS_TEST_VERBOSE) console.log(`${label} float32 worst ${worst}`);
    assert.ok(worst < 2e-6, `worst relative difference ${worst}`);
  });
}

test('every registered optimizer has a test case', () => {
  for (const name of OPTIMIZERS.types())
    assert.ok(
      CASES.some((c) => c.type === name),
      name,
    );
});

test('the float64 check can fail: a wrong reference is caught', async () => {
  const saved = REFS.adam;
  REFS.adam = refAdamLike(true); // AdamW's decoupled decay instead of Adam's L2
  try {
    const worst = await compare({ type: 'adam', lr: 0.01, weight_decay: 0.05 }, 'float64');
    assert.ok(worst > 1e-6, `expected a visible difference, got ${worst}`);
  } finally {
    REFS.adam = saved;
  }
});

test('bias-correction scalars are shared between parameters', () => {
  const g = emptyGraph('opt');
  const b = new GraphBuilder(g, 'opt');
  const opt = resolveOptimizer({ type: 'adam' });
  for (const p of ['a', 'b', 'c'])
    opt.build(b, { param: p, grad: `d${p}`, shape: [2], dtype: 'float32' }, { lr: 'lr', step: 'step', prefix: p });
  assert.equal(g.nodes.filter((n) => n.opType === 'Pow').length, 2);
  assert.equal(g.nodes.filter((n) => n.opType === 'Cast' && n.inputs[0] === 'step').length, 1);
});

test('optimizer options are validated with the key and the remedy', () => {
  assert.throws(
    () => resolveOptimizer({ type: 'adamm' }),
    /expected one of 'sgd', 'adam', 'adamw', 'rmsprop', 'adagrad' \(did you mean 'adam'\?\) for optimizer.type but got 'adamm'/,
  );
  assert.throws(
    () => resolveOptimizer({ type: 'adam', beta1: 0.9 }),
    /unknown key optimizer.beta1 \(did you mean 'betas'\?\); valid keys of optimizer: type, lr, betas, eps, weight_decay, amsgrad/,
  );
  assert.throws(
    () => resolveOptimizer({ type: 'sgd', nesterov: true }),
    /expected false unless momentum > 0 and dampening = 0 .* for optimizer.nesterov but got true/,
  );
  assert.throws(() => resolveOptimizer({ type: 'adam', betas: [0.9, 1] }), /expected two numbers in \[0, 1\)/);
  assert.throws(
    () => resolveOptimizer({ type: 'rmsprop', lr: -1 }),
    (e: unknown) => e instanceof ConfigError && /optimizer.lr but got -1/.test(e.message),
  );
  assert.equal(resolveOptimizer({ type: 'adamw' }).options.weightDecay, 0.01);
  assert.equal(resolveOptimizer({ type: 'adam' }).options.weightDecay, 0);
  const opt = resolveOptimizer({ type: 'sgd' });
  assert.throws(
    () =>
      opt.build(
        new GraphBuilder(emptyGraph()),
        { param: 'p', grad: 'g', shape: [1], dtype: 'float16' },
        { lr: 'lr', step: 'step', prefix: 'p' },
      ),
    /float32 or float64/,
  );
});

// ---------------------------------------------------------------- clipping

async function runClip(
  maxNorm: number | undefined,
  clipValue: number | undefined,
  grads: Tensor[],
): Promise<{ out: Float32Array[]; norm?: number }> {
  const g = emptyGraph('clip');
  const b = new GraphBuilder(g, 'clip');
  const names = grads.map((t, i) => {
    g.inputs.push({ name: `g${i}`, dtype: t.dtype, shape: t.dims });
    return { name: `g${i}`, dtype: t.dtype, shape: t.dims };
  });
  let outs = names.map((n) => n.name);
  let norm: string | undefined;
  if (maxNorm !== undefined) {
    const r = clipGradNorm(b, names, maxNorm);
    outs = r.grads;
    norm = r.totalNorm;
  }
  if (clipValue !== undefined)
    outs = clipGradValue(
      b,
      outs.map((name, i) => ({ name, dtype: grads[i].dtype })),
      clipValue,
    );
  g.outputs = outs.map((o, i) => ({ name: o, dtype: grads[i].dtype, shape: grads[i].dims }));
  if (norm) g.outputs.push({ name: norm, dtype: 'float32', shape: [] });
  const sess = await session(g);
  try {
    const res = await sess.run(Object.fromEntries(grads.map((t, i) => [`g${i}`, ortTensor(t)])));
    outs.forEach((o, i) => assert.deepEqual([...res[o].dims], grads[i].dims, `shape of clipped gradient ${i}`));
    return {
      out: outs.map((o) => res[o].data as Float32Array),
      norm: norm ? (res[norm].data as Float32Array)[0] : undefined,
    };
  } finally {
    await sess.release();
  }
}

function clipRef(grads: Float64Array[], maxNorm: number): { out: Float64Array[]; norm: number } {
  const norm = Math.sqrt(grads.reduce((s, g) => s + g.reduce((a, x) => a + x * x, 0), 0));
  const scale = Math.min(1, maxNorm / (norm + 1e-6));
  return { out: grads.map((g) => g.map((x) => x * scale)), norm };
}

for (const maxNorm of [0.5, 100]) {
  test(`clipGradNorm(max_norm ${maxNorm}) matches torch.nn.utils.clip_grad_norm_`, async () => {
    const rng = new Rng(11);
    const grads = [[3, 4], [7], [2, 2, 2], [4, 1, 1]].map((d) =>
      tensor(
        'float32',
        d,
        Array.from({ length: d.reduce((a, x) => a * x, 1) }, () => rng.uniform(-2, 2)),
      ),
    );
    const ref = clipRef(
      grads.map((t) => Float64Array.from(t.data as Float32Array)),
      maxNorm,
    );
    const got = await runClip(maxNorm, undefined, grads);
    assert.ok(relDiff(got.norm!, ref.norm) < 1e-6, `norm ${got.norm} vs ${ref.norm}`);
    got.out.forEach((o, k) =>
      o.forEach((x, i) => assert.ok(relDiff(x, ref.out[k][i]) < 1e-6, `grad ${k}[${i}]: ${x} vs ${ref.out[k][i]}`)),
    );
    const clippedNorm = Math.sqrt(got.out.reduce((s, g) => s + g.reduce((a, x) => a + x * x, 0), 0));
    if (maxNorm < ref.norm) assert.ok(Math.abs(clippedNorm - maxNorm) < 1e-5, `clipped norm ${clippedNorm}`);
    else got.out.forEach((o, k) => assert.deepEqual(o, grads[k].data));
  });
}

test('clipGradValue clamps elementwise, after norm clipping when both are set', async () => {
  const rng = new Rng(12);
  const grads = [
    tensor(
      'float32',
      [10],
      Array.from({ length: 10 }, () => rng.uniform(-3, 3)),
    ),
    tensor('float32', [2, 2], [0.05, -0.05, 5, -5]),
  ];
  const ref = clipRef(
    grads.map((t) => Float64Array.from(t.data as Float32Array)),
    4,
  );
  const got = await runClip(4, 0.3, grads);
  got.out.forEach((o, k) =>
    o.forEach((x, i) => {
      const want = Math.min(0.3, Math.max(-0.3, ref.out[k][i]));
      assert.ok(Math.abs(x - want) < 1e-6, `grad ${k}[${i}]: ${x} vs ${want}`);
    }),
  );
  const only = await runClip(undefined, 1, grads);
  only.out.forEach((o, k) =>
    o.forEach((x, i) => assert.equal(x, Math.fround(Math.min(1, Math.max(-1, (grads[k].data as Float32Array)[i]))))),
  );
  assert.throws(() => clipGradValue(new GraphBuilder(emptyGraph()), [], 0), /clip_value but got 0/);
  assert.throws(
    () => clipGradNorm(new GraphBuilder(emptyGraph()), [{ name: 'g', dtype: 'float32' }], -1),
    /max_norm but got -1/,
  );
});
