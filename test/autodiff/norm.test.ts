/** Gradient checks for LayerNormalization, InstanceNormalization and inference-form BatchNormalization. */
import { test } from 'node:test';
import { A } from '../../src/onnx/ir.js';
import { Rng } from '../../src/util/rng.js';
import { checkGradient, randTensor } from './helpers.js';
import { checkSymbolic } from './symbolic-helpers.js';

const rng = new Rng(51);
const x = (...dims: number[]) => randTensor(rng, dims, -2, 2);
const pos = (...dims: number[]) => randTensor(rng, dims, 0.5, 1.5);

test('LayerNormalization: last axis, inner axis, axis 0; with and without bias', async () => {
  await checkGradient({ op: 'LayerNormalization', inputs: [x(3, 5), x(5), x(5)] }, { maxElements: 15 });
  await checkGradient(
    {
      op: 'LayerNormalization',
      inputs: [x(2, 3, 4), x(3, 4), x(3, 4)],
      attrs: { axis: A.int(1), epsilon: A.float(1e-3) },
    },
    { maxElements: 24 },
  );
  await checkGradient({ op: 'LayerNormalization', inputs: [x(2, 3, 4), x(3, 4)], attrs: { axis: A.int(-2) } });
  await checkGradient({ op: 'LayerNormalization', inputs: [x(2, 3), x(2, 3), x(2, 3)], attrs: { axis: A.int(0) } });
  // scale broadcast from a shorter shape
  await checkGradient({ op: 'LayerNormalization', inputs: [x(2, 3, 4), x(4), x(1, 4)], attrs: { axis: A.int(1) } });
});

test('LayerNormalization with Mean and InvStdDev outputs, gradients flowing through each', async () => {
  for (const lossOutput of [0, 1, 2]) {
    await checkGradient(
      { op: 'LayerNormalization', inputs: [x(3, 4), x(4), x(4)], outputs: 3, lossOutput, wrt: [0] },
      { tol: 1e-6 },
    );
  }
});

test('LayerNormalization with a symbolic batch', async () => {
  await checkSymbolic('LayerNormalization', [['N', 4], [4], [4]], (b, [a, s, bias]) =>
    b.op('LayerNormalization', [a, s, bias], { axis: -1 }),
  );
});

test('InstanceNormalization (2-D and 1-D spatial)', async () => {
  await checkGradient(
    { op: 'InstanceNormalization', inputs: [x(2, 3, 2, 3), x(3), x(3)], attrs: { epsilon: A.float(1e-3) } },
    { maxElements: 24 },
  );
  await checkGradient({ op: 'InstanceNormalization', inputs: [x(2, 2, 5), x(2), x(2)] });
});

test('BatchNormalization (inference form): statistics as trainable inputs, 4-D and 2-D', async () => {
  await checkGradient(
    { op: 'BatchNormalization', inputs: [x(2, 3, 2, 2), x(3), x(3), x(3), pos(3)], attrs: { epsilon: A.float(1e-3) } },
    { maxElements: 24 },
  );
  await checkGradient({ op: 'BatchNormalization', inputs: [x(4, 3), x(3), x(3), x(3), pos(3)] });
});

test('BatchNormalization over its own batch statistics (the training form) with a symbolic batch: the closed form against float64', async () => {
  // the pattern rewriteForTraining builds: mean and biased variance of X over all axes but 1
  await checkSymbolic('BatchNormalization batch statistics', [['N', 3, 2, 3], [3], [3]], (b, [x, scale, bias]) => {
    const axes = b.ints([0, 2, 3]);
    const m = b.op('ReduceMean', [x, axes], { keepdims: 1 });
    const xc = b.op('Sub', [x, m]);
    const v = b.op('ReduceMean', [b.op('Mul', [xc, xc]), axes], { keepdims: 0 });
    return b.op('BatchNormalization', [x, scale, bias, b.op('Reshape', [m, b.ints([-1])]), v], { epsilon: 1e-3 });
  });
});
