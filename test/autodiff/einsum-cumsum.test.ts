/** Gradient checks for Einsum (the equations exporters emit) and CumSum (exclusive/reverse, every axis). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A } from '../../src/onnx/ir.js';
import { tensor } from '../../src/onnx/tensor.js';
import { Rng } from '../../src/util/rng.js';
import { differentiate } from '../../src/autodiff/engine.js';
import { inferShapes } from '../../src/onnx/shapes/infer.js';
import { checkGradient, randTensor, singleOpGraph } from './helpers.js';
import { checkSymbolic } from './symbolic-helpers.js';
import { EINSUM_CASES } from '../onnx/reference/einsum-cases.js';

const rng = new Rng(77);

test('Einsum: batched matmuls, attention forms, transposes, reductions, outer products, ellipsis, implicit output', async () => {
  for (const [eq, shapes] of EINSUM_CASES) {
    await checkGradient(
      { op: 'Einsum', inputs: shapes.map((s) => randTensor(rng, s)), attrs: { equation: A.string(eq) } },
      { maxElements: 16 },
    );
  }
});

test('Einsum: ellipsis broadcast from size 1 is summed back', async () => {
  await checkGradient({
    op: 'Einsum',
    inputs: [randTensor(rng, [1, 3, 4]), randTensor(rng, [2, 4, 5])],
    attrs: { equation: A.string('...ij,...jk->...ik') },
  });
});

test('Einsum with a symbolic batch', async () => {
  await checkSymbolic(
    'einsum symbolic',
    [
      ['N', 2, 3, 4],
      ['N', 2, 5, 4],
    ],
    (b, x) => b.op('Einsum', x, { equation: 'bhid,bhjd->bhij' }),
  );
});

test('Einsum: a diagonal (repeated label) is refused naming the node', () => {
  const c = singleOpGraph({ op: 'Einsum', inputs: [randTensor(rng, [3, 3])], attrs: { equation: A.string('ii->i') } });
  c.graph.nodes.push({
    name: 'l',
    opType: 'ReduceSum',
    domain: '',
    inputs: ['y0'],
    outputs: ['loss'],
    attrs: { keepdims: A.int(0) },
  });
  assert.throws(
    () => differentiate(c.graph, inferShapes(c.graph, 18), { loss: 'loss', wrt: c.params, opset: 18 }),
    /node 'Einsum_under_test' \(Einsum\): Einsum 'ii->i' repeats a label within input 0/,
  );
});

test('CumSum: every axis, exclusive and reverse', async () => {
  for (const axis of [0, 1, -1]) {
    for (const exclusive of [0, 1]) {
      for (const reverse of [0, 1]) {
        await checkGradient({
          op: 'CumSum',
          inputs: [randTensor(rng, [3, 4]), { const: tensor('int64', [], [axis]) }],
          attrs: { exclusive: A.int(exclusive), reverse: A.int(reverse) },
        });
      }
    }
  }
});
