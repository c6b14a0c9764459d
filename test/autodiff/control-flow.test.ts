/**
 * The If gradient against float64 finite differences of the reference interpreter (which runs the
 * If itself): both branches read parameters and an activation from the outer scope, each branch is
 * taken in turn by the data, and the backward graph runs in ONNX Runtime too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A, emptyGraph, type Graph } from '../../src/onnx/ir.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { inferShapes } from '../../src/onnx/shapes/infer.js';
import { tensor } from '../../src/onnx/tensor.js';
import { Rng } from '../../src/util/rng.js';
import { checkGradient, randTensor } from './helpers.js';

function branch(name: string, build: (b: GraphBuilder) => string): Graph {
  const g = emptyGraph(name);
  const b = new GraphBuilder(g, name);
  const out = build(b);
  g.outputs.push({ name: out, dtype: 'float32' });
  return g;
}

/** y = If(sum(x) > t, then: tanh(h) @ w1, else: (h * h) @ w2 + c) with h = x @ w0 (outer). */
function ifGraph(): Graph {
  const g = emptyGraph('if');
  g.inputs.push(
    { name: 'x', dtype: 'float32', shape: [3, 4] },
    { name: 'w0', dtype: 'float32', shape: [4, 5] },
    { name: 'w1', dtype: 'float32', shape: [5, 2] },
    { name: 'w2', dtype: 'float32', shape: [5, 2] },
    { name: 't', dtype: 'float32', shape: [] },
  );
  const b = new GraphBuilder(g, 'm');
  const h = b.op('MatMul', ['x', 'w0']);
  const cond = b.op('Greater', [b.op('ReduceSum', ['x'], { keepdims: 0 }), 't']);
  const thenG = branch('then', (s) => s.op('MatMul', [s.op('Tanh', [h]), 'w1']));
  const elseG = branch('else', (s) =>
    s.op('Add', [s.op('MatMul', [s.op('Mul', [h, h]), 'w2']), s.constant('float32', 0.5, [])]),
  );
  g.nodes.push({
    name: 'branchy',
    opType: 'If',
    domain: '',
    inputs: [cond],
    outputs: ['y'],
    attrs: { then_branch: A.graph(thenG), else_branch: A.graph(elseG) },
  });
  g.outputs.push({ name: 'y', dtype: 'float32', shape: [3, 2] });
  return g;
}

for (const [name, threshold] of [
  ['then', -100],
  ['else', 100],
] as const) {
  test(`If gradient, ${name} branch taken: every outer read (w0 through h, w1, w2) matches finite differences`, async () => {
    const rng = new Rng(3);
    const feeds = {
      x: randTensor(rng, [3, 4]),
      w0: randTensor(rng, [4, 5]),
      w1: randTensor(rng, [5, 2]),
      w2: randTensor(rng, [5, 2]),
      t: tensor('float32', [], [threshold]),
    };
    const r = await checkGradient(
      { graph: ifGraph(), feeds, params: ['x', 'w0', 'w1', 'w2'], output: 'y' },
      { maxElements: 20 },
    );
    // the branch not taken gives exactly zero gradient to its own weight
    const idle = r.analytic.get(name === 'then' ? 'w2' : 'w1')!;
    assert.ok(idle.every((v) => v === 0));
  });
}

test('If shapes: outputs take the shape both branches agree on', () => {
  const t = inferShapes(ifGraph(), 18);
  assert.deepEqual(t.info.get('y')?.shape, [3, 2]);
});
