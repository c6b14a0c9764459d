/** Float constants that only compute Resize scales (through Concat) are not parameters; weights still are. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A, emptyGraph } from '../../src/onnx/ir.js';
import { tensor } from '../../src/onnx/tensor.js';
import { selectParameters } from '../../src/autodiff/trainable.js';

test("torch interpolate's Concat([1, 1], [2, 2]) scales are constants; a weight read through Concat stays a parameter", () => {
  const g = emptyGraph();
  g.inputs.push({ name: 'x', dtype: 'float32', shape: ['N', 2, 3, 3] });
  g.initializers.set('one', tensor('float32', [2], [1, 1]));
  g.initializers.set('two', tensor('float32', [2], [2, 2]));
  g.initializers.set('w', tensor('float32', [2, 2, 1, 1], [1, 2, 3, 4]));
  g.initializers.set('extra', tensor('float32', [1, 2, 6, 6]));
  g.nodes.push(
    { name: 'scales', opType: 'Concat', domain: '', inputs: ['one', 'two'], outputs: ['s'], attrs: { axis: A.int(0) } },
    { name: 'up', opType: 'Resize', domain: '', inputs: ['x', '', 's'], outputs: ['u'], attrs: {} },
    { name: 'conv', opType: 'Conv', domain: '', inputs: ['u', 'w'], outputs: ['c'], attrs: {} },
    { name: 'cat', opType: 'Concat', domain: '', inputs: ['c', 'extra'], outputs: ['y'], attrs: { axis: A.int(0) } },
  );
  g.outputs.push({ name: 'y', dtype: 'float32' });
  const split = selectParameters(g);
  assert.deepEqual(split.trainable.sort(), ['extra', 'w']);
  assert.ok(split.constants.includes('one') && split.constants.includes('two'));
});
