/**
 * Training-mode rewrites: BatchNormalization with batch statistics (gradients, running-statistics
 * updates) and Dropout with an in-graph hashed mask (determinism, keep rate, independence).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { emptyGraph, type Graph } from '../../src/onnx/ir.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { encodeModel } from '../../src/onnx/io.js';
import { inferShapes } from '../../src/onnx/shapes/infer.js';
import { evaluateGraph } from '../../src/onnx/reference/interpreter.js';
import { tensor, sizeOf, type Tensor } from '../../src/onnx/tensor.js';
import { Rng } from '../../src/util/rng.js';
import { rewriteForTraining } from '../../src/autodiff/training-mode.js';
import { checkGradient, OPSET, randTensor, toOrt } from './helpers.js';

const SEED = 'seed';
const STEP = 'step';
const rng = new Rng(61);

function withCounters(g: Graph): void {
  g.inputs.push({ name: SEED, dtype: 'int64', shape: [] }, { name: STEP, dtype: 'int64', shape: [] });
}
const counters = (seed: number, step: number): Record<string, Tensor> => ({
  [SEED]: tensor('int64', [], [seed]),
  [STEP]: tensor('int64', [], [step]),
});

async function session(g: Graph): Promise<ort.InferenceSession> {
  const model = {
    irVersion: 8,
    opset: new Map([['', OPSET]]),
    producerName: 'test',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    graph: g,
  };
  return ort.InferenceSession.create(encodeModel(model), { intraOpNumThreads: 1 });
}

/** X [n, c, ...spatial] -> BatchNormalization -> Y, running stats as initializers. */
function bnGraph(dims: number[], momentum = 0.8) {
  const g = emptyGraph('bn');
  const c = dims[1];
  g.inputs.push(
    { name: 'X', dtype: 'float32', shape: dims },
    { name: 'scale', dtype: 'float32', shape: [c] },
    { name: 'B', dtype: 'float32', shape: [c] },
  );
  withCounters(g);
  g.initializers.set('rm', randTensor(rng, [c]));
  g.initializers.set('rv', randTensor(rng, [c], 0.5, 1.5));
  const b = new GraphBuilder(g, 'm');
  const y = b.op('BatchNormalization', ['X', 'scale', 'B', 'rm', 'rv'], {
    epsilon: { type: 'float', value: 1e-3 },
    momentum: { type: 'float', value: momentum },
  });
  g.outputs = [{ name: y, dtype: 'float32', shape: dims }];
  return { g, y };
}

for (const form of ['fused', 'primitives'] as const) {
  test(`BatchNormalization training form (${form}): gradients wrt X, scale, B (4-D and 2-D)`, async () => {
    for (const dims of [
      [3, 2, 2, 3],
      [5, 3],
    ]) {
      const { g, y } = bnGraph(dims);
      const r = rewriteForTraining(g, inferShapes(g, OPSET), {
        dropoutSeedInput: SEED,
        stepInput: STEP,
        batchNorm: form,
      });
      assert.deepEqual(
        r.stateInputs.map((v) => v.name),
        ['rm', 'rv'],
      );
      assert.deepEqual(
        r.stateOutputs.map((s) => s.input),
        ['rm', 'rv'],
      );
      const feeds = {
        X: randTensor(rng, dims, -2, 2),
        scale: randTensor(rng, [dims[1]]),
        B: randTensor(rng, [dims[1]]),
        rm: randTensor(rng, [dims[1]]),
        rv: randTensor(rng, [dims[1]], 0.5, 1.5),
        ...counters(1, 1),
      };
      const res = await checkGradient({ graph: g, feeds, params: ['X', 'scale', 'B'], output: y }, { maxElements: 20 });
      const outs = res.gradGraph.nodes.flatMap((n) => n.outputs);
      // the fused form takes the closed form: nothing flows back through the batch statistics
      assert.equal(
        outs.some((o) => o.includes('bn_grad')),
        form === 'fused',
      );
      assert.equal(
        outs.some((o) => o.includes('reduce_grad')),
        form === 'primitives',
      );
    }
  });
}

test('BatchNormalization training form: batch-normalized output and momentum updates with the unbiased variance', async () => {
  const dims = [4, 3, 2, 2];
  const { g, y } = bnGraph(dims, 0.8);
  const r = rewriteForTraining(g, inferShapes(g, OPSET), { dropoutSeedInput: SEED, stepInput: STEP });
  g.outputs.push(...r.stateOutputs.map((s) => ({ name: s.output, dtype: 'float32' as const, shape: [3] })));
  const X = randTensor(rng, dims, -2, 2);
  const feeds = {
    X,
    scale: randTensor(rng, [3]),
    B: randTensor(rng, [3]),
    rm: randTensor(rng, [3]),
    rv: randTensor(rng, [3], 0.5, 1.5),
    ...counters(1, 1),
  };
  const s = await session(g);
  const out = await s.run(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, toOrt(t)])));
  await s.release();
  const xd = X.data as Float32Array;
  const m = 4 * 4;
  for (let c = 0; c < 3; c++) {
    const vals: number[] = [];
    for (let n = 0; n < 4; n++) for (let k = 0; k < 4; k++) vals.push(xd[(n * 3 + c) * 4 + k]);
    const mean = vals.reduce((a, v) => a + v, 0) / m;
    const biased = vals.reduce((a, v) => a + (v - mean) ** 2, 0) / m;
    const rm = (feeds.rm.data as Float32Array)[c];
    const rv = (feeds.rv.data as Float32Array)[c];
    assert.ok(Math.abs((out[r.stateOutputs[0].output].data as Float32Array)[c] - (rm * 0.8 + mean * 0.2)) < 1e-5);
    assert.ok(
      Math.abs((out[r.stateOutputs[1].output].data as Float32Array)[c] - (rv * 0.8 + ((biased * m) / (m - 1)) * 0.2)) <
        1e-5,
    );
    const yv = (out[y].data as Float32Array)[(0 * 3 + c) * 4];
    const want =
      ((vals[0] - mean) / Math.sqrt(biased + 1e-3)) * (feeds.scale.data as Float32Array)[c] +
      (feeds.B.data as Float32Array)[c];
    assert.ok(Math.abs(yv - want) < 1e-5, `Y ${yv} vs ${want}`);
  }
});

/** X [rows, cols] -> Dropout(ratio) -> Y (and mask), rewritten. */
function dropoutGraph(dims: number[], ratio: number | 'input') {
  const g = emptyGraph('dropout');
  g.inputs.push({ name: 'X', dtype: 'float32', shape: dims });
  withCounters(g);
  if (ratio === 'input') g.inputs.push({ name: 'ratio', dtype: 'float32', shape: [] });
  else g.initializers.set('ratio', tensor('float32', [], [ratio]));
  const b = new GraphBuilder(g, 'm');
  const [y, mask] = b.opN('Dropout', ['X', 'ratio'], 2);
  g.outputs = [
    { name: y, dtype: 'float32', shape: dims },
    { name: mask, dtype: 'bool', shape: dims },
  ];
  rewriteForTraining(g, inferShapes(g, OPSET), { dropoutSeedInput: SEED, stepInput: STEP });
  assert.ok(!g.nodes.some((n) => n.opType === 'Dropout'));
  return { g, y, mask };
}

async function runMask(g: Graph, X: Tensor, seed: number, step: number, extra: Record<string, Tensor> = {}) {
  const s = await session(g);
  const out = await s.run(
    Object.fromEntries(Object.entries({ X, ...counters(seed, step), ...extra }).map(([k, t]) => [k, toOrt(t)])),
  );
  await s.release();
  return { y: out[g.outputs[0].name].data as Float32Array, mask: out[g.outputs[1].name].data as Uint8Array };
}

function keepRateWithin3Sigma(mask: Uint8Array, p: number, label: string) {
  const kept = mask.reduce((a, v) => a + (v ? 1 : 0), 0);
  const n = mask.length;
  const sigma = Math.sqrt(n * p * (1 - p));
  assert.ok(Math.abs(kept - n * p) < 3 * sigma, `${label}: kept ${kept} of ${n}, expected ${n * p} +- ${3 * sigma}`);
}

test('Dropout mask: deterministic across fresh sessions, keep rate within 3 sigma, new mask each step', async () => {
  const dims = [64, 256];
  const ratio = 0.3;
  const { g } = dropoutGraph(dims, ratio);
  const X = randTensor(rng, dims, 0.5, 1.5);
  const a = await runMask(g, X, 7, 3);
  const b = await runMask(g, X, 7, 3);
  assert.deepEqual(a.mask, b.mask, 'same (seed, step) must give the same mask in a fresh session');
  assert.deepEqual(a.y, b.y);
  keepRateWithin3Sigma(a.mask, 1 - ratio, 'step 3');
  const xd = X.data as Float32Array;
  for (let i = 0; i < xd.length; i++)
    assert.equal(a.y[i], a.mask[i] ? Math.fround(xd[i] * Math.fround(1 / (1 - ratio))) : 0);
  // other steps and seeds: fresh masks, agreeing only as often as independent draws would
  const n = a.mask.length;
  const p = 1 - ratio;
  const pAgree = p * p + (1 - p) * (1 - p);
  for (const [seed, step] of [
    [7, 4],
    [8, 3],
    [7, 1000003],
  ]) {
    const c = await runMask(g, X, seed, step);
    keepRateWithin3Sigma(c.mask, p, `seed ${seed} step ${step}`);
    let agree = 0;
    for (let i = 0; i < n; i++) if (a.mask[i] === c.mask[i]) agree++;
    const sigma = Math.sqrt(n * pAgree * (1 - pAgree));
    assert.ok(
      Math.abs(agree - n * pAgree) < 3 * sigma,
      `seed ${seed} step ${step}: ${agree} of ${n} mask entries agree with step 3 (independent: ${n * pAgree})`,
    );
  }
  // neighbouring elements are independent too: adjacent pairs both kept about p^2 of the time
  let both = 0;
  for (let i = 0; i + 1 < n; i += 2) if (a.mask[i] && a.mask[i + 1]) both++;
  const pairs = n / 2;
  assert.ok(
    Math.abs(both - pairs * p * p) < 3 * Math.sqrt(pairs * p * p * (1 - p * p)),
    `adjacent pairs both kept: ${both} of ${pairs}`,
  );
});

test('Dropout mask: the float64 reference interpreter (BigInt int64) computes the same mask as ORT', async () => {
  const dims = [16, 33];
  const { g } = dropoutGraph(dims, 0.5);
  const X = randTensor(rng, dims);
  const ortOut = await runMask(g, X, 123456789012, 2 ** 40 + 5);
  const ref = evaluateGraph(g, { X, ...counters(123456789012, 2 ** 40 + 5) }, { opset: OPSET });
  assert.deepEqual([...(ref[g.outputs[1].name].data as Uint8Array)].map(Boolean), [...ortOut.mask].map(Boolean));
});

test('Dropout with the ratio as a runtime input', async () => {
  const dims = [32, 128];
  const { g } = dropoutGraph(dims, 'input');
  const X = randTensor(rng, dims);
  const r = await runMask(g, X, 1, 1, { ratio: tensor('float32', [], [0.75]) });
  keepRateWithin3Sigma(r.mask, 0.25, 'ratio 0.75');
});

test('Dropout training form: gradient wrt X is the scaled mask', async () => {
  const dims = [4, 6];
  const { g, y } = dropoutGraph(dims, 0.4);
  g.outputs = [g.outputs[0]];
  const feeds = { X: randTensor(rng, dims), ...counters(3, 9) };
  const res = await checkGradient({ graph: g, feeds, params: ['X'], output: y }, { maxElements: 24 });
  assert.ok(
    res.analytic.get('X')!.some((v) => v === 0),
    'some elements must be dropped',
  );
  assert.equal(sizeOf(dims), res.analytic.get('X')!.length);
});
