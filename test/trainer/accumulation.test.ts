/**
 * Gradient accumulation: micro-batches' gradients summed in the graph, one optimizer step with
 * their mean. Checked against plain steps on the joined batch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTrainingArtifacts, type TrainingSpec } from '../../src/autodiff/artifacts.js';
import { StepRunner, type Batch } from '../../src/trainer/step-runner.js';
import { SessionManager } from '../../src/sessions/session-manager.js';
import { buildMlp, buildCnn } from '../../src/models/zoo/small.js';
import { loadDigits } from '../../src/datasets/builtin.js';
import { memoryBatches } from '../../src/datasets/memory-batches.js';
import { tensor, type Tensor } from '../../src/onnx/tensor.js';

const managers: SessionManager[] = [];
test.after(async () => {
  await Promise.all(managers.map((m) => m.close()));
});
function runner(spec: TrainingSpec, model = buildMlp({ inputs: 64, hidden: [32], classes: 10, seed: 3 })) {
  const m = new SessionManager({ device: 'cpu', intraOpThreads: 1 });
  managers.push(m);
  return new StepRunner(buildTrainingArtifacts(model, spec), (n, b) => m.createSession(n, b), 5);
}
const digits = loadDigits();
const idx = Array.from({ length: 64 }, (_, i) => i);
const big = memoryBatches(digits, idx, 0, { batchSize: 32, sampleShape: [64] }).next().value!;
const slice = (t: Tensor, from: number, to: number, per: number): Tensor =>
  tensor(t.dtype, [to - from, ...t.dims.slice(1)], (t.data as Float32Array).slice(from * per, to * per));
const micro = (k: number): Batch[] =>
  Array.from({ length: 4 }, (_, i) => {
    const n = 32 / 4;
    return {
      inputs: { input: slice(big.input, i * n, (i + 1) * n, 64) },
      label: slice(big.label, i * n, (i + 1) * n, 1),
    };
  }).slice(0, k);
const maxRel = (a: Float32Array, b: Float32Array) => {
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]) / Math.max(1e-3, Math.abs(b[i])));
  return w;
};

test('one accumulated micro-batch then apply equals a plain step bit for bit', async () => {
  const spec: TrainingSpec = {
    loss: { type: 'softmax_cross_entropy' },
    optimizer: { type: 'adam', lr: 0.01 },
    clipGradNorm: 1,
    accumulation: true,
  };
  const plain = runner(spec);
  const acc = runner(spec);
  const batch = { inputs: { input: big.input }, label: big.label };
  for (let s = 0; s < 3; s++) {
    await plain.runSteps([batch], [0.01]);
    await acc.accumulate(batch);
    await acc.applyAccumulated(0.01);
  }
  for (const c of plain.art.carried)
    assert.deepEqual(acc.state.get(c.input)!.data, plain.state.get(c.input)!.data, c.input);
  assert.equal(acc.step, 3);
});

test('four accumulated micro-batches give the step of the joined batch (mean loss)', async () => {
  const spec: TrainingSpec = {
    loss: { type: 'softmax_cross_entropy' },
    optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9 },
    accumulation: true,
  };
  const plain = runner(spec);
  const acc = runner(spec);
  for (let s = 0; s < 2; s++) {
    await plain.runSteps([{ inputs: { input: big.input }, label: big.label }], [0.1]);
    const losses = [];
    for (const b of micro(4)) losses.push((await acc.accumulate(b)).loss);
    assert.equal(acc.accumulated, 4);
    await acc.applyAccumulated(0.1);
    assert.equal(acc.accumulated, 0);
  }
  for (const c of plain.art.carried) {
    const w = maxRel(acc.state.get(c.input)!.data as Float32Array, plain.state.get(c.input)!.data as Float32Array);
    assert.ok(w < 1e-4, `${c.input} differs by ${w}`);
  }
  // parameters did move
  const init = plain.art.carried.find((c) => c.kind === 'param')!;
  assert.ok(maxRel(acc.state.get(init.input)!.data as Float32Array, init.init.data as Float32Array) > 1e-3);
});

test('accumulation updates BatchNormalization running statistics per micro-batch; checkpoints keep the accumulators', async () => {
  const model = buildCnn({ input: [1, 8, 8], channels: [4], classes: 10, batchNorm: true, dropout: 0.2, seed: 1 });
  const spec: TrainingSpec = {
    loss: { type: 'softmax_cross_entropy' },
    optimizer: { type: 'adamw', lr: 0.01 },
    accumulation: true,
  };
  const r = runner(spec, model);
  const img = (b: Batch): Batch => ({
    inputs: { input: { ...b.inputs.input, dims: [b.inputs.input.dims[0], 1, 8, 8] } },
    label: b.label,
  });
  const running = r.art.carried.find((c) => c.kind === 'running')!;
  await r.accumulate(img(micro(1)[0]));
  const after1 = Float32Array.from(r.state.get(running.input)!.data as Float32Array);
  await r.accumulate(img(micro(2)[1]));
  assert.notDeepEqual(Array.from(r.state.get(running.input)!.data as Float32Array), Array.from(after1));
  const ck = r.checkpoint();
  assert.equal(ck.meta.accumulated, 2);
  assert.ok([...ck.tensors.keys()].some((k) => k.startsWith('gymnos.acc/')));
  const other = runner(spec, model);
  other.restore(ck);
  const a = await r.applyAccumulated(0.01);
  const b = await other.applyAccumulated(0.01);
  assert.deepEqual(a, b);
  for (const c of r.art.carried) assert.deepEqual(other.state.get(c.input)!.data, r.state.get(c.input)!.data, c.input);
});

test('misuse is a clear error', async () => {
  const r = runner({
    loss: { type: 'softmax_cross_entropy' },
    optimizer: { type: 'sgd', lr: 0.1 },
    accumulation: true,
  });
  await assert.rejects(() => r.applyAccumulated(0.1), /no micro-batch has been accumulated/);
  const plain = runner({ loss: { type: 'softmax_cross_entropy' }, optimizer: { type: 'sgd', lr: 0.1 } });
  await assert.rejects(
    () => plain.accumulate({ inputs: { input: big.input }, label: big.label }),
    /built with `accumulation: true`/,
  );
  assert.throws(
    () =>
      buildTrainingArtifacts(buildMlp({ inputs: 64, hidden: [8], classes: 10 }), {
        loss: { type: 'softmax_cross_entropy' },
        optimizer: { type: 'sgd', lr: 0.1 },
        accumulation: true,
        stepsPerRun: 4,
      }),
    /cannot be combined/,
  );
});

test('the Trainer with gradientAccumulation: 4 steps once per 4 batches and still learns the digits', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { train } = await import('../../src/experiment/train.js');
  const dir = mkdtempSync(join(tmpdir(), 'gymnos-accum-'));
  try {
    const run = train(
      {
        experiment: { name: 'accum' },
        dataset: { type: 'digits', split: { test: 0.2, validation: 0 } },
        model: { type: 'mlp', hidden: [64] },
        training: { epochs: 4, batchSize: 16, seed: 1, gradientAccumulation: 4, optimizer: { type: 'adam', lr: 0.01 } },
        session: { device: 'cpu', intraOpThreads: 1 },
      },
      { output: join(dir, 'run') },
    );
    let batchEnds = 0;
    for await (const e of run) if (e.type === 'batchEnd') batchEnds++;
    const r = await run.result;
    assert.equal(r.status, 'completed', r.message);
    const batches = Math.ceil(Math.round(1797 * 0.8) / 16);
    assert.equal(r.step, 4 * Math.ceil(batches / 4));
    assert.equal(batchEnds, r.step);
    assert.ok((r.test?.accuracy as number) > 0.9, `test accuracy ${r.test?.accuracy}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
