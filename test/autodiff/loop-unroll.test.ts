/**
 * Loops with a static trip count are unrolled, then trained like straight-line graphs: the
 * unrolled graph computes what the interpreter's own Loop computes (carried values and stacked
 * scan outputs), its gradient passes the float64 finite-difference check, and a Loop whose trip
 * count depends on data is left as it is. Loops and Scans whose length shape inference resolves
 * unroll too (against the interpreter's Loop; the Scan's semantics are checked against PyTorch
 * through ONNX Runtime in test/models/exports-loops.test.ts), and their shapes are inferred.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A, emptyGraph, type Graph } from '../../src/onnx/ir.js';
import { cloneGraph } from '../../src/onnx/clone.js';
import { tensor } from '../../src/onnx/tensor.js';
import { unrollStaticLoops } from '../../src/onnx/unroll-loop.js';
import { unrollShapedLoops } from '../../src/onnx/unroll-shaped.js';
import { inferShapes } from '../../src/onnx/shapes/infer.js';
import { loadModel } from '../../src/onnx/io.js';
import { join } from 'node:path';
import { FIXTURES } from '../models/torch-reference.js';
import { evaluateGraph } from '../../src/onnx/reference/interpreter.js';
import { Rng } from '../../src/util/rng.js';
import { checkGradient, randTensor } from './helpers.js';

/** v <- tanh(v @ W) + 0.1 * i, scanning tanh(v @ W); y = v_final + sum over iterations of the scan. */
function loopGraph(trips: string): Graph {
  const body = emptyGraph('body');
  body.inputs.push(
    { name: 'i', dtype: 'int64', shape: [] },
    { name: 'c', dtype: 'bool', shape: [] },
    { name: 'v', dtype: 'float32', shape: [2, 3] },
  );
  body.initializers.set('tenth', tensor('float32', [], [0.1]));
  body.nodes.push(
    { name: 'mm', opType: 'MatMul', domain: '', inputs: ['v', 'W'], outputs: ['m'], attrs: {} },
    { name: 'th', opType: 'Tanh', domain: '', inputs: ['m'], outputs: ['h'], attrs: {} },
    { name: 'fi', opType: 'Cast', domain: '', inputs: ['i'], outputs: ['f'], attrs: { to: A.int(1) } },
    { name: 'sc', opType: 'Mul', domain: '', inputs: ['f', 'tenth'], outputs: ['s'], attrs: {} },
    { name: 'add', opType: 'Add', domain: '', inputs: ['h', 's'], outputs: ['v2'], attrs: {} },
    { name: 'keep', opType: 'Identity', domain: '', inputs: ['c'], outputs: ['c2'], attrs: {} },
  );
  body.outputs.push(
    { name: 'c2', dtype: 'bool', shape: [] },
    { name: 'v2', dtype: 'float32', shape: [2, 3] },
    { name: 'h', dtype: 'float32', shape: [2, 3] },
  );
  const g = emptyGraph('loop');
  g.inputs.push({ name: 'x', dtype: 'float32', shape: [2, 3] }, { name: 'W', dtype: 'float32', shape: [3, 3] });
  if (trips === 'M') g.initializers.set('M', tensor('int64', [], [3]));
  else g.inputs.push({ name: 'M', dtype: 'int64', shape: [] });
  g.initializers.set('axes0', tensor('int64', [1], [0]));
  g.nodes.push(
    {
      name: 'loop',
      opType: 'Loop',
      domain: '',
      inputs: ['M', '', 'x'],
      outputs: ['vf', 'hs'],
      attrs: { body: A.graph(body) },
    },
    {
      name: 'sum',
      opType: 'ReduceSum',
      domain: '',
      inputs: ['hs', 'axes0'],
      outputs: ['hsum'],
      attrs: { keepdims: A.int(0) },
    },
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
  await checkGradient(
    { graph: g, feeds: { x: randTensor(rng, [2, 3]), W: randTensor(rng, [3, 3]) }, params: ['x', 'W'], output: 'y' },
    { maxElements: 15 },
  );
});

test('a Loop whose trip count is fed at run time stays a Loop', () => {
  const g = loopGraph('input');
  unrollStaticLoops(g);
  assert.ok(g.nodes.some((n) => n.opType === 'Loop'));
});

// ---------------------------------------------------------------- lengths known from shapes

/** loopGraph with the trip count computed as Shape(T)[0] from an input `T` of shape [t]. */
function shapeTripGraph(t: number | string): Graph {
  const g = loopGraph('M');
  g.initializers.delete('M');
  g.inputs.push({ name: 'T', dtype: 'float32', shape: [t] });
  g.initializers.set('zero', tensor('int64', [], [0]));
  g.nodes.unshift(
    { name: 'shape', opType: 'Shape', domain: '', inputs: ['T'], outputs: ['Ts'], attrs: {} },
    { name: 'trips', opType: 'Gather', domain: '', inputs: ['Ts', 'zero'], outputs: ['M'], attrs: { axis: A.int(0) } },
  );
  return g;
}

test('shape inference of Loop: carried values keep their shape, scan outputs get the trip count (symbolic or unknown when it is)', () => {
  const known = inferShapes(loopGraph('M'), 18).info;
  assert.deepEqual(
    [known.get('vf')?.shape, known.get('hs')?.shape],
    [
      [2, 3],
      [3, 2, 3],
    ],
  );
  const fed = inferShapes(loopGraph('input'), 18).info;
  assert.deepEqual(
    [fed.get('vf')?.shape, fed.get('hs')?.shape, fed.get('y')?.shape],
    [
      [2, 3],
      [null, 2, 3],
      [2, 3],
    ],
  );
  assert.deepEqual(inferShapes(shapeTripGraph('T'), 18).info.get('hs')?.shape, ['T', 2, 3]); // the symbolic length flows through Shape -> Gather
});

test('a Loop whose trip count is Shape(x)[0] unrolls once that axis is static, and computes what the Loop computes', () => {
  const rng = new Rng(6);
  const feeds = { x: randTensor(rng, [2, 3]), W: randTensor(rng, [3, 3]), T: randTensor(rng, [4]) };
  const symbolic = shapeTripGraph('T');
  assert.equal(unrollShapedLoops(symbolic, 18), 0);
  assert.ok(symbolic.nodes.some((n) => n.opType === 'Loop'));
  const g = shapeTripGraph(4);
  const want = evaluateGraph(g, feeds, { opset: 18 });
  assert.equal(unrollShapedLoops(g, 18), 1);
  assert.ok(!g.nodes.some((n) => n.opType === 'Loop'));
  assert.equal(g.nodes.filter((n) => n.opType === 'MatMul').length, 4);
  const got = evaluateGraph(g, feeds, { opset: 18 });
  for (const k of ['y', 'hs']) {
    assert.deepEqual(got[k].dims, want[k].dims);
    got[k].data.forEach((v, i) => assert.ok(Math.abs(Number(v) - Number(want[k].data[i])) < 1e-12, `${k}[${i}]`));
  }
  // the body's constant is one initializer, shared by the iterations
  assert.ok(g.initializers.has('tenth'));
  assert.ok(![...g.initializers.keys()].some((k) => k.endsWith('/tenth')));
});

test('shape inference of Scan: scan axes removed in the body, outputs stacked along theirs with the scan length', () => {
  const model = loadModel(join(FIXTURES, 'scan-helper', 'model.onnx'));
  const info = inferShapes(model.graph, 16).info;
  assert.deepEqual(info.get('s_final')?.shape, ['N', 5]);
  assert.deepEqual(info.get('ys')?.shape, ['N', 6, 5]);
  assert.deepEqual(info.get('y')?.shape, ['N', 3]);
});

test('the unrolled Scan trains: gradients of its body weights and input pass the float64 check', async () => {
  const model = loadModel(join(FIXTURES, 'scan-helper', 'model.onnx'));
  const g = model.graph;
  g.inputs[0].shape = [2, 6, 4];
  assert.equal(unrollShapedLoops(g, 16), 1);
  const rng = new Rng(8);
  const feeds: Record<string, ReturnType<typeof randTensor>> = { x: randTensor(rng, [2, 6, 4]) };
  for (const w of ['W', 'U', 'b']) {
    feeds[w] = g.initializers.get(w)! as ReturnType<typeof randTensor>;
    g.initializers.delete(w);
    g.inputs.push({ name: w, dtype: 'float32', shape: [...feeds[w].dims] });
  }
  await checkGradient({ graph: g, feeds, params: ['x', 'W', 'U', 'b'], output: 'y' }, { maxElements: 12 });
});
