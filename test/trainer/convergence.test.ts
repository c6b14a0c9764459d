/**
 * End-to-end: build training artifacts for built-in models, train them on the UCI digits with
 * ONNX Runtime, and check test accuracy; the inference export must match the eval graph; K-step
 * Loop runs must equal K single steps bit for bit; checkpoints must round-trip exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { buildTrainingArtifacts, type TrainingSpec } from '../../src/autodiff/artifacts.js';
import { StepRunner, type SessionFactory } from '../../src/trainer/step-runner.js';
import { buildMlp, buildCnn } from '../../src/models/zoo/small.js';
import { loadDigits } from '../../src/datasets/builtin.js';
import { splitIndices } from '../../src/datasets/split.js';
import { memoryBatches, accuracy } from '../../src/datasets/memory-batches.js';
import { encodeModel } from '../../src/onnx/io.js';
import type { Model } from '../../src/onnx/ir.js';
import { SessionManager } from '../../src/sessions/session-manager.js';

/** Sessions run in a worker thread (the SessionManager default for ONNX Runtime), one thread each. */
const managers: SessionManager[] = [];
test.after(async () => {
  await Promise.all(managers.map((m) => m.close()));
});
const ortSessions: SessionFactory = async (name, bytes) => {
  const m = new SessionManager({ device: 'cpu', intraOpThreads: 1 });
  managers.push(m);
  assert.equal(m.inWorker, true);
  return m.createSession(name, bytes);
};

const digits = loadDigits();
const split = splitIndices(digits.count, { test: 0.2, seed: 3, stratify: true }, digits.labels);

async function trainAndTest(model: Model, spec: TrainingSpec, epochs: number, sampleShape: number[], lr: number) {
  const art = buildTrainingArtifacts(model, spec);
  const runner = new StepRunner(art, ortSessions, 11);
  const losses: number[] = [];
  for (let e = 0; e < epochs; e++) {
    for (const b of memoryBatches(digits, split.train, e, { batchSize: 32, shuffle: true, seed: 5, sampleShape })) {
      const r = await runner.runSteps([{ inputs: { input: b.input }, label: b.label }], [lr]);
      losses.push(r.losses[0]);
    }
  }
  let correct = 0;
  for (const b of memoryBatches(digits, split.test, 0, { batchSize: 128, sampleShape })) {
    const r = await runner.evaluate({ inputs: { input: b.input }, label: b.label });
    correct += accuracy(r.prediction, b.label) * b.label.dims[0];
  }
  return { runner, art, losses, acc: correct / split.test.length };
}

test('MLP 64-64-10 with Adam reaches >= 95% test accuracy on the UCI digits', async () => {
  const model = buildMlp({ inputs: 64, hidden: [64], classes: 10, seed: 1 });
  const { acc, losses, runner } = await trainAndTest(
    model,
    { loss: { type: 'softmax_cross_entropy' }, optimizer: { type: 'adam', lr: 0.003 } },
    12,
    [64],
    0.003,
  );
  const head = losses.slice(0, 10).reduce((a, b) => a + b) / 10;
  const tail = losses.slice(-10).reduce((a, b) => a + b) / 10;
  assert.ok(tail < head / 5, `loss should fall: first ${head}, last ${tail}`);
  assert.ok(acc >= 0.95, `test accuracy ${acc}`);
  await runner.close();
});

test('CNN (Conv, BatchNormalization, Relu, MaxPool, Dropout, Gemm) with SGD+momentum reaches >= 95% on the digits', async () => {
  const model = buildCnn({
    input: [1, 8, 8],
    channels: [16, 32],
    classes: 10,
    batchNorm: true,
    dropout: 0.2,
    hidden: 64,
    seed: 2,
  });
  const spec: TrainingSpec = {
    loss: { type: 'softmax_cross_entropy', label_smoothing: 0.05 },
    optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true },
    clipGradNorm: 5,
  };
  const { acc, runner, art } = await trainAndTest(model, spec, 8, [1, 8, 8], 0.05);
  assert.ok(acc >= 0.95, `test accuracy ${acc}`);
  // running statistics moved away from their initial values
  const rm = art.carried.find((c) => c.kind === 'running')!;
  assert.notDeepEqual(
    Array.from(runner.state.get(rm.input)!.data as Float32Array),
    Array.from(rm.init.data as Float32Array),
  );

  // the inference export, in a fresh session, gives the eval graph's outputs
  const exported = await ort.InferenceSession.create(encodeModel(runner.exportModel()), { intraOpNumThreads: 1 });
  const batch = memoryBatches(digits, split.test, 0, { batchSize: 64, sampleShape: [1, 8, 8] }).next().value!;
  const ev = await runner.evaluate({ inputs: { input: batch.input }, label: batch.label });
  const out = await exported.run({
    input: new ort.Tensor('float32', batch.input.data as Float32Array, batch.input.dims),
  });
  const got = out.logits.data as Float32Array;
  const want = ev.prediction.data as Float32Array;
  for (let i = 0; i < want.length; i++)
    assert.ok(
      Math.abs(got[i] - want[i]) <= 1e-5 * Math.max(1, Math.abs(want[i])),
      `export differs at ${i}: ${got[i]} vs ${want[i]}`,
    );
  await exported.release();

  // checkpoints round-trip exactly, and training resumes identically from one
  const dir = mkdtempSync(join(tmpdir(), 'gymnos-ck-'));
  try {
    const path = join(dir, 'ck.bin');
    runner.saveCheckpoint(path, { epoch: 8 });
    const b2 = memoryBatches(digits, split.train, 99, {
      batchSize: 32,
      shuffle: true,
      seed: 5,
      sampleShape: [1, 8, 8],
    }).next().value!;
    const other = new StepRunner(art, ortSessions, 0);
    other.loadCheckpoint(path);
    for (const [k, v] of runner.state) assert.deepEqual(other.state.get(k)!.data, v.data, `checkpoint changed ${k}`);
    const a = await runner.runSteps([{ inputs: { input: b2.input }, label: b2.label }], [0.01]);
    const b = await other.runSteps([{ inputs: { input: b2.input }, label: b2.label }], [0.01]);
    assert.deepEqual(a.losses, b.losses);
    for (const [k, v] of runner.state)
      assert.deepEqual(other.state.get(k)!.data, v.data, `resumed step differs in ${k}`);
    await other.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await runner.close();
});

test('a K-step Loop run is bit-identical to K single steps', async () => {
  const model = buildCnn({ input: [1, 8, 8], channels: [8], classes: 10, batchNorm: true, dropout: 0.3, seed: 4 });
  const base: TrainingSpec = {
    loss: { type: 'softmax_cross_entropy' },
    optimizer: { type: 'adamw', lr: 0.01, weight_decay: 0.01 },
  };
  const single = new StepRunner(buildTrainingArtifacts(model, base), ortSessions, 9);
  const looped = new StepRunner(buildTrainingArtifacts(model, { ...base, stepsPerRun: 4 }), ortSessions, 9);
  const batches = [
    ...memoryBatches(digits, split.train, 0, {
      batchSize: 16,
      shuffle: true,
      seed: 1,
      sampleShape: [1, 8, 8],
      dropLast: true,
    }),
  ]
    .slice(0, 8)
    .map((b) => ({ inputs: { input: b.input }, label: b.label }));
  const lrs = [0.01, 0.009, 0.008, 0.007, 0.006, 0.005, 0.004, 0.003];
  const singleLosses: number[] = [];
  for (let i = 0; i < 8; i++) singleLosses.push(...(await single.runSteps([batches[i]], [lrs[i]])).losses);
  const loopLosses: number[] = [];
  for (let i = 0; i < 8; i += 4)
    loopLosses.push(...(await looped.runSteps(batches.slice(i, i + 4), lrs.slice(i, i + 4))).losses);
  assert.deepEqual(loopLosses, singleLosses);
  for (const [k, v] of single.state) assert.deepEqual(looped.state.get(k)!.data, v.data, `weights differ in ${k}`);
  await single.close();
  await looped.close();
});
