/** Preprocessors: fitted on the training split only, JSON round trip, and baked ONNX == training-time TypeScript. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { encodeModel } from '../../src/onnx/io.js';
import { emptyGraph, type Model } from '../../src/onnx/ir.js';
import { tensor } from '../../src/onnx/tensor.js';
import {
  applyPreprocess,
  bakePreprocessing,
  fitPreprocess,
  parseFitted,
  samplesOf,
  type Samples,
} from '../../src/datasets/preprocess/index.js';
import { DatasetManager } from '../../src/datasets/manager.js';
import { loadSplit, saveSplit } from '../../src/datasets/split-io.js';
import type { DatasetData } from '../../src/datasets/types.js';
import { tempDir, imageFolder } from './fixtures.js';

const t = tempDir();
test.after(t.cleanup);

/** input [N, ...shape] -> Flatten -> MatMul W -> 'scores' [N, classes]. */
function linearModel(inputShape: number[], classes: number): Model {
  const g = emptyGraph('m');
  const b = new GraphBuilder(g, 'm');
  const width = inputShape.reduce((a, c) => a * c, 1);
  g.inputs.push({ name: 'x', dtype: 'float32', shape: ['N', ...inputShape] });
  const w = b.initializer(
    tensor(
      'float32',
      [width, classes],
      Array.from({ length: width * classes }, (_, i) => Math.sin(i)),
    ),
    'W',
  );
  b.emit('MatMul', [b.op('Flatten', ['x'], { axis: 1 }), w], ['scores']);
  g.outputs.push({ name: 'scores', dtype: 'float32', shape: ['N', classes] });
  return {
    irVersion: 8,
    opset: new Map([['', 17]]),
    producerName: 'test',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    graph: g,
  };
}

async function run(m: Model, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const s = await ort.InferenceSession.create(encodeModel(m));
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

function tabular(n: number, f: number): DatasetData {
  const features = Float32Array.from({ length: n * f }, (_, i) =>
    Math.fround(Math.cos(i * 1.3) * (1 + (i % f)) * 7 + (i % f)),
  );
  return {
    kind: 'tabular',
    featureNames: Array.from({ length: f }, (_, j) => `f${j}`),
    features,
    labels: Int32Array.from({ length: n }, (_, i) => i % 3),
    classes: ['a', 'b', 'c'],
    count: n,
  };
}

test('standardize and min_max fit on the training rows only', () => {
  const d = tabular(10, 2);
  const train = [0, 1, 2, 3];
  const [std] = fitPreprocess(
    new DatasetManager().resolve({ type: 'iris', preprocess: [{ type: 'standardize' }] }).preprocess,
    samplesOf(d, train),
    d.classes,
  );
  for (let j = 0; j < 2; j++) {
    const xs = train.map((r) => (d.kind === 'tabular' ? d.features[r * 2 + j] : 0));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(Math.abs((std.mean as number[])[j] - mean) < 1e-5);
    assert.ok(
      Math.abs((std.std as number[])[j] - Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length)) < 1e-5,
    );
  }
  const [mm] = fitPreprocess(
    new DatasetManager().resolve({ type: 'iris', preprocess: [{ type: 'min_max', range: [-1, 1] }] }).preprocess,
    samplesOf(d, train),
    d.classes,
  );
  const out = applyPreprocess([mm], samplesOf(d, train));
  if (out.kind === 'float') {
    assert.equal(Math.min(...out.values), -1);
    assert.ok(Math.abs(Math.max(...out.values) - 1) < 1e-6);
  }
});

test('baked tabular preprocessing (standardize, min_max, label names) equals the TypeScript transform', async () => {
  const d = tabular(12, 3);
  const fitted = parseFitted(
    JSON.parse(
      JSON.stringify(
        fitPreprocess(
          new DatasetManager().resolve({
            type: 'iris',
            preprocess: [{ type: 'standardize' }, { type: 'min_max' }, { type: 'label_encoding' }],
          }).preprocess,
          samplesOf(d, [0, 2, 4, 6, 8]),
          d.classes,
        ),
      ),
    ),
  );
  const model = linearModel([3], 3);
  const baked = bakePreprocessing(model, fitted, 'x');
  const raw = samplesOf(d);
  const pre = applyPreprocess(fitted, raw) as Extract<Samples, { kind: 'float' }>;
  const want = await run(model, { x: new ort.Tensor('float32', pre.values, [12, 3]) });
  const got = await run(baked, {
    x: new ort.Tensor('float32', (raw as Extract<Samples, { kind: 'float' }>).values, [12, 3]),
  });
  assert.deepEqual(got.scores.data, want.scores.data);
  const scores = want.scores.data as Float32Array;
  const names = Array.from({ length: 12 }, (_, i) => {
    const row = Array.from(scores.subarray(i * 3, i * 3 + 3));
    return d.classes[row.indexOf(Math.max(...row))];
  });
  assert.deepEqual(got.class_name.data, names);
  assert.equal(baked.graph.inputs[0].dtype, 'float32');
});

test('baked image_normalize takes raw uint8 NHWC images and equals the TypeScript transform (NCHW and NHWC)', async () => {
  const root = t.path('imgs');
  await imageFolder(root, ['a', 'b'], 4, 6, 5);
  const dm = new DatasetManager();
  for (const layout of ['NCHW', 'NHWC'] as const) {
    const p = await dm.prepare(
      {
        type: 'image_folder',
        path: root,
        split: { validation: 2, stratify: true },
        preprocess: [{ type: 'image_normalize', layout }],
      },
      { cacheDir: t.path('cache'), seed: 5 },
    );
    const d = p.data();
    assert.equal(d.kind, 'image');
    if (d.kind !== 'image') return;
    const model = linearModel(layout === 'NCHW' ? [3, 5, 6] : [5, 6, 3], 2);
    const baked = bakePreprocessing(model, p.preprocessors, 'x');
    assert.deepEqual(baked.graph.inputs[0], { name: 'x', dtype: 'uint8', shape: ['N', 5, 6, 3] });
    const pre = applyPreprocess(p.preprocessors, samplesOf(d)) as Extract<Samples, { kind: 'float' }>;
    const want = await run(model, { x: new ort.Tensor('float32', pre.values, [d.count, ...pre.sampleShape]) });
    const got = await run(baked, { x: new ort.Tensor('uint8', d.pixels, [d.count, 5, 6, 3]) });
    assert.deepEqual(got.scores.data, want.scores.data);
  }
});

test('image_normalize mean/std fitted on the training split equal a plain per-channel computation', () => {
  const pixels = Uint8Array.from({ length: 4 * 2 * 2 * 3 }, (_, i) => (i * 29) % 256);
  const d: DatasetData = {
    kind: 'image',
    shape: [2, 2, 3],
    pixels,
    labels: Int32Array.from([0, 1, 0, 1]),
    classes: ['a', 'b'],
    count: 4,
  };
  const [f] = fitPreprocess(
    new DatasetManager().resolve({ type: 'iris', preprocess: [{ type: 'image_normalize' }] }).preprocess,
    samplesOf(d, [1, 3]),
    d.classes,
  );
  for (let c = 0; c < 3; c++) {
    const vs: number[] = [];
    for (const r of [1, 3]) for (let i = 0; i < 4; i++) vs.push(pixels[r * 12 + i * 3 + c] / 255);
    const mean = vs.reduce((a, b) => a + b, 0) / vs.length;
    assert.ok(Math.abs((f.mean as number[])[c] - mean) < 1e-6);
  }
});

test('splits: seeded, stratified, saved with the run and checked on load', async () => {
  const dm = new DatasetManager();
  const cache = t.path('cache');
  const a = await dm.prepare(
    { type: 'iris', split: { validation: 0.2, test: 15, stratify: true } },
    { cacheDir: cache, seed: 7 },
  );
  const b = await dm.prepare(
    { type: 'iris', split: { validation: 0.2, test: 15, stratify: true } },
    { cacheDir: cache, seed: 7 },
  );
  assert.deepEqual(a.split, b.split);
  assert.deepEqual([a.split.train.length, a.split.validation.length, a.split.test.length], [105, 30, 15]);
  const perClass = (rows: number[]) => [0, 1, 2].map((c) => rows.filter((r) => a.data().labels[r] === c).length);
  assert.deepEqual(perClass(a.split.validation), [10, 10, 10]);
  const c = await dm.prepare({ type: 'iris', split: { validation: 0.2 } }, { cacheDir: cache, seed: 8 });
  assert.notDeepEqual(c.split.validation, a.split.validation);
  const run = t.path('run');
  dm.saveRun(run, a);
  const s = loadSplit(run, a.cacheKey);
  assert.deepEqual({ train: s.train, validation: s.validation, test: s.test }, a.split);
  assert.throws(
    () => loadSplit(run, 'f'.repeat(32)),
    /was made for dataset .* but the data now hashes to f+: the source files or ingest options changed/,
  );
  saveSplit(run, { ...a.split, train: a.split.train.slice(1) }, a.cacheKey, a.splitSpec);
  assert.equal(loadSplit(run).train.length, 104);
});

test('loader plan parts: standardize then min_max fold into one standardize', async () => {
  const dm = new DatasetManager();
  const p = await dm.prepare(
    { type: 'iris', preprocess: [{ type: 'standardize' }, { type: 'min_max' }] },
    { cacheDir: t.path('cache') },
  );
  const parts = dm.loaderPlanParts(p);
  assert.equal(parts.data.kind, 'tabular');
  if (parts.data.kind !== 'tabular' || !parts.data.standardize) return assert.fail('expected a standardize fragment');
  const { mean, std } = parts.data.standardize;
  const x = samplesOf(p.data(), [0, 1]) as Extract<Samples, { kind: 'float' }>;
  const ts = applyPreprocess(p.preprocessors, x) as Extract<Samples, { kind: 'float' }>;
  for (let i = 0; i < 8; i++) assert.ok(Math.abs((x.values[i] - mean[i % 4]) / std[i % 4] - ts.values[i]) < 1e-5);
});
