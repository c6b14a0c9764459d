/**
 * The opset converter against ONNX Runtime as the oracle: each legacy form (opsets 9-12) runs in
 * ORT as exported and again after conversion to opset 18; the outputs must agree exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { canonicalize } from '../../src/onnx/opset.js';
import { cloneModel } from '../../src/onnx/clone.js';
import { encodeModel } from '../../src/onnx/io.js';
import type { Model } from '../../src/onnx/ir.js';
import { Rng } from '../../src/util/rng.js';
import { singleOp, ints, int, float, str, tensor } from './legacy.js';

async function run(m: Model, x: Float32Array, dims: number[]): Promise<Record<string, Float32Array>> {
  const s = await ort.InferenceSession.create(encodeModel(m), { intraOpNumThreads: 1 });
  const out = await s.run({ x: new ort.Tensor('float32', x, dims) });
  await s.release();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
}

async function assertSameAfterConversion(m: Model, dims: number[], check?: (c: Model) => void) {
  const rng = new Rng(1);
  const x = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rng.uniform(-8, 8));
  const before = await run(m, x, dims);
  const converted = canonicalize(cloneModel(m), 'legacy');
  assert.equal(converted.opset.get(''), 18);
  check?.(converted);
  const after = await run(converted, x, dims);
  for (const k of Object.keys(before))
    assert.deepEqual(Array.from(after[k]), Array.from(before[k]), `output ${k} differs`);
}

const noOp = (c: Model, op: string) =>
  assert.ok(
    !c.graph.nodes.some((n) =>
      Object.keys(n.attrs).some((a) => ['min', 'max', 'starts', 'pads', 'ratio', 'axes', 'split', 'value'].includes(a)),
    ),
    `${op}: attribute left behind`,
  );

test('Clip-6 min/max attributes become inputs (opset 9 and 10)', async () => {
  await assertSameAfterConversion(singleOp(9, 'Clip', [2, 5], { min: float(0), max: float(6) }), [2, 5], (c) =>
    noOp(c, 'Clip'),
  );
  await assertSameAfterConversion(singleOp(10, 'Clip', [2, 5], { max: float(1.5) }), [2, 5]);
});

test('Slice-1 starts/ends/axes attributes become inputs (opset 9)', async () => {
  await assertSameAfterConversion(
    singleOp(9, 'Slice', [3, 6], { starts: ints([1]), ends: ints([5]), axes: ints([1]) }),
    [3, 6],
    (c) => noOp(c, 'Slice'),
  );
  await assertSameAfterConversion(
    singleOp(9, 'Slice', [3, 6], { starts: ints([0, 2]), ends: ints([2, 1000]) }),
    [3, 6],
  );
});

test('Pad-2 pads/value attributes become inputs (opset 9, 10), modes kept', async () => {
  await assertSameAfterConversion(
    singleOp(9, 'Pad', [1, 2, 3, 3], { pads: ints([0, 0, 1, 2, 0, 0, 1, 0]), value: float(0.5) }),
    [1, 2, 3, 3],
    (c) => noOp(c, 'Pad'),
  );
  await assertSameAfterConversion(
    singleOp(10, 'Pad', [1, 2, 3, 3], { pads: ints([0, 0, 1, 1, 0, 0, 1, 1]), mode: str('reflect') }),
    [1, 2, 3, 3],
  );
});

test('Dropout ratio attribute becomes an input (opset 10); inference output unchanged', async () => {
  await assertSameAfterConversion(singleOp(10, 'Dropout', [4, 3], { ratio: float(0.3) }), [4, 3], (c) =>
    noOp(c, 'Dropout'),
  );
});

test('Squeeze/Unsqueeze/Split/ReduceSum axes attributes become inputs (opset 11)', async () => {
  await assertSameAfterConversion(singleOp(11, 'Squeeze', [2, 1, 3, 1], { axes: ints([1, -1]) }), [2, 1, 3, 1], (c) =>
    noOp(c, 'Squeeze'),
  );
  await assertSameAfterConversion(singleOp(11, 'Unsqueeze', [2, 3], { axes: ints([0, 3]) }), [2, 3]);
  await assertSameAfterConversion(
    singleOp(11, 'Split', [2, 6], { axis: int(1), split: ints([2, 4]) }, [], 2),
    [2, 6],
    (c) => noOp(c, 'Split'),
  );
  await assertSameAfterConversion(
    singleOp(11, 'ReduceSum', [2, 3, 4], { axes: ints([1]), keepdims: int(0) }),
    [2, 3, 4],
  );
  await assertSameAfterConversion(singleOp(12, 'ReduceMean', [2, 3, 4], { axes: ints([0, 2]) }), [2, 3, 4]);
});

test('Softmax/LogSoftmax before 13 keep their coerce-to-2D semantics (axis 1 of rank 3, default axis, last axis)', async () => {
  await assertSameAfterConversion(singleOp(11, 'Softmax', [2, 3, 4], { axis: int(1) }), [2, 3, 4], (c) =>
    assert.ok(c.graph.nodes.some((n) => n.opType === 'Flatten')),
  );
  await assertSameAfterConversion(singleOp(9, 'LogSoftmax', [2, 3, 4], {}), [2, 3, 4]);
  await assertSameAfterConversion(singleOp(12, 'Softmax', [2, 3, 4], { axis: int(2) }), [2, 3, 4], (c) => {
    assert.deepEqual(
      c.graph.nodes.map((n) => n.opType),
      ['Softmax'],
    );
  });
  await assertSameAfterConversion(singleOp(9, 'Softmax', [5, 4], {}), [5, 4], (c) =>
    assert.deepEqual(
      c.graph.nodes.map((n) => n.opType),
      ['Softmax'],
    ),
  );
});

test('Upsample (opset 9) becomes Resize with Upsample coordinates; Resize-10 gains its roi slot', async () => {
  const scales = tensor('float32', [4], [1, 1, 2, 3]);
  await assertSameAfterConversion(
    singleOp(9, 'Upsample', [1, 2, 3, 3], { mode: str('nearest') }, [['scales', scales]]),
    [1, 2, 3, 3],
    (c) =>
      assert.deepEqual(
        c.graph.nodes.map((n) => n.opType),
        ['Resize'],
      ),
  );
  await assertSameAfterConversion(
    singleOp(9, 'Upsample', [1, 1, 3, 3], { mode: str('linear') }, [['scales', tensor('float32', [4], [1, 1, 2, 2])]]),
    [1, 1, 3, 3],
  );
  await assertSameAfterConversion(
    singleOp(10, 'Resize', [1, 2, 3, 3], { mode: str('nearest') }, [['scales', scales]]),
    [1, 2, 3, 3],
  );
});

test('BatchNormalization (opset 9) with unread training outputs converts; read ones are refused naming the node', async () => {
  const c = 3;
  const p = (v: number[]) => tensor('float32', [c], v);
  const params: Array<[string, ReturnType<typeof tensor>]> = [
    ['s', p([1, 2, 0.5])],
    ['b', p([0, 1, -1])],
    ['m', p([0.1, 0.2, 0.3])],
    ['v', p([1, 2, 3])],
  ];
  const m = singleOp(9, 'BatchNormalization', [2, c, 2, 2], { epsilon: float(1e-5), momentum: float(0.9) }, params);
  await assertSameAfterConversion(m, [2, c, 2, 2]);
  const read = singleOp(9, 'BatchNormalization', [2, c, 2, 2], {}, params, 3);
  assert.throws(
    () => canonicalize(read),
    /node 'BatchNormalization_0' \(BatchNormalization\): its running-statistics outputs \(y1, y2\) are read/,
  );
});
