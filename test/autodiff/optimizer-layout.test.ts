/**
 * The layout of the whole-model update (src/autodiff/optimizers/flat.ts): which tensors share a flat
 * buffer, which are updated through a 1-D view, and that every layout gives bit-identical parameters
 * and state to the plain per-tensor update (optimizers.test.ts checks that one against float64
 * references of the PyTorch algorithms).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { emptyGraph } from '../../src/onnx/ir.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { encodeModel } from '../../src/onnx/io.js';
import { tensor, type Tensor } from '../../src/onnx/tensor.js';
import { Rng } from '../../src/util/rng.js';
import { inferShapes } from '../../src/onnx/shapes/infer.js';
import {
  buildUpdates,
  hasUnitAxis,
  planFlatGroups,
  resolveOptimizer,
  FLAT_MAX_ELEMENTS,
  MAX_GROUP_MEMBERS,
  type OptimizerSpec,
  type ParamUpdate,
  type UpdateLayout,
} from '../../src/autodiff/optimizers/index.js';

const upd = (param: string, shape: number[], extra: Partial<ParamUpdate> = {}): ParamUpdate => ({
  param,
  grad: `grad/${param}`,
  shape,
  dtype: 'float32',
  ...extra,
});

test('planFlatGroups: small tensors with equal settings share a buffer; large, lone and non-float ones do not', () => {
  // the MLP 784-256-128-10: biases and the last weight are small, the first two weights are not
  const mlp = [[256, 784], [256], [128, 256], [128], [10, 128], [10]].map((s, i) => upd(`p${i}`, s));
  assert.deepEqual(planFlatGroups(mlp, 4096), [[1, 3, 4, 5]]);
  assert.deepEqual(planFlatGroups(mlp, 0), []);
  assert.deepEqual(planFlatGroups(mlp, Infinity), [[0, 1, 2, 3, 4, 5]]);
  const mixed = [
    upd('a', [8]),
    upd('b', [8], { lrScale: 0.5 }),
    upd('c', [4, 1, 1], { lrScale: 0.5 }),
    upd('d', [3], { weightDecay: 0 }),
    upd('e', [3], { dtype: 'float64' }),
    upd('f', [2, 2]),
    upd('g', [5], { dtype: 'int64' }),
    upd('h', [6], { lrScale: -1 }),
  ];
  // a and f share the defaults; b and c share lr scale 0.5; d and e are alone in their settings
  assert.deepEqual(planFlatGroups(mixed, 100), [
    [0, 5],
    [1, 2],
  ]);
  assert.ok(FLAT_MAX_ELEMENTS > 0 && Number.isInteger(FLAT_MAX_ELEMENTS));
});

test('many small tensors: groups of at most MAX_GROUP_MEMBERS, and every shape of the update graph stays inferable', () => {
  const n = 2 * MAX_GROUP_MEMBERS + 3;
  const params = Array.from({ length: n }, (_, i) => upd(`p${i}`, i % 2 ? [4, 1, 1, 1] : [3]));
  const groups = planFlatGroups(params, 100);
  assert.deepEqual(
    groups.map((g) => g.length),
    [MAX_GROUP_MEMBERS, MAX_GROUP_MEMBERS, 3],
  );
  assert.deepEqual(groups.flat(), [...params.keys()]);
  const g = emptyGraph('many');
  const b = new GraphBuilder(g, 'many');
  g.inputs.push({ name: 'lr', dtype: 'float32', shape: [] }, { name: 'step', dtype: 'int64', shape: [] });
  for (const p of params)
    g.inputs.push(
      { name: p.param, dtype: 'float32', shape: p.shape },
      { name: p.grad, dtype: 'float32', shape: p.shape },
    );
  const builds = buildUpdates(
    b,
    resolveOptimizer({ type: 'adam' }),
    params,
    {
      lr: 'lr',
      step: 'step',
      prefix: (p) => `opt/${p}`,
    },
    { maxFlatElements: 100 },
  );
  for (const r of builds)
    for (const s of r.state) g.inputs.push({ name: s.name, dtype: 'float32', shape: s.init.dims });
  // strict: an unknown shape anywhere throws, naming the node
  const table = inferShapes(g, 18, { strict: true });
  builds.forEach((r, i) => {
    assert.deepEqual(table.info.get(r.newParam)?.shape, params[i].shape, r.newParam);
    for (const s of r.state) assert.deepEqual(table.info.get(s.next)?.shape, params[i].shape, s.next);
  });
});

test('hasUnitAxis: the shapes that take the slow scalar-broadcast path', () => {
  assert.equal(hasUnitAxis([64, 384, 1, 1]), true);
  assert.equal(hasUnitAxis([144, 1, 3, 3]), true);
  assert.equal(hasUnitAxis([1, 10]), true);
  assert.equal(hasUnitAxis([1]), false);
  assert.equal(hasUnitAxis([]), false);
  assert.equal(hasUnitAxis([16, 16, 3, 3]), false);
});

test('a lone tensor with a unit axis is updated through a 1-D view: no elementwise op reads its own shape', () => {
  const g = emptyGraph('u');
  const b = new GraphBuilder(g, 'u');
  const p = upd('w', [6, 4, 1, 1]);
  const [r] = buildUpdates(b, resolveOptimizer({ type: 'adam' }), [p], {
    lr: 'lr',
    step: 'step',
    prefix: (n) => `opt/${n}`,
  });
  const own = new Set([p.param, p.grad, ...r.state.map((s) => s.name)]);
  const elementwise = g.nodes.filter((n) => ['Add', 'Sub', 'Mul', 'Div', 'Sqrt'].includes(n.opType));
  assert.ok(elementwise.length >= 10);
  for (const n of elementwise)
    assert.ok(!n.inputs.some((i) => own.has(i)), `${n.opType} reads ${n.inputs.join(', ')} unflattened`);
  assert.deepEqual(
    r.state.map((s) => [s.name, s.init.dims]),
    [
      ['opt/w/exp_avg', [6, 4, 1, 1]],
      ['opt/w/exp_avg_sq', [6, 4, 1, 1]],
    ],
  );
});

// ---------------------------------------------------------------- layouts against the per-tensor update

const SHAPES: Array<{ shape: number[]; lrScale?: number; weightDecay?: number }> = [
  { shape: [6, 4, 1, 1] },
  { shape: [5, 1, 3, 3] },
  { shape: [7] },
  { shape: [3, 4], lrScale: 0.5, weightDecay: 0 },
  { shape: [2, 3], lrScale: 0.5, weightDecay: 0 },
  { shape: [] },
  { shape: [40, 30] },
];

const LAYOUTS: Array<[string, UpdateLayout]> = [
  ['default', {}],
  ['all flat', { maxFlatElements: Infinity }],
  ['flat <= 16', { maxFlatElements: 16 }],
  ['each 1-D, none flat', { maxFlatElements: 0 }],
];

/** Runs `steps` updates of SHAPES under `layout`; returns every parameter and state value after each step. */
async function run(
  spec: OptimizerSpec,
  dtype: 'float32' | 'float64',
  layout: UpdateLayout,
  steps = 4,
): Promise<number[][]> {
  const rng = new Rng(11);
  const opt = resolveOptimizer(spec);
  const g = emptyGraph('opt');
  const b = new GraphBuilder(g, 'opt');
  g.inputs.push({ name: 'lr', dtype: 'float32', shape: [] }, { name: 'step', dtype: 'int64', shape: [] });
  const feeds: Record<string, Tensor> = {};
  const params = SHAPES.map((s, k) => {
    const n = s.shape.reduce((a, d) => a * d, 1);
    g.inputs.push({ name: `p${k}`, dtype, shape: s.shape }, { name: `g${k}`, dtype, shape: s.shape });
    feeds[`p${k}`] = tensor(
      dtype,
      s.shape,
      Array.from({ length: n }, () => rng.uniform(-1, 1)),
    );
    return { ...upd(`p${k}`, s.shape, s), grad: `g${k}`, dtype };
  });
  const builds = buildUpdates(b, opt, params, { lr: 'lr', step: 'step', prefix: (p) => `opt/${p}` }, layout);
  const carry: Array<{ input: string; output: string }> = [];
  builds.forEach((r, k) => {
    carry.push({ input: `p${k}`, output: r.newParam });
    for (const s of r.state) {
      assert.deepEqual(s.init.dims, SHAPES[k].shape, `${s.name} initial shape`);
      g.inputs.push({ name: s.name, dtype, shape: s.init.dims });
      feeds[s.name] = s.init;
      carry.push({ input: s.name, output: s.next });
    }
  });
  g.outputs = carry.map((c) => ({ name: c.output, dtype }));
  const model = {
    irVersion: 8,
    opset: new Map([['', 18]]),
    producerName: 'gymnos-test',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    graph: g,
  };
  const sess = await ort.InferenceSession.create(encodeModel(model), { intraOpNumThreads: 1 });
  const seen: number[][] = [carry.map((c) => c.input).flatMap((n) => [...(feeds[n].data as Float32Array)])];
  try {
    for (let step = 1; step <= steps; step++) {
      const ortFeeds: Record<string, ort.Tensor> = {
        lr: new ort.Tensor('float32', Float32Array.of(0.01 * (1 + 0.3 * Math.sin(step))), []),
        step: new ort.Tensor('int64', BigInt64Array.of(BigInt(step)), []),
      };
      for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = new ort.Tensor(dtype, v.data as Float32Array, v.dims);
      SHAPES.forEach((s, k) => {
        const n = s.shape.reduce((a, d) => a * d, 1);
        const data = Array.from({ length: n }, () => (step % 2 ? 1 : 0.05) * rng.uniform(-1, 1));
        ortFeeds[`g${k}`] = new ort.Tensor(dtype, tensor(dtype, s.shape, data).data as Float32Array, s.shape);
      });
      const out = await sess.run(ortFeeds);
      for (const c of carry) {
        const t = out[c.output];
        assert.deepEqual([...t.dims], [...feeds[c.input].dims], `${c.output} shape`);
        feeds[c.input] = tensor(dtype, [...t.dims], t.data as Float32Array);
      }
      seen.push(carry.flatMap((c) => [...(feeds[c.input].data as Float32Array)]));
    }
  } finally {
    await sess.release();
  }
  return seen;
}

const SPECS: OptimizerSpec[] = [
  { type: 'adam', lr: 0.01, weight_decay: 0.05, amsgrad: true },
  { type: 'adamw', lr: 0.01, weight_decay: 0.1 },
  { type: 'sgd', lr: 0.1, momentum: 0.9, dampening: 0.3, weight_decay: 0.01 },
  { type: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true },
  { type: 'rmsprop', lr: 0.01, centered: true, momentum: 0.5 },
  { type: 'adagrad', lr: 0.1, lr_decay: 0.1, initial_accumulator_value: 0.1 },
];

for (const spec of SPECS) {
  for (const dtype of ['float32', 'float64'] as const) {
    test(`${JSON.stringify(spec)} ${dtype}: every update layout is bit-identical to the per-tensor update`, async () => {
      const want = await run(spec, dtype, { maxFlatElements: 0, flattenEach: false });
      // the values move: the comparison is not between two unchanged copies of the inputs
      assert.notDeepEqual(want[want.length - 1], want[0]);
      for (const [name, layout] of LAYOUTS) {
        const got = await run(spec, dtype, layout);
        got.forEach((values, step) =>
          values.forEach((v, i) =>
            assert.ok(Object.is(v, want[step][i]), `${name}, after step ${step}, value ${i}: ${v} vs ${want[step][i]}`),
          ),
        );
      }
    });
  }
}
