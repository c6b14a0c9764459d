/**
 * Loops with a static trip count are unrolled, then trained like straight-line graphs: the
 * unrolled graph computes what the interpreter's own Loop computes (carried values and stacked
 * scan outputs), its gradient passes the float64 finite-difference check, and a Loop whose trip
 * count depends on data is left as it is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A, emptyGraph, type Graph } from '../../src/onnx/ir.js';
import { cloneGraph } from '../../src/onnx/clone.js';
import { tensor } from '../../src/onnx/tensor.js';
import { unrollStaticLoops } from '../../src/onnx/unroll-loop.js';
import { evaluateGraph } from '../../src/onnx/reference/interpreter.js';
import { Rng } from '../../src/util/rng.js';
import { checkGradient, randTensor } from './helpers.js';

/** v <- tanh(v @ W) + 0.1 * i, scanning tanh(v @ W); y = v_final + sum over iterations of the scan. */
function loopGraph(trips: string): Graph {
  const body = emptyGraph('body');
  body.inputs.push({ name: 'i', dtype: 'int64', shape: [] }, { name: 'c', dtype: 'bool', shape: [] }, { name: 'v', dtype: 'float32', shape: [2, 3] });
  body.initializers.set('tenth', tensor('float32', [], [0.1]));
  body.nodes.push(
    { name: 'mm', opType: 'MatMul', domain: '', inputs: ['v', 'W'], outputs: ['m'], attrs: {} },
    { name: 'th', opType: 'Tanh', domain: '', inputs: ['m'], outputs: ['h'], attrs: {} },
    { name: 'fi', opType: 'Cast', domain: '', inputs: ['i'], outputs: ['f'], attrs: { to: A.int(1) } },
    { name: 'sc', opType: 'Mul', domain: '', inputs: ['f', 'tenth'], outputs: ['s'], attrs: {} },
    { name: 'add', opType: 'Add', domain: '', inputs: ['h', 's'], outputs: ['v2'], attrs: {} },
    { name: 'keep', opType: 'Identity', domain: '', inputs: ['c'], outputs: ['c2'], attrs: {} },
  );
  body.outputs.push({ name: 'c2', dtype: 'bool', shape: [] }, { name: 'v2', dtype: 'float32', shape: [2, 3] }, { name: 'h', dtype: 'float32', shape: [2, 3] });
  const g = emptyGraph('loop');
  g.inputs.push({ name: 'x', dtype: 'float32', shape: [2, 3] }, { name: 'W', dtype: 'float32', shape: [3, 3] });
  if (trips === 'M') g.initializers.set('M', tensor('int64', [], [3]));
  else g.inputs.push({ name: 'M', dtype: 'int64', shape: [] });
  g.initializers.set('axes0', tensor('int64', [1], [0]));
  g.nodes.push(
    { name: 'loop', opType: 'Loop', domain: '', inputs: ['M', '', 'x'], outputs: ['vf', 'hs'], attrs: { body: A.graph(body) } },
    { name: 'sum', opType: 'ReduceSum', domain: '', inputs: ['hs', 'axes0'], outputs: ['hsum'], attrs: { keepdims: A.int(0) } },
    { name: 'out', opType: 'Add', domain: '', inputs: ['vf', 'hsum'], outputs: ['y'], attrs: {} },
  );
  g.outputs.push({ name: 'y', dtype: 'float32', shape: [2, 3] }, { name: 'hs', dtype: 'float32', shape: [3, 2, 3] });
  return g;
}

test('a Loop with a constant trip count unrolls into what the Loop computes', () => {
  const rng = new Rng(4);
  const feeds = { x: randTensor(rng, [2, 3]), W: randTensor(rng, [3, 3]) };
  const g = loopGraph('M');
  const want = evaluateGraph(g, feeds, { opset: 18 });
  const u = cloneGraph(g);
  unrollStaticLoops(u);
  assert.ok(!u.nodes.some((n) => n.opType === 'Loop'));
  assert.equal(u.nodes.filter((n) => n.opType === 'MatMul').length, 3);
  const got = evaluateGraph(u, feeds, { opset: 18 });
  for (const k of ['y', 'hs']) {
    assert.deepEqual(got[k].dims, want[k].dims);
    got[k].data.forEach((v, i) => assert.ok(Math.abs(Number(v) - Number(want[k].data[i])) < 1e-12, `${k}[${i}]`));
  }
});

test('the unrolled Loop trains: gradients of x and W pass the float64 check', async () => {
  const rng = new Rng(5);
  const g = loopGraph('M');
  unrollStaticLoops(g);
  g.outputs = [g.outputs[0]];
  await checkGradient({ graph: g, feeds: { x: randTensor(rng, [2, 3]), W: randTensor(rng, [3, 3]) }, params: ['x', 'W'], output: 'y' }, { maxElements: 15 });
});

test('a Loop whose trip count is fed at run time stays a Loop', () => {
  const g = loopGraph('input');
  unrollStaticLoops(g);
  assert.ok(g.nodes.some((n) => n.opType === 'Loop'));
});
