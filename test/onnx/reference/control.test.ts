import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A, type Graph, type Node, type ValueInfo } from '../../../src/onnx/ir.js';
import { evaluateGraph } from '../../../src/onnx/reference/interpreter.js';
import { assertClose, bool, f32, i64, randT, runOrt, toNums } from './helpers.js';

const node = (opType: string, inputs: string[], outputs: string[], attrs: Node['attrs'] = {}): Node => ({
  name: `${opType}_${outputs[0]}`,
  opType,
  domain: '',
  inputs,
  outputs,
  attrs,
});

/**
 * Loop body: x_out = x_in + w (w from the outer scope), scan y = x_out * iter, and
 * cond_out = cond_in AND iter < limit (limit from the outer scope).
 */
function loopBody(): Graph {
  return {
    name: 'body',
    nodes: [
      node('Add', ['x_in', 'w'], ['x_out']),
      node('Cast', ['iter'], ['iter_f'], { to: A.int(1) }),
      node('Mul', ['x_out', 'iter_f'], ['y']),
      node('Less', ['iter', 'limit'], ['keep']),
      node('And', ['cond_in', 'keep'], ['cond_out']),
    ],
    inputs: [
      { name: 'iter', dtype: 'int64', shape: [] },
      { name: 'cond_in', dtype: 'bool', shape: [] },
      { name: 'x_in', dtype: 'float32', shape: [2, 3] },
    ],
    outputs: [
      { name: 'cond_out', dtype: 'bool', shape: [] },
      { name: 'x_out', dtype: 'float32', shape: [2, 3] },
      { name: 'y', dtype: 'float32', shape: [2, 3] },
    ],
    initializers: new Map(),
    valueInfo: new Map(),
  };
}

function loopGraph(withM: boolean, withCond: boolean): Graph {
  const inputs: ValueInfo[] = [
    { name: 'x0', dtype: 'float32', shape: [2, 3] },
    { name: 'w', dtype: 'float32', shape: [3] },
    { name: 'limit', dtype: 'int64', shape: [] },
  ];
  if (withM) inputs.push({ name: 'M', dtype: 'int64', shape: [] });
  if (withCond) inputs.push({ name: 'c', dtype: 'bool', shape: [] });
  return {
    name: 'loop',
    inputs,
    nodes: [
      node('Loop', [withM ? 'M' : '', withCond ? 'c' : '', 'x0'], ['x_final', 'ys'], { body: A.graph(loopBody()) }),
    ],
    outputs: [
      { name: 'x_final', dtype: 'float32' },
      { name: 'ys', dtype: 'float32' },
    ],
    initializers: new Map(),
    valueInfo: new Map(),
  };
}

async function compareWithOrt(g: Graph, feeds: Record<string, ReturnType<typeof f32>>) {
  const ref = evaluateGraph(g, feeds);
  const ort = await runOrt(g, feeds);
  for (const vi of g.outputs) {
    assert.deepEqual(ref[vi.name].dims, ort[vi.name].dims, `${vi.name} dims`);
    assertClose(ref[vi.name].data, ort[vi.name].data, vi.name);
  }
  return ref;
}

test('Loop: carried values, scan outputs, outer-scope reads, M and cond', async () => {
  const x0 = randT([2, 3], 1),
    w = randT([3], 2);
  // M bounds the trip count.
  let r = await compareWithOrt(loopGraph(true, true), {
    x0,
    w,
    limit: i64([], [100]),
    M: i64([], [4]),
    c: bool([], [1]),
  });
  assert.deepEqual(r.ys.dims, [4, 2, 3]);
  // By hand: x_final = x0 + 4w; ys[k] = (x0 + (k+1) w) * k.
  const X0 = Array.from(x0.data as Float32Array),
    W = Array.from(w.data as Float32Array);
  assert.ok(toNums(r.x_final).every((v, i) => Math.abs(v - (X0[i] + 4 * W[i % 3])) < 1e-12));
  assert.ok(
    toNums(r.ys).every((v, i) => {
      const k = Math.floor(i / 6),
        j = i % 6;
      return Math.abs(v - (X0[j] + (k + 1) * W[j % 3]) * k) < 1e-12;
    }),
  );
  // cond turns false at iter 2: three iterations run.
  r = await compareWithOrt(loopGraph(true, true), { x0, w, limit: i64([], [2]), M: i64([], [10]), c: bool([], [1]) });
  assert.deepEqual(r.ys.dims, [3, 2, 3]);
  // No M: the loop runs while cond holds.
  r = await compareWithOrt(loopGraph(false, true), { x0, w, limit: i64([], [4]), c: bool([], [1]) });
  assert.deepEqual(r.ys.dims, [5, 2, 3]);
  // No cond input.
  await compareWithOrt(loopGraph(true, false), { x0, w, limit: i64([], [100]), M: i64([], [3]) });
  // Zero iterations: carried values pass through, scan outputs are empty.
  r = evaluateGraph(loopGraph(true, true), { x0, w, limit: i64([], [100]), M: i64([], [0]), c: bool([], [1]) });
  assert.deepEqual(toNums(r.x_final), X0);
  assert.deepEqual(r.ys.dims, [0, 2, 3]);
});

function branch(name: string, op: string, constant: number): Graph {
  return {
    name,
    nodes: [
      node('Constant', [], [`${name}_k`], { value: A.tensor(f32([], [constant])) }),
      node(op, ['x', `${name}_k`], [`${name}_out`]),
    ],
    inputs: [],
    outputs: [{ name: `${name}_out`, dtype: 'float32' }],
    initializers: new Map(),
    valueInfo: new Map(),
  };
}

test('If picks its branch; branches read outer-scope values', async () => {
  const g: Graph = {
    name: 'if',
    inputs: [
      { name: 'c', dtype: 'bool', shape: [] },
      { name: 'x', dtype: 'float32', shape: [2, 2] },
    ],
    nodes: [
      node('If', ['c'], ['y'], {
        then_branch: A.graph(branch('then', 'Add', 1)),
        else_branch: A.graph(branch('else', 'Mul', 2)),
      }),
    ],
    outputs: [{ name: 'y', dtype: 'float32' }],
    initializers: new Map(),
    valueInfo: new Map(),
  };
  const x = f32([2, 2], [1, 2, 3, 4]);
  const t = await compareWithOrt(g, { c: bool([], [1]), x });
  assert.deepEqual(toNums(t.y), [2, 3, 4, 5]);
  const e = await compareWithOrt(g, { c: bool([], [0]), x });
  assert.deepEqual(toNums(e.y), [2, 4, 6, 8]);
});

test('If nested in a Loop body sees both the body and the main graph scopes', async () => {
  const thenB: Graph = {
    name: 'then',
    nodes: [node('Add', ['acc_in', 'step'], ['t_out'])],
    inputs: [],
    outputs: [{ name: 't_out', dtype: 'float32' }],
    initializers: new Map(),
    valueInfo: new Map(),
  };
  const elseB: Graph = {
    name: 'else',
    nodes: [node('Sub', ['acc_in', 'step'], ['e_out'])],
    inputs: [],
    outputs: [{ name: 'e_out', dtype: 'float32' }],
    initializers: new Map(),
    valueInfo: new Map(),
  };
  const body: Graph = {
    name: 'body',
    nodes: [
      node('Mod', ['iter', 'two'], ['parity']),
      node('Equal', ['parity', 'zero'], ['even']),
      node('If', ['even'], ['acc_out'], { then_branch: A.graph(thenB), else_branch: A.graph(elseB) }),
      node('Identity', ['cond_in'], ['cond_out']),
    ],
    inputs: [
      { name: 'iter', dtype: 'int64', shape: [] },
      { name: 'cond_in', dtype: 'bool', shape: [] },
      { name: 'acc_in', dtype: 'float32', shape: [3] },
    ],
    outputs: [
      { name: 'cond_out', dtype: 'bool', shape: [] },
      { name: 'acc_out', dtype: 'float32', shape: [3] },
    ],
    initializers: new Map([
      ['two', i64([], [2])],
      ['zero', i64([], [0])],
    ]),
    valueInfo: new Map(),
  };
  const g: Graph = {
    name: 'nested',
    inputs: [
      { name: 'a0', dtype: 'float32', shape: [3] },
      { name: 'step', dtype: 'float32', shape: [3] },
    ],
    nodes: [node('Loop', ['M', '', 'a0'], ['a'], { body: A.graph(body) })],
    outputs: [{ name: 'a', dtype: 'float32' }],
    initializers: new Map([['M', i64([], [5])]]),
    valueInfo: new Map(),
  };
  const r = await compareWithOrt(g, { a0: f32([3], [0, 1, 2]), step: f32([3], [1, 10, 100]) });
  assert.deepEqual(toNums(r.a), [1, 11, 102]);
});
