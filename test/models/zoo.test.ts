/**
 * Every zoo architecture trains: a few Adam steps on a fixed random batch make the loss fall
 * (ONNX Runtime, through the SessionManager), and the gradient of its whole training graph
 * (training-mode BatchNormalization included) matches float64 finite differences on a tiny
 * configuration.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ZOO } from '../../src/models/registry.js';
import { modelGradCheck } from '../../src/autodiff/model-gradcheck.js';
import { randomBatch, sessions, trainSteps } from './helpers.js';

const s = sessions();
after(() => s.close());

/** Small but real configurations (trained a few steps) and tiny ones (gradient-checked). */
const CASES: Record<
  string,
  { small: object; tiny: object; data: number[]; tinyData: number[]; vocab?: number; lr?: number }
> = {
  mlp: { small: { hidden: [32, 16] }, tiny: { hidden: [3] }, data: [1, 8, 8], tinyData: [4] },
  cnn: {
    small: { channels: [8, 16], hidden: 16 },
    tiny: { channels: [2], hidden: 0 },
    data: [1, 8, 8],
    tinyData: [1, 4, 4],
  },
  // the tiny LeNet is the original form (tanh, average pooling): no ReLU kinks for finite differences to straddle
  lenet5: {
    small: {},
    tiny: { hidden: 8, activation: 'tanh', pool: 'avg' },
    data: [1, 28, 28],
    tinyData: [1, 8, 8],
    lr: 0.002,
  },
  resnet: { small: { depth: 20, width: 8 }, tiny: { depth: 8, width: 2 }, data: [3, 16, 16], tinyData: [3, 4, 4] },
  mobilenet_v2: {
    small: {
      blocks: [
        [1, 8, 1, 1],
        [6, 12, 2, 2],
        [6, 16, 2, 2],
      ],
      stemChannels: 8,
      lastChannels: 64,
      dropout: 0.1,
    },
    tiny: {
      blocks: [
        [1, 4, 1, 1],
        [2, 4, 2, 2],
      ],
      stemChannels: 4,
      lastChannels: 6,
      divisor: 1,
      dropout: 0,
    },
    data: [3, 16, 16],
    tinyData: [3, 4, 4],
  },
  vgg: {
    small: { stages: [[8], [16, 16]], hidden: [32], dropout: 0.2 },
    tiny: { stages: [[2], [3]], hidden: [4], dropout: 0 },
    data: [3, 16, 16],
    tinyData: [3, 4, 4],
  },
  text_classifier: {
    small: { vocabSize: 50, embedDim: 16, hidden: [16] },
    tiny: { vocabSize: 7, embedDim: 3, hidden: [4] },
    data: [12],
    tinyData: [5],
    vocab: 50,
  },
  transformer_encoder: {
    small: { vocabSize: 50, dModel: 16, heads: 2, layers: 2, ffDim: 32 },
    tiny: { vocabSize: 7, dModel: 4, heads: 2, layers: 1, ffDim: 6 },
    data: [12],
    tinyData: [3],
    vocab: 50,
  },
};

test('every zoo architecture has a test case', () => {
  assert.deepEqual(ZOO.types().sort(), Object.keys(CASES).sort());
});

for (const [name, c] of Object.entries(CASES)) {
  test(`${name}: a few Adam steps on a fixed random batch make the loss fall`, async () => {
    const model = ZOO.create(ZOO.resolve({ type: name, ...c.small }, 'model'), {
      seed: 3,
      datasetInfo: { inputShape: c.data, numClasses: 5 },
    });
    const batch = randomBatch(model, 16, 5, 11, c.vocab);
    const { losses, runner } = await trainSteps(
      model,
      { loss: { type: 'softmax_cross_entropy' }, optimizer: { type: 'adam', lr: c.lr ?? 0.01 } },
      batch,
      8,
      s.factory,
    );
    await runner.close();
    assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
    assert.ok(
      losses[losses.length - 1] < 0.7 * losses[0],
      `loss should fall: ${losses.map((l) => l.toFixed(3)).join(' ')}`,
    );
  });

  test(`${name}: gradients of the tiny configuration match float64 finite differences`, () => {
    const model = ZOO.create(ZOO.resolve({ type: name, ...c.tiny }, 'model'), {
      seed: 5,
      datasetInfo: { inputShape: c.tinyData, numClasses: 3 },
    });
    const r = modelGradCheck(model, { batch: 2, maxElements: 4 });
    const worst = r.params.reduce((a, p) => (p.maxRelError > a.maxRelError ? p : a));
    assert.ok(r.worstRelError < 1e-5, `worst relative error ${r.worstRelError} in ${worst.name}`);
  });
}
