/**
 * Quickstart-sized zoo models converge on the embedded UCI digits (1,797 8x8 images): LeNet-5
 * and a narrow ResNet-8 through the ModelManager, trained with Adam, evaluated on a held-out split.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ModelManager, type ModelSpec } from '../../src/models/model-manager.js';
import { buildTrainingArtifacts } from '../../src/autodiff/artifacts.js';
import { StepRunner } from '../../src/trainer/step-runner.js';
import { loadDigits } from '../../src/datasets/builtin.js';
import { splitIndices } from '../../src/datasets/split.js';
import { memoryBatches, accuracy } from '../../src/datasets/memory-batches.js';
import { sessions } from './helpers.js';

const s = sessions();
after(() => s.close());
const digits = loadDigits();
const split = splitIndices(digits.count, { test: 0.2, seed: 3, stratify: true }, digits.labels);
const shape = [1, 8, 8];

async function fit(spec: ModelSpec, epochs: number, lr: number): Promise<number> {
  const { model } = new ModelManager().load(spec, { seed: 1, datasetInfo: { inputShape: shape, numClasses: 10 } });
  const runner = new StepRunner(
    buildTrainingArtifacts(model, { loss: { type: 'softmax_cross_entropy' }, optimizer: { type: 'adam', lr } }),
    s.factory,
    3,
  );
  for (let e = 0; e < epochs; e++) {
    for (const b of memoryBatches(digits, split.train, e, {
      batchSize: 32,
      shuffle: true,
      seed: 5,
      sampleShape: shape,
    })) {
      await runner.runSteps([{ inputs: { input: b.input }, label: b.label }], [lr]);
    }
  }
  let correct = 0;
  for (const b of memoryBatches(digits, split.test, 0, { batchSize: 128, sampleShape: shape })) {
    const r = await runner.evaluate({ inputs: { input: b.input }, label: b.label });
    correct += accuracy(r.prediction, b.label) * b.label.dims[0];
  }
  await runner.close();
  return correct / split.test.length;
}

test('lenet5 reaches >= 95% test accuracy on the digits in 10 epochs', async () => {
  const acc = await fit({ type: 'lenet5' }, 10, 0.002);
  assert.ok(acc >= 0.95, `test accuracy ${acc}`);
});

test('resnet (depth 8, width 8) reaches >= 95% test accuracy on the digits in 4 epochs', async () => {
  const acc = await fit({ type: 'resnet', depth: 8, width: 8 }, 4, 0.003);
  assert.ok(acc >= 0.95, `test accuracy ${acc}`);
});
