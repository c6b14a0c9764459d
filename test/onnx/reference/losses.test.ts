import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A, type Attr } from '../../../src/onnx/ir.js';
import { checkOp, f32, i64, randT, refOp } from './helpers.js';

const VARIANTS: Array<Record<string, Attr>> = [
  {},
  { reduction: A.string('sum') },
  { reduction: A.string('none') },
  { ignore_index: A.int(2) },
  { ignore_index: A.int(1), reduction: A.string('none') },
];

test('SoftmaxCrossEntropyLoss: reductions, weights, ignore_index, log_prob output, K-d', async () => {
  const scores = randT([4, 3], 1, -3, 3),
    labels = i64([4], [0, 2, 1, 2]),
    w = randT([3], 2, 0.5, 2);
  for (const attrs of VARIANTS) {
    await checkOp({ op: 'SoftmaxCrossEntropyLoss', attrs, inputs: [scores, labels], outputs: ['float32', 'float32'] });
    await checkOp({ op: 'SoftmaxCrossEntropyLoss', attrs, inputs: [scores, labels, w] });
  }
  await checkOp({
    op: 'SoftmaxCrossEntropyLoss',
    inputs: [randT([2, 3, 2, 2], 3), i64([2, 2, 2], [0, 1, 2, 0, 1, 1, 2, 0]), w],
    outputs: ['float32', 'float32'],
  });
  // By hand: uniform scores over 4 classes give log(4).
  const r = refOp({ op: 'SoftmaxCrossEntropyLoss', inputs: [f32([1, 4], [0, 0, 0, 0]), i64([1], [3])] });
  assert.ok(Math.abs(Number(r.out0.data[0]) - Math.log(4)) < 1e-15);
});

test('NegativeLogLikelihoodLoss: reductions, weights, ignore_index, K-d', async () => {
  const x = randT([4, 3], 4, -3, 0),
    t = i64([4], [0, 2, 1, 2]),
    w = randT([3], 5, 0.5, 2);
  for (const attrs of VARIANTS) {
    await checkOp({ op: 'NegativeLogLikelihoodLoss', attrs, inputs: [x, t] });
    await checkOp({ op: 'NegativeLogLikelihoodLoss', attrs, inputs: [x, t, w] });
  }
  await checkOp({
    op: 'NegativeLogLikelihoodLoss',
    inputs: [randT([2, 3, 4], 6), i64([2, 4], [0, 1, 2, 0, 1, 1, 2, 0]), w],
  });
});
