/**
 * Losses: values against plain float64 TypeScript implementations of the PyTorch formulas (through
 * the float64 reference interpreter and through ONNX Runtime in float32), gradients against finite
 * differences (float64) and in ONNX Runtime (float32), and symbolic-batch graphs run at two sizes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { emptyGraph, type Dim, type Graph } from '../../src/onnx/ir.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { encodeModel } from '../../src/onnx/io.js';
import { inferShapes } from '../../src/onnx/shapes/infer.js';
import { evaluateGraph } from '../../src/onnx/reference/interpreter.js';
import { differentiate } from '../../src/autodiff/engine.js';
import { relError } from '../../src/autodiff/gradcheck.js';
import { sizeOf, tensor, type Tensor } from '../../src/onnx/tensor.js';
import { Rng } from '../../src/util/rng.js';
import { buildLoss, validateLoss, LOSSES, type LossSpec } from '../../src/autodiff/losses/index.js';
import { ConfigError } from '../../src/config/errors.js';
import { checkGradient, OPSET } from './helpers.js';

// ---------------------------------------------------------------- float64 references (PyTorch)

type Ref = (spec: LossSpec, x: Float64Array, shape: number[], y: Float64Array) => number;
const softplus = (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
const reduce = (spec: LossSpec, terms: number[]) => {
  const s = terms.reduce((a, b) => a + b, 0);
  return spec.reduction === 'sum' ? s : s / terms.length;
};
const lastAxis = (v: number | number[] | undefined, i: number, last: number) =>
  v === undefined ? undefined : typeof v === 'number' ? v : v[i % last];

const refCrossEntropy: Ref = (spec, x, shape, y) => {
  const [N, C] = shape;
  const S = sizeOf(shape.slice(2));
  const eps = (spec.label_smoothing as number | undefined) ?? 0;
  const w = spec.weight as number[] | undefined;
  const wc = (c: number) => (w ? w[c] : 1);
  const ignore = spec.ignore_index === undefined ? -100 : (spec.ignore_index as number | null);
  const soft = spec.labels === 'probabilities';
  let nll = 0;
  let smooth = 0;
  let den = 0;
  let positions = 0;
  for (let n = 0; n < N; n++) {
    for (let s = 0; s < S; s++) {
      const at = (c: number) => (n * C + c) * S + s;
      let mx = -Infinity;
      for (let c = 0; c < C; c++) mx = Math.max(mx, x[at(c)]);
      let z = 0;
      for (let c = 0; c < C; c++) z += Math.exp(x[at(c)] - mx);
      const logp = (c: number) => x[at(c)] - mx - Math.log(z);
      positions++;
      if (soft) {
        for (let c = 0; c < C; c++) nll -= wc(c) * (y[at(c)] * (1 - eps) + eps / C) * logp(c);
        continue;
      }
      const t = y[n * S + s];
      if (ignore !== null && t === ignore) continue;
      nll -= wc(t) * logp(t);
      for (let c = 0; c < C; c++) smooth -= wc(c) * logp(c);
      den += wc(t);
    }
  }
  if (soft) return spec.reduction === 'sum' ? nll : nll / positions;
  // PyTorch: nll_loss and the smoothing term are both normalized by sum of target weights (mean)
  const norm = spec.reduction === 'sum' ? 1 : den;
  return ((1 - eps) * nll + (eps / C) * smooth) / norm;
};

const refBce: Ref = (spec, x, shape, y) => {
  const last = shape[shape.length - 1];
  return reduce(
    spec,
    [...x].map((v, i) => {
      const p = lastAxis(spec.pos_weight as number | number[] | undefined, i, last) ?? 1;
      const w = lastAxis(spec.weight as number | number[] | undefined, i, last) ?? 1;
      return w * ((1 - y[i]) * v + (1 + (p - 1) * y[i]) * softplus(-v));
    }),
  );
};

const refMse: Ref = (spec, x, _s, y) =>
  reduce(
    spec,
    [...x].map((v, i) => (v - y[i]) ** 2),
  );
const refL1: Ref = (spec, x, _s, y) =>
  reduce(
    spec,
    [...x].map((v, i) => Math.abs(v - y[i])),
  );
const refHuber: Ref = (spec, x, _s, y) => {
  const delta = (spec.delta as number | undefined) ?? 1;
  return reduce(
    spec,
    [...x].map((v, i) => {
      const d = Math.abs(v - y[i]);
      return d < delta ? 0.5 * d * d : delta * (d - 0.5 * delta);
    }),
  );
};

/** torch.nn.functional.cosine_embedding_loss(x, t, ones(N)): 1 - x.t / sqrt((|x|^2 + 1e-12)(|t|^2 + 1e-12)) per row. */
const refCosine: Ref = (spec, x, shape, y) => {
  const D = shape[shape.length - 1];
  const terms: number[] = [];
  for (let r = 0; r < x.length / D; r++) {
    let dot = 0;
    let xx = 0;
    let tt = 0;
    for (let j = r * D; j < (r + 1) * D; j++) {
      dot += x[j] * y[j];
      xx += x[j] * x[j];
      tt += y[j] * y[j];
    }
    terms.push(1 - dot / Math.sqrt((xx + 1e-12) * (tt + 1e-12)));
  }
  return reduce(spec, terms);
};

const REFS: Record<string, Ref> = {
  softmax_cross_entropy: refCrossEntropy,
  binary_cross_entropy_with_logits: refBce,
  mse: refMse,
  l1: refL1,
  huber: refHuber,
  cosine_embedding: refCosine,
};

// ---------------------------------------------------------------- harness

interface Case {
  spec: LossSpec;
  shape: number[];
  /** Labels as numbers (class indices, or floats for the other losses). */
  labels: (rng: Rng, shape: number[]) => number[];
  /** Logit range (default [-3, 3]). */
  range?: [number, number];
  /** Float64 gradient-check tolerance (finite differences lose digits on large losses). */
  tol?: number;
}

/** The loss alone, on a `pred` input; float64 keeps constants (1 - e, e / C) exact for value checks. */
function lossGraph(spec: LossSpec, shape: Dim[], dtype: 'float32' | 'float64' = 'float32') {
  const g = emptyGraph('loss');
  g.inputs.push({ name: 'pred', dtype, shape });
  const lb = buildLoss(new GraphBuilder(g, 'loss'), validateLoss(spec), 'pred', shape, dtype, 'label');
  g.inputs.push(lb.labelInput);
  g.outputs = [{ name: lb.loss, dtype, shape: [] }];
  return { graph: g, build: lb };
}

async function ortRun(
  graph: Graph,
  feeds: Record<string, Tensor>,
  outputs: string[],
): Promise<Record<string, ort.Tensor>> {
  const model = {
    irVersion: 8,
    opset: new Map([['', OPSET]]),
    producerName: 'gymnos-test',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    graph: { ...graph, outputs: outputs.map((name) => ({ name, dtype: 'float32' as const })) },
  };
  const sess = await ort.InferenceSession.create(encodeModel(model), { intraOpNumThreads: 1 });
  try {
    const f: Record<string, ort.Tensor> = {};
    for (const name of sess.inputNames) {
      const t = feeds[name];
      f[name] =
        t.dtype === 'float64'
          ? new ort.Tensor('float32', Float32Array.from(t.data as Float64Array), t.dims)
          : new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, t.dims);
    }
    return await sess.run(f);
  } finally {
    await sess.release();
  }
}

function makeFeeds(c: Case, rng: Rng, labelInfo: { dtype: string; shape?: Dim[] }, shape: number[]) {
  const [lo, hi] = c.range ?? [-3, 3];
  const pred = tensor(
    'float32',
    shape,
    Array.from({ length: sizeOf(shape) }, () => rng.uniform(lo, hi)),
  );
  const labelShape = labelInfo.shape!.map((d, i) => (typeof d === 'number' ? d : shape[i]));
  const label = tensor(labelInfo.dtype as 'int64', labelShape, c.labels(rng, labelShape));
  return { pred, label };
}

const f64 = (t: { data: unknown }) => Float64Array.from(t.data as ArrayLike<number>, Number);

async function checkCase(c: Case, seed: number) {
  const rng = new Rng(seed);
  const { graph, build } = lossGraph(c.spec, c.shape);
  const feeds = makeFeeds(c, rng, build.labelInput, c.shape);
  const want = REFS[c.spec.type](c.spec, f64(feeds.pred), c.shape, f64(feeds.label));
  // value: float64 reference interpreter (float64 graph) and ORT float32
  const g64 = lossGraph(c.spec, c.shape, 'float64');
  const ref = f64(evaluateGraph(g64.graph, feeds, { opset: OPSET })[g64.build.loss])[0];
  assert.ok(
    Math.abs(ref - want) <= 1e-12 * Math.max(1, Math.abs(want)),
    `float64 loss ${ref}, PyTorch formula ${want}`,
  );
  const got = (await ortRun(graph, feeds, [build.loss]))[build.loss].data as Float32Array;
  assert.ok(relError(got[0], want) < 1e-5, `ORT float32 loss ${got[0]}, PyTorch formula ${want}`);
  // gradient: float64 finite differences and ORT float32
  await checkGradient({ graph, feeds, params: ['pred'], output: build.loss }, { seed, maxElements: 24, tol: c.tol });
  return { graph, build, feeds, want };
}

// ---------------------------------------------------------------- cases

const classes =
  (C: number, ignore?: number, pIgnore = 0.25) =>
  (rng: Rng, shape: number[]) =>
    Array.from({ length: sizeOf(shape) }, () => (ignore !== undefined && rng.next() < pIgnore ? ignore : rng.int(C)));
const probabilities = (rng: Rng, shape: number[]) => {
  // a distribution over axis 1 at every position
  const [N, C] = shape;
  const S = sizeOf(shape.slice(2));
  const out = Array.from({ length: sizeOf(shape) }, () => rng.uniform(0, 1));
  for (let n = 0; n < N; n++)
    for (let s = 0; s < S; s++) {
      let z = 0;
      for (let c = 0; c < C; c++) z += out[(n * C + c) * S + s];
      for (let c = 0; c < C; c++) out[(n * C + c) * S + s] /= z;
    }
  return out;
};
const uniform = (lo: number, hi: number) => (rng: Rng, shape: number[]) =>
  Array.from({ length: sizeOf(shape) }, () => rng.uniform(lo, hi));
const bits = (rng: Rng, shape: number[]) => Array.from({ length: sizeOf(shape) }, () => (rng.next() < 0.5 ? 0 : 1));

const W5 = [0.5, 2, 1, 0.25, 3];
const CE = 'softmax_cross_entropy';
const CASES: Case[] = [
  { spec: { type: CE }, shape: [6, 5], labels: classes(5) },
  { spec: { type: CE }, shape: [8, 5], labels: classes(5, -100) },
  { spec: { type: CE, reduction: 'sum' }, shape: [8, 5], labels: classes(5, -100) },
  { spec: { type: CE, ignore_index: null }, shape: [6, 5], labels: classes(5) },
  { spec: { type: CE, ignore_index: null, reduction: 'sum', label_smoothing: 0.1 }, shape: [6, 5], labels: classes(5) },
  { spec: { type: CE, ignore_index: 2, weight: W5 }, shape: [8, 5], labels: classes(5) },
  { spec: { type: CE, label_smoothing: 0.1 }, shape: [6, 5], labels: classes(5) },
  { spec: { type: CE, label_smoothing: 0.1, ignore_index: null }, shape: [6, 5], labels: classes(5) },
  { spec: { type: CE, label_smoothing: 0.2, weight: W5 }, shape: [8, 5], labels: classes(5, -100) },
  { spec: { type: CE, label_smoothing: 0.3, weight: W5, ignore_index: null }, shape: [8, 5], labels: classes(5) },
  { spec: { type: CE, label_smoothing: 0.2, weight: W5, reduction: 'sum' }, shape: [8, 5], labels: classes(5, -100) },
  {
    spec: { type: CE, label_smoothing: 0.15, weight: [1, 2, 0.5], ignore_index: 1 },
    shape: [3, 3, 2, 3],
    labels: classes(3),
  },
  { spec: { type: CE }, shape: [2, 4, 3], labels: classes(4, -100) },
  {
    spec: { type: CE, label_dtype: 'int32', weight: [1, 2, 3, 4], label_smoothing: 0.1 },
    shape: [5, 4],
    labels: classes(4, -100),
  },
  { spec: { type: CE }, shape: [4, 6], labels: classes(6), range: [-60, 60], tol: 1e-5 },
  { spec: { type: CE, labels: 'probabilities' }, shape: [6, 5], labels: probabilities },
  {
    spec: { type: CE, labels: 'probabilities', reduction: 'sum', label_smoothing: 0.1 },
    shape: [6, 5],
    labels: probabilities,
  },
  {
    spec: { type: CE, labels: 'probabilities', weight: W5, label_smoothing: 0.2 },
    shape: [6, 5],
    labels: probabilities,
  },
  { spec: { type: CE, labels: 'probabilities', weight: [2, 1, 0.5] }, shape: [2, 3, 2, 2], labels: probabilities },
  { spec: { type: 'binary_cross_entropy_with_logits' }, shape: [4, 3], labels: bits },
  { spec: { type: 'binary_cross_entropy_with_logits', reduction: 'sum' }, shape: [4, 3], labels: uniform(0, 1) },
  { spec: { type: 'binary_cross_entropy_with_logits', pos_weight: [0.5, 2, 3] }, shape: [5, 3], labels: bits },
  {
    spec: { type: 'binary_cross_entropy_with_logits', pos_weight: 4, weight: [1, 0.2, 2] },
    shape: [2, 2, 3],
    labels: uniform(0, 1),
  },
  { spec: { type: 'binary_cross_entropy_with_logits', weight: 0.5 }, shape: [7], labels: bits },
  { spec: { type: 'binary_cross_entropy_with_logits' }, shape: [4, 3], labels: bits, range: [-40, 40] },
  { spec: { type: 'mse' }, shape: [4, 3], labels: uniform(-2, 2) },
  { spec: { type: 'mse', reduction: 'sum' }, shape: [2, 3, 2], labels: uniform(-2, 2) },
  { spec: { type: 'l1' }, shape: [4, 3], labels: uniform(-2, 2) },
  { spec: { type: 'l1', reduction: 'sum' }, shape: [5], labels: uniform(-2, 2) },
  { spec: { type: 'huber' }, shape: [4, 5], labels: uniform(-2, 2) },
  { spec: { type: 'huber', delta: 0.5, reduction: 'sum' }, shape: [4, 5], labels: uniform(-2, 2) },
  { spec: { type: 'huber', delta: 2.5 }, shape: [3, 4], labels: uniform(-3, 3) },
  { spec: { type: 'cosine_embedding' }, shape: [5, 4], labels: uniform(-2, 2) },
  { spec: { type: 'cosine_embedding', reduction: 'sum' }, shape: [3, 6], labels: uniform(-1, 1) },
  { spec: { type: 'cosine_embedding' }, shape: [2, 3, 4], labels: uniform(-1, 1) },
];

CASES.forEach((c, i) => {
  test(`${JSON.stringify(c.spec)} on [${c.shape}]${c.range ? ` logits in [${c.range}]` : ''}: value = PyTorch formula, gradient checks`, async () => {
    await checkCase(c, 100 + i);
  });
});

test('every registered loss has a test case', () => {
  for (const name of LOSSES.types())
    assert.ok(
      CASES.some((c) => c.spec.type === name),
      name,
    );
});

test('the value check can fail: a wrong formula is caught', async () => {
  const saved = REFS.huber;
  REFS.huber = (spec, x, s, y) => refHuber({ ...spec, delta: 1.1 }, x, s, y);
  try {
    await assert.rejects(
      checkCase({ spec: { type: 'huber' }, shape: [4, 5], labels: uniform(-2, 2) }, 1),
      /PyTorch formula/,
    );
  } finally {
    REFS.huber = saved;
  }
});

test('cross-entropy with every target ignored gives 0 and a zero gradient, not NaN', async () => {
  const c: Case = {
    spec: { type: CE, weight: W5, label_smoothing: 0.1 },
    shape: [3, 5],
    labels: (_r, s) => Array(sizeOf(s)).fill(-100),
  };
  const rng = new Rng(5);
  const { graph, build } = lossGraph(c.spec, c.shape);
  const feeds = makeFeeds(c, rng, build.labelInput, c.shape);
  const r = await checkGradient({ graph, feeds, params: ['pred'], output: build.loss }, { seed: 5 });
  assert.ok(r.analytic.get('pred')!.every((v) => v === 0));
  const got = (await ortRun(graph, feeds, [build.loss]))[build.loss].data as Float32Array;
  assert.equal(got[0], 0);
});

test('BCE with logits: gradient at x = 0 is sigmoid(0) - y (the softplus form, not the max/abs kink)', async () => {
  const { graph, build } = lossGraph({ type: 'binary_cross_entropy_with_logits', reduction: 'sum' }, [4]);
  const feeds = { pred: tensor('float32', [4], [0, 0, 0, 0]), label: tensor('float32', [4], [0, 1, 0.25, 1]) };
  const r = await checkGradient({ graph, feeds, params: ['pred'], output: build.loss }, { seed: 9 });
  // gradCheck differentiates loss * R for a random scalar R it stores as an initializer
  const [, rTensor] = [...r.gradGraph.initializers].find(([k]) => k.includes('loss_weights'))!;
  const R = f64(rTensor)[0];
  const a = r.analytic.get('pred')!;
  [0, 1, 0.25, 1].forEach((y, i) =>
    assert.ok(Math.abs(a[i] - (0.5 - y) * R) < 1e-12, `grad[${i}] = ${a[i]}, want ${(0.5 - y) * R}`),
  );
});

// ---------------------------------------------------------------- symbolic batch

const SYMBOLIC: Case[] = [
  { spec: { type: CE, label_smoothing: 0.1, weight: W5 }, shape: [0, 5], labels: classes(5, -100) },
  { spec: { type: CE }, shape: [0, 5], labels: classes(5) },
  { spec: { type: CE, ignore_index: null, label_smoothing: 0.1 }, shape: [0, 5], labels: classes(5) },
  { spec: { type: CE, labels: 'probabilities' }, shape: [0, 5], labels: probabilities },
  { spec: { type: 'binary_cross_entropy_with_logits', pos_weight: [1, 2, 3, 4, 5] }, shape: [0, 5], labels: bits },
  { spec: { type: 'huber', delta: 0.7 }, shape: [0, 5], labels: uniform(-2, 2) },
  { spec: { type: 'cosine_embedding' }, shape: [0, 5], labels: uniform(-2, 2) },
];

for (const c of SYMBOLIC) {
  test(`${JSON.stringify(c.spec)} with a symbolic batch [N, ${c.shape.slice(1)}]: one graph, two batch sizes, loss and gradient in ORT`, async () => {
    const shape: Dim[] = ['N', ...c.shape.slice(1)];
    const { graph, build } = lossGraph(c.spec, shape);
    const { grads } = differentiate(graph, inferShapes(graph, OPSET), {
      loss: build.loss,
      wrt: ['pred'],
      opset: OPSET,
    });
    const grad = grads.get('pred')!;
    for (const n of [3, 7]) {
      const rng = new Rng(40 + n);
      const concrete = [n, ...c.shape.slice(1)];
      const feeds = makeFeeds(c, rng, build.labelInput, concrete);
      const out = await ortRun(graph, feeds, [build.loss, grad]);
      const x = f64(feeds.pred);
      const y = f64(feeds.label);
      const want = REFS[c.spec.type](c.spec, x, concrete, y);
      assert.ok(relError((out[build.loss].data as Float32Array)[0], want) < 1e-5, `N=${n}: loss`);
      const g = out[grad].data as Float32Array;
      assert.deepEqual([...out[grad].dims], concrete);
      for (let k = 0; k < x.length; k++) {
        const at = (v: number) => {
          const d = x.slice();
          d[k] = v;
          return REFS[c.spec.type](c.spec, d, concrete, y);
        };
        const num = (at(x[k] + 1e-6) - at(x[k] - 1e-6)) / 2e-6;
        assert.ok(relError(g[k], num) < 2e-3, `N=${n}: d loss / d pred[${k}] = ${g[k]}, finite differences ${num}`);
      }
    }
  });
}

// ---------------------------------------------------------------- validation

test('loss options are validated with the key and the remedy', () => {
  assert.throws(
    () => validateLoss({ type: 'cross_entropy' }),
    /expected one of 'softmax_cross_entropy', .* for loss.type but got 'cross_entropy'/,
  );
  assert.throws(
    () => validateLoss({ type: CE, smoothing: 0.1 }),
    /unknown key loss.smoothing; valid keys of loss: type, reduction, ignore_index/,
  );
  assert.throws(
    () => validateLoss({ type: CE, reduction: 'none' }),
    /expected one of 'mean', 'sum' for loss.reduction but got 'none'/,
  );
  assert.throws(() => validateLoss({ type: CE, label_smoothing: 1.5 }), /label_smoothing/);
  assert.throws(() => validateLoss({ type: CE, labels: 'probabilities', ignore_index: 0 }), /ignore_index/);
  assert.throws(() => validateLoss({ type: CE, ignore_index: 0.5 }), /an integer or null for loss.ignore_index/);
  assert.throws(
    () => validateLoss({ type: 'huber', delta: 0 }),
    (e: unknown) => e instanceof ConfigError && /loss.delta but got 0/.test(e.message),
  );
  assert.throws(() => validateLoss({ type: 'binary_cross_entropy_with_logits', pos_weight: 'x' }), /pos_weight/);
  assert.throws(
    () => lossGraph({ type: CE, weight: [1, 2] }, ['N', 5]),
    /weight has 2 entries but the logits have 5 classes/,
  );
  assert.throws(() => lossGraph({ type: CE }, [5]), /\[N, C\]/);
  assert.throws(
    () => lossGraph({ type: 'binary_cross_entropy_with_logits', pos_weight: [1, 2] }, ['N', 3]),
    /pos_weight has 2 entries/,
  );
  assert.deepEqual(validateLoss({ type: CE }), {
    type: CE,
    reduction: 'mean',
    label_smoothing: 0,
    labels: 'index',
    label_dtype: 'int64',
  });
  // every mistake of one spec is reported at once
  assert.throws(
    () => validateLoss({ type: CE, reduction: 'none', label_smoothing: 2, labels: 'onehot' }),
    (e: unknown) => e instanceof ConfigError && e.issues.length === 3,
  );
});
