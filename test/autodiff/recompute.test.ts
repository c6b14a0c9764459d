/**
 * Activation recomputation: training with recomputed activations gives the same weights as
 * training with stored ones, bit for bit (the copies run the same kernels on the same inputs; ONNX
 * Runtime's common-subexpression elimination is off for such graphs, so the copies do run), the
 * backward pass keeps fewer activations (the floor, counted from the graph), and bad patterns are
 * reported with the nodes that can be recomputed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTrainingArtifacts, type TrainingSpec } from '../../src/autodiff/artifacts.js';
import { trainingMemoryFloor } from '../../src/autodiff/liveness.js';
import { StepRunner } from '../../src/trainer/step-runner.js';
import { SessionManager } from '../../src/sessions/session-manager.js';
import { encodeModel } from '../../src/onnx/io.js';
import { disabledOptimizers } from '../../src/sessions/model-options.js';
import { zooModel } from '../../src/models/registry.js';
import { tensor } from '../../src/onnx/tensor.js';
import type { Model } from '../../src/onnx/ir.js';

const managers: SessionManager[] = [];
test.after(async () => {
  await Promise.all(managers.map((m) => m.close()));
});

const resnet = (): Model =>
  zooModel('resnet')!.build({ depth: 8, width: 4, inputShape: [3, 8, 8], classes: 5 } as never, { seed: 3 } as never);
const base: TrainingSpec = {
  loss: { type: 'softmax_cross_entropy', label_dtype: 'int32' },
  optimizer: { type: 'adam', lr: 0.01 },
};

function batches(n: number) {
  let s = 11;
  const r = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  return Array.from({ length: n }, () => ({
    inputs: { input: tensor('float32', [6, 3, 8, 8], Float32Array.from({ length: 6 * 192 }, r)) },
    label: tensor(
      'int32',
      [6],
      Int32Array.from({ length: 6 }, () => Math.floor(r() * 5)),
    ),
  }));
}

async function trainWeights(spec: TrainingSpec, steps: number): Promise<Map<string, Float32Array>> {
  const m = new SessionManager({ device: 'cpu', intraOpThreads: 1 });
  managers.push(m);
  const runner = new StepRunner(buildTrainingArtifacts(resnet(), spec), (n, b) => m.createSession(n, b), 1);
  await runner.open();
  for (const b of batches(steps)) await runner.runSteps([b], [0.01]);
  const out = new Map<string, Float32Array>();
  for (const p of runner.art.trainable) out.set(p, Float32Array.from(runner.state.get(p)!.data as Float32Array));
  await runner.close();
  return out;
}

test('recompute "auto": same weights as stored activations after 4 Adam steps, bit for bit', async () => {
  const stored = await trainWeights(base, 4);
  const recomputed = await trainWeights({ ...base, recompute: 'auto' }, 4);
  assert.equal(recomputed.size, stored.size);
  let moved = 0;
  for (const [p, w] of stored) {
    assert.deepEqual(recomputed.get(p), w, `parameter ${p}`);
    moved++;
  }
  assert.ok(moved > 10);
});

test('recompute "auto" keeps only the convolution outputs of conv-BN-ReLU blocks; the graph asks ORT not to merge the copies', () => {
  const none = buildTrainingArtifacts(resnet(), base);
  const auto = buildTrainingArtifacts(resnet(), { ...base, recompute: 'auto' });
  const f0 = trainingMemoryFloor(none, 64);
  const f1 = trainingMemoryFloor(auto, 64);
  assert.ok(
    f1.parts.savedActivations < 0.5 * f0.parts.savedActivations,
    `${f1.parts.savedActivations} vs ${f0.parts.savedActivations}`,
  );
  assert.equal(f1.parts.parameters, f0.parts.parameters);
  const producer = (m: Model, v: string) => m.graph.nodes.find((n) => n.outputs.includes(v))?.opType ?? 'input';
  const bigKept = new Set(
    f1.saved.filter((v) => producer(auto.trainStep, v) !== 'input').map((v) => producer(auto.trainStep, v)),
  );
  assert.ok(bigKept.has('Conv'));
  assert.ok(!bigKept.has('Relu') && !bigKept.has('BatchNormalization'), [...bigKept].join(', '));
  assert.deepEqual(disabledOptimizers(encodeModel(auto.trainStep)), ['CommonSubexpressionElimination']);
  assert.deepEqual(disabledOptimizers(encodeModel(none.trainStep)), []);
});

test('recompute patterns: matching nodes are recomputed; a pattern matching nothing names the candidates', () => {
  const art = buildTrainingArtifacts(resnet(), { ...base, recompute: ['*Relu*'] });
  const copies = art.trainStep.graph.nodes.filter((n) => n.name.endsWith('/recompute'));
  assert.ok(copies.length > 0 && copies.every((n) => n.opType === 'Relu'), copies.map((n) => n.opType).join(', '));
  assert.throws(
    () => buildTrainingArtifacts(resnet(), { ...base, recompute: ['nope*'] }),
    /training\.recompute\[0\]: pattern 'nope\*' matches no forward node whose output the backward pass keeps; such nodes are: .*Conv/,
  );
});

test('training.recompute in the experiment: "none" by default, "auto" or patterns accepted, anything else named', async () => {
  const { parseExperiment } = await import('../../src/experiment/index.js');
  const exp = (recompute?: unknown) => ({
    dataset: { type: 'iris' },
    model: { type: 'mlp' },
    training: recompute === undefined ? {} : { recompute },
  });
  assert.equal(parseExperiment(exp()).training.recompute, 'none');
  assert.equal(parseExperiment(exp('auto')).training.recompute, 'auto');
  assert.deepEqual(parseExperiment(exp(['block*'])).training.recompute, ['block*']);
  assert.throws(
    () => parseExperiment(exp('always')),
    /expected "none", "auto" or a non-empty array of node name patterns for training\.recompute but got 'always'/,
  );
  assert.throws(() => parseExperiment(exp([])), /training\.recompute/);
});
