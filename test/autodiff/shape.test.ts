/** Gradient checks for the data-movement rules (float64 reference + ORT float32). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A } from '../../src/onnx/ir.js';
import { tensor } from '../../src/onnx/tensor.js';
import { Rng } from '../../src/util/rng.js';
import { AutodiffError } from '../../src/autodiff/rule.js';
import { checkGradient, randTensor } from './helpers.js';
import { checkSymbolic } from './symbolic-helpers.js';

const rng = new Rng(11);
const ints = (v: number[]) => ({ const: tensor('int64', [v.length], v) });
const x = (...dims: number[]) => randTensor(rng, dims);

test('Reshape, Flatten, Squeeze, Unsqueeze reshape the gradient back', async () => {
  await checkGradient({ op: 'Reshape', inputs: [x(2, 3, 4), ints([4, -1])] });
  await checkGradient({ op: 'Flatten', inputs: [x(2, 3, 4)], attrs: { axis: A.int(2) } });
  await checkGradient({ op: 'Flatten', inputs: [x(2, 3, 4)], attrs: { axis: A.int(0) } });
  await checkGradient({ op: 'Squeeze', inputs: [x(2, 1, 4, 1), ints([1, -1])] });
  await checkGradient({ op: 'Squeeze', inputs: [x(2, 1, 4, 1)] });
  await checkGradient({ op: 'Unsqueeze', inputs: [x(2, 4), ints([0, -1])] });
});

test('Transpose inverts its permutation (explicit and default perm)', async () => {
  await checkGradient({ op: 'Transpose', inputs: [x(2, 3, 4)], attrs: { perm: A.ints([2, 0, 1]) } });
  await checkGradient({ op: 'Transpose', inputs: [x(2, 3, 4)] });
});

test('Concat splits and Split concatenates (missing output gradients become zeros)', async () => {
  await checkGradient({ op: 'Concat', inputs: [x(2, 3), x(2, 1), x(2, 4)], attrs: { axis: A.int(-1) } });
  await checkGradient({ op: 'Concat', inputs: [x(2, 3), x(1, 3)], attrs: { axis: A.int(0) } });
  await checkGradient({
    op: 'Split',
    inputs: [x(2, 6), ints([1, 2, 3])],
    attrs: { axis: A.int(1) },
    outputs: 3,
    lossOutput: 1,
  });
  await checkGradient({
    op: 'Split',
    inputs: [x(4, 3)],
    attrs: { axis: A.int(0), num_outputs: A.int(2) },
    outputs: 2,
    lossOutput: 0,
  });
});

test('Slice: step 1, negative starts/ends, steps > 1 and negative steps, several axes', async () => {
  await checkGradient({ op: 'Slice', inputs: [x(5, 6), ints([1, -4]), ints([4, 1000])] });
  await checkGradient({ op: 'Slice', inputs: [x(5, 7), ints([1]), ints([7]), ints([1]), ints([2])] });
  await checkGradient({ op: 'Slice', inputs: [x(5, 7), ints([0]), ints([6]), ints([1]), ints([3])] });
  await checkGradient({ op: 'Slice', inputs: [x(5, 7), ints([-1]), ints([-1000]), ints([1]), ints([-1])] });
  await checkGradient({ op: 'Slice', inputs: [x(5, 7), ints([5, 4]), ints([0, 0]), ints([1, 0]), ints([-2, -3])] });
  await checkGradient({
    op: 'Slice',
    inputs: [x(3, 8, 2), ints([7, 1]), ints([-1000, 3]), ints([1, 2]), ints([-3, 1])],
  });
});

test('Expand and Tile sum over the copies', async () => {
  await checkGradient({ op: 'Expand', inputs: [x(3, 1), ints([2, 3, 4])] });
  await checkGradient({ op: 'Expand', inputs: [x(1, 4), ints([3, 1])] });
  await checkGradient({ op: 'Tile', inputs: [x(2, 3), ints([2, 3])] });
  await checkGradient({ op: 'Tile', inputs: [x(2, 3, 2), ints([1, 2, 1])] });
});

test('Pad: constant (incl. negative pads, axes, constant value), edge and reflect', async () => {
  await checkGradient({ op: 'Pad', inputs: [x(3, 4), ints([1, 0, 2, 3])] });
  await checkGradient({ op: 'Pad', inputs: [x(3, 4), ints([1, -1, -1, 2])] });
  await checkGradient({ op: 'Pad', inputs: [x(2, 3, 4), ints([1, 2]), x(), ints([-1])] });
  await checkGradient({ op: 'Pad', inputs: [x(3, 4), ints([2, 1, 1, 3])], attrs: { mode: A.string('edge') } });
  await checkGradient({ op: 'Pad', inputs: [x(1, 4), ints([2, 1, 1, 3])], attrs: { mode: A.string('edge') } });
  await checkGradient({ op: 'Pad', inputs: [x(3, 5), ints([2, 1, 1, 4])], attrs: { mode: A.string('reflect') } });
});

test('Pad with an unsupported mode fails naming the node and the mode', async () => {
  await assert.rejects(
    checkGradient({ op: 'Pad', inputs: [x(3, 4), ints([1, 1, 1, 1])], attrs: { mode: A.string('wrap') } }),
    (e: Error) => e instanceof AutodiffError && /Pad_under_test/.test(e.message) && /wrap/.test(e.message),
  );
});

test('symbolic batch dimension N: reshape-like ops, Concat on N, Tile, Slice', async () => {
  await checkSymbolic('Reshape', [['N', 3, 4]], (b, [a]) => b.op('Reshape', [a, b.ints([0, -1])]));
  await checkSymbolic('Flatten', [['N', 3, 4]], (b, [a]) => b.op('Flatten', [a], { axis: 1 }));
  await checkSymbolic('Squeeze', [['N', 1, 4]], (b, [a]) => b.op('Squeeze', [a, b.ints([1])]));
  await checkSymbolic('Unsqueeze', [['N', 4]], (b, [a]) => b.op('Unsqueeze', [a, b.ints([1])]));
  await checkSymbolic('Transpose', [['N', 2, 4]], (b, [a]) => b.op('Transpose', [a], { perm: [2, 0, 1] }));
  await checkSymbolic(
    'Concat',
    [
      ['N', 3],
      ['N', 3],
    ],
    (b, [a, c]) => b.op('Concat', [a, c], { axis: 0 }),
  );
  await checkSymbolic('Tile', [['N', 3]], (b, [a]) => b.op('Tile', [a, b.ints([2, 2])]));
  await checkSymbolic('Slice', [['N', 7]], (b, [a]) =>
    b.op('Slice', [a, b.ints([6]), b.ints([0]), b.ints([1]), b.ints([-2])]),
  );
  await checkSymbolic('Pad', [['N', 3]], (b, [a]) => b.op('Pad', [a, b.ints([0, 1, 0, 2])], { mode: 'reflect' }));
});
