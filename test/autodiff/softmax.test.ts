/** Gradient checks for Softmax and LogSoftmax over any axis. */
import { test } from 'node:test';
import { A } from '../../src/onnx/ir.js';
import { Rng } from '../../src/util/rng.js';
import { checkGradient, randTensor } from './helpers.js';
import { checkSymbolic } from './symbolic-helpers.js';

const rng = new Rng(31);
const x = (...dims: number[]) => randTensor(rng, dims, -2, 2);

for (const op of ['Softmax', 'LogSoftmax']) {
  test(`${op}: default axis, inner and leading axes`, async () => {
    await checkGradient({ op, inputs: [x(3, 5)] });
    await checkGradient({ op, inputs: [x(2, 3, 4)], attrs: { axis: A.int(1) } });
    await checkGradient({ op, inputs: [x(2, 3, 4)], attrs: { axis: A.int(0) } });
    await checkGradient({ op, inputs: [x(2, 3, 4)], attrs: { axis: A.int(-2) } });
  });
  test(`${op}: symbolic batch`, async () => {
    await checkSymbolic(op, [['N', 4]], (b, [a]) => b.op(op, [a], { axis: -1 }));
  });
}
