/**
 * Shape inference through the dynamic-shape idioms of PyTorch and tf2onnx exports: a class token
 * expanded to the batch (Shape -> Gather -> Concat -> Where/Equal -> Expand), Reshape targets
 * built from Shape slices, Range over a shape, and a ConstantOfShape fill. The batch stays symbolic.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyGraph } from '../../../src/onnx/ir.js';
import { GraphBuilder } from '../../../src/onnx/builder.js';
import { inferShapes } from '../../../src/onnx/shapes/infer.js';
import { tensor } from '../../../src/onnx/tensor.js';

test('class token expand: Where(Equal(shape, -1 * ConstantOfShape), ones, shape) keeps the symbolic batch', () => {
  const g = emptyGraph();
  g.inputs.push({ name: 'x', dtype: 'float32', shape: ['N', 4, 16] });
  g.initializers.set('cls', tensor('float32', [1, 1, 16]));
  const b = new GraphBuilder(g, 't');
  const batch = b.op('Unsqueeze', [
    b.op('Gather', [b.op('Shape', ['x']), b.constant('int64', 0, [])], { axis: 0 }),
    b.ints([0]),
  ]);
  const wanted = b.op('Reshape', [b.op('Concat', [batch, b.ints([-1]), b.ints([-1])], { axis: 0 }), b.ints([-1])]);
  const ones = b.op('ConstantOfShape', [b.op('Shape', [wanted])], {
    value: { type: 'tensor', value: tensor('int64', [1], [1]) },
  });
  const minus = b.op('Mul', [ones, b.ints([-1])]);
  const target = b.op('Where', [b.op('Equal', [wanted, minus]), ones, wanted]);
  const cls = b.op('Expand', ['cls', target]);
  const cat = b.op('Concat', [cls, 'x'], { axis: 1 });
  const t = inferShapes(g, 18);
  assert.deepEqual(t.values.get(ones), [1, 1, 1]);
  assert.deepEqual(t.values.get(target), ['N', 1, 1]);
  assert.deepEqual(t.info.get(cls)?.shape, ['N', 1, 16]);
  assert.deepEqual(t.info.get(cat)?.shape, ['N', 5, 16]);
});

test('Reshape to Concat(Shape slice, -1) and Range over a dimension', () => {
  const g = emptyGraph();
  g.inputs.push({ name: 'x', dtype: 'float32', shape: ['N', 8, 2, 3] });
  const b = new GraphBuilder(g, 't');
  const head = b.op('Slice', [b.op('Shape', ['x']), b.ints([0]), b.ints([2])]);
  const flat = b.op('Reshape', ['x', b.op('Concat', [head, b.ints([-1])], { axis: 0 })]);
  const len = b.op('Squeeze', [b.op('Slice', [b.op('Shape', ['x']), b.ints([1]), b.ints([2])]), b.ints([0])]);
  const r = b.op('Range', [b.constant('int64', 0, []), len, b.constant('int64', 1, [])]);
  const t = inferShapes(g, 18);
  assert.deepEqual(t.info.get(flat)?.shape, ['N', 8, 6]);
  assert.deepEqual(t.info.get(r)?.shape, [8]);
});

test('an Expand target computed from data keeps its rank (unknown sizes), instead of losing the shape', () => {
  const g = emptyGraph();
  g.inputs.push({ name: 'x', dtype: 'float32', shape: ['N', 3] }, { name: 's', dtype: 'int64', shape: [3] });
  const b = new GraphBuilder(g, 't');
  const e = b.op('Expand', ['x', 's']);
  assert.deepEqual(inferShapes(g, 18).info.get(e)?.shape, [null, 'N', 3]);
});

test('Equal of a symbolic size and a non-negative number stays unknown (the size may be that number)', () => {
  const g = emptyGraph();
  g.inputs.push({ name: 'x', dtype: 'float32', shape: ['N', 3] });
  const b = new GraphBuilder(g, 't');
  const eq = b.op('Equal', [b.op('Shape', ['x']), b.ints([1, 3])]);
  assert.deepEqual(inferShapes(g, 18).values.get(eq), [null, 1]);
});
