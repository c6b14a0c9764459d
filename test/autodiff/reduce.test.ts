/** Gradient checks for the Reduce* rules: keepdims 0/1, axes given/omitted/negative, noop_with_empty_axes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A, type Attr } from '../../src/onnx/ir.js';
import { tensor } from '../../src/onnx/tensor.js';
import { Rng } from '../../src/util/rng.js';
import { checkGradient, randTensor } from './helpers.js';
import { checkSymbolic } from './symbolic-helpers.js';

const rng = new Rng(41);
const axes = (v: number[]) => ({ const: tensor('int64', [v.length], v) });

interface Variant {
  name: string;
  axes?: number[];
  attrs: Record<string, Attr>;
}
const VARIANTS: Variant[] = [
  { name: 'axes [1], keepdims 1', axes: [1], attrs: {} },
  { name: 'axes [0, -1], keepdims 0', axes: [0, -1], attrs: { keepdims: A.int(0) } },
  { name: 'axes omitted (all), keepdims 0', attrs: { keepdims: A.int(0) } },
  { name: 'axes omitted (all), keepdims 1', attrs: {} },
  { name: 'empty axes with noop_with_empty_axes 0 (all)', axes: [], attrs: { keepdims: A.int(0) } },
];

// strictly positive inputs keep ReduceL2/LogSum smooth; random values make max/min ties impossible
const OPS: Array<[string, number, number]> = [
  ['ReduceSum', -1, 1],
  ['ReduceMean', -1, 1],
  ['ReduceSumSquare', -1, 1],
  ['ReduceMax', -1, 1],
  ['ReduceMin', -1, 1],
  ['ReduceL2', -1, 1],
  ['ReduceL1', 0.1, 1],
  ['ReduceLogSumExp', -2, 2],
  ['ReduceLogSum', 0.5, 1.5],
];

for (const [op, lo, hi] of OPS) {
  test(`${op}: every axes/keepdims variant`, async () => {
    for (const v of VARIANTS) {
      const inputs = v.axes ? [randTensor(rng, [2, 3, 4], lo, hi), axes(v.axes)] : [randTensor(rng, [2, 3, 4], lo, hi)];
      await checkGradient({ op, inputs, attrs: v.attrs }, { maxElements: 24 });
    }
  });
}

test('noop_with_empty_axes = 1 passes the gradient through (Sum, Mean, Max, Min)', async () => {
  for (const op of ['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin']) {
    await checkGradient({ op, inputs: [randTensor(rng, [2, 3])], attrs: { noop_with_empty_axes: A.int(1) } });
  }
});

test('ReduceMax shares the gradient evenly among tied maxima', async () => {
  const x = tensor('float32', [2, 3], [1, 3, 3, 2, 0, -1]);
  // central differences at a tie see half the slope too, so the float64 check applies as is
  const r = await checkGradient({ op: 'ReduceMax', inputs: [x, axes([1])], attrs: { keepdims: A.int(0) } });
  const g = r.analytic.get('x0')!;
  assert.ok(g[1] !== 0 && g[1] === g[2] && g[0] === 0, `tied gradient ${[...g]}`);
});

test('Reduce* with a symbolic batch: runtime counts for ReduceMean over N', async () => {
  await checkSymbolic('ReduceMean', [['N', 3]], (b, [a]) => b.op('ReduceMean', [a], { keepdims: 0 }));
  await checkSymbolic('ReduceSum', [['N', 3]], (b, [a]) => b.op('ReduceSum', [a, b.ints([1])], { keepdims: 0 }));
  await checkSymbolic('ReduceL2', [['N', 3]], (b, [a]) => b.op('ReduceL2', [a, b.ints([0])], { keepdims: 1 }));
});
