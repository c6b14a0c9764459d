/** Gradient checks for Gather (embeddings, negative indices, any axis), GatherElements, GatherND and the scatters. */
import { test } from 'node:test';
import { A, emptyGraph, type Attr } from '../../src/onnx/ir.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { tensor, type Tensor } from '../../src/onnx/tensor.js';
import { Rng } from '../../src/util/rng.js';
import { checkGradient, randTensor } from './helpers.js';
import { checkSymbolic } from './symbolic-helpers.js';

const rng = new Rng(21);
const x = (...dims: number[]) => randTensor(rng, dims);
const idx = (dims: number[], v: number[]) => ({ const: tensor('int64', dims, v) });

test('Gather axis 0 as an embedding lookup: repeated and negative indices accumulate', async () => {
  await checkGradient({ op: 'Gather', inputs: [x(6, 4), idx([2, 3], [0, 5, -1, 2, 2, -6])] }, { maxElements: 24 });
  await checkGradient({ op: 'Gather', inputs: [x(6, 4), idx([], [-2])] });
});

test('Gather on inner axes (scalar and matrix indices)', async () => {
  await checkGradient(
    { op: 'Gather', inputs: [x(3, 5, 2), idx([2, 2], [4, -1, 0, 4])], attrs: { axis: A.int(1) } },
    { maxElements: 30 },
  );
  await checkGradient({ op: 'Gather', inputs: [x(3, 5), idx([], [-1])], attrs: { axis: A.int(-1) } });
  await checkGradient({
    op: 'Gather',
    inputs: [x(3, 5), { const: tensor('int32', [3], [1, 1, -5]) }],
    attrs: { axis: A.int(1) },
  });
});

test('Gather with a symbolic batch of token ids (runtime indices, negative ones included)', async () => {
  // indices come from the data path: Cast of a float input rounded to ints in [-4, 3]
  await checkSymbolic(
    'Gather',
    [
      [5, 3],
      ['N', 2],
    ],
    (b, [table, ids]) => {
      const i = b.op('Cast', [b.op('Floor', [b.op('Mul', [ids, b.constant('float32', 3.99)])])], { to: 7 });
      return b.op('Gather', [table, i], { axis: 0 });
    },
    { wrt: [0] },
  );
});

test('GatherElements scatters back along its axis, negative indices included', async () => {
  await checkGradient({
    op: 'GatherElements',
    inputs: [x(3, 4), idx([3, 2], [0, 3, -1, -1, 2, 0])],
    attrs: { axis: A.int(1) },
  });
  await checkGradient({
    op: 'GatherElements',
    inputs: [x(3, 4), idx([2, 4], [0, 1, 2, -3, 2, 2, 0, 1])],
    attrs: { axis: A.int(0) },
  });
});

test('GatherND (batch_dims 0)', async () => {
  await checkGradient({ op: 'GatherND', inputs: [x(3, 4, 2), idx([3, 2], [0, 1, 2, -1, 0, 1])] });
});

/**
 * A scatter whose data and updates pass through Cast(to float32) first: gradCheck feeds the
 * perturbed parameter as float64, and the reference's scatters insist on equal element types.
 */
function scatterGraph(op: string, data: Tensor, indices: Tensor, updates: Tensor, attrs: Record<string, Attr>) {
  const g = emptyGraph(op);
  g.inputs.push(
    { name: 'data', dtype: 'float32', shape: data.dims },
    { name: 'updates', dtype: 'float32', shape: updates.dims },
  );
  g.initializers.set('indices', indices);
  const b = new GraphBuilder(g, 't');
  const y = b.op(op, [b.op('Cast', ['data'], { to: 1 }), 'indices', b.op('Cast', ['updates'], { to: 1 })], attrs);
  g.outputs = [{ name: y, dtype: 'float32' }];
  return { graph: g, feeds: { data, updates }, params: ['data', 'updates'], output: y };
}

test('ScatterND and ScatterElements: data and updates gradients (reduction none and add)', async () => {
  const i = (dims: number[], v: number[]) => tensor('int64', dims, v);
  await checkGradient(scatterGraph('ScatterND', x(4, 3), i([2, 1], [1, 3]), x(2, 3), {}));
  await checkGradient(
    scatterGraph('ScatterND', x(4, 3), i([3, 1], [1, 3, 1]), x(3, 3), { reduction: A.string('add') }),
  );
  await checkGradient(scatterGraph('ScatterElements', x(3, 4), i([2, 2], [0, 3, 1, 2]), x(2, 2), { axis: A.int(1) }));
  await checkGradient(
    scatterGraph('ScatterElements', x(3, 4), i([2, 2], [0, 0, 1, 0]), x(2, 2), {
      axis: A.int(1),
      reduction: A.string('add'),
    }),
  );
});
