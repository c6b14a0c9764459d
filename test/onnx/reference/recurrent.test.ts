import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A, type Node } from '../../../src/onnx/ir.js';
import { evaluateGraph } from '../../../src/onnx/reference/interpreter.js';
import { checkOp, i32, randT, refOp } from './helpers.js';
import { tensor, type Tensor } from '../../../src/onnx/tensor.js';

/** Transposes a float tensor (host form) by `perm`. */
function transpose(t: Tensor, perm: number[]): Tensor {
  const dims = perm.map((p) => t.dims[p]);
  const strides = t.dims.map((_, i) => t.dims.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(t.data.length);
  const idx = new Array(dims.length).fill(0);
  for (let k = 0; k < out.length; k++) {
    let src = 0;
    for (let a = 0; a < dims.length; a++) src += idx[a] * strides[perm[a]];
    out[k] = Number(t.data[src]);
    for (let a = dims.length - 1; a >= 0; a--) {
      if (++idx[a] < dims[a]) break;
      idx[a] = 0;
    }
  }
  return tensor('float32', dims, out);
}

/**
 * ORT's CPU kernels refuse layout=1, so layout 1 is checked against layout 0 (itself checked
 * against ORT) with the batch-first inputs and outputs transposed.
 */
async function checkLayout1(c: ReturnType<typeof recurrentCase>) {
  const l1 = refOp({ ...c, outputs: [...c.outputs] });
  const inputs = c.inputs.map((t, i) =>
    t === null ? null : i === 0 ? transpose(t, [1, 0, 2]) : i === 5 || i === 6 ? transpose(t, [1, 0, 2]) : t,
  );
  const l0 = await checkOp({ ...c, attrs: { ...c.attrs, layout: A.int(0) }, inputs, outputs: [...c.outputs] });
  const asHost = (r: (typeof l0)[string]) => tensor('float32', r.dims, Float32Array.from(r.data as Float64Array));
  const y = transpose(asHost(l0.out0), [2, 0, 1, 3]);
  assert.deepEqual(l1.out0.dims, y.dims);
  l1.out0.data.forEach((v, k) => assert.ok(Math.abs(Number(v) - Number(y.data[k])) < 1e-5, `Y[${k}]`));
  for (const o of ['out1', 'out2'].filter((n) => l0[n])) {
    const h = transpose(asHost(l0[o]), [1, 0, 2]);
    assert.deepEqual(l1[o].dims, h.dims);
    l1[o].data.forEach((v, k) => assert.ok(Math.abs(Number(v) - Number(h.data[k])) < 1e-5, `${o}[${k}]`));
  }
}

const T = 4,
  N = 3,
  I = 5,
  H = 2;

function recurrentCase(
  op: 'LSTM' | 'GRU',
  direction: string,
  layout: number,
  opts: { lens?: boolean; init?: boolean; bias?: boolean; peep?: boolean; lbr?: number } = {},
) {
  const nd = direction === 'bidirectional' ? 2 : 1;
  const G = op === 'LSTM' ? 4 : 3;
  const x = randT(layout ? [N, T, I] : [T, N, I], 1);
  const state = () => randT(layout ? [N, nd, H] : [nd, N, H], 5, -0.5, 0.5);
  const inputs = [
    x,
    randT([nd, G * H, I], 2),
    randT([nd, G * H, H], 3),
    opts.bias ? randT([nd, 2 * G * H], 4) : null,
    opts.lens ? i32([N], [4, 2, 3]) : null,
    opts.init ? state() : null,
    opts.init && op === 'LSTM' ? randT(layout ? [N, nd, H] : [nd, N, H], 6) : null,
    opts.peep ? randT([nd, 3 * H], 7) : null,
  ];
  if (op === 'GRU') inputs.length = 6;
  const attrs: Node['attrs'] = { hidden_size: A.int(H), direction: A.string(direction), layout: A.int(layout) };
  if (op === 'GRU') attrs.linear_before_reset = A.int(opts.lbr ?? 0);
  return {
    op,
    attrs,
    inputs,
    outputs: op === 'LSTM' ? (['float32', 'float32', 'float32'] as const) : (['float32', 'float32'] as const),
  };
}

test('LSTM matches ORT: directions, layouts, sequence_lens, initial states, bias and peepholes', async () => {
  for (const direction of ['forward', 'reverse', 'bidirectional']) {
    for (const layout of [0, 1]) {
      const check = layout
        ? checkLayout1
        : (c: ReturnType<typeof recurrentCase>) => checkOp({ ...c, outputs: [...c.outputs] });
      await check(recurrentCase('LSTM', direction, layout));
      await check(recurrentCase('LSTM', direction, layout, { lens: true, init: true, bias: true, peep: true }));
    }
  }
});

test('GRU matches ORT: directions, layouts, linear_before_reset, sequence_lens and initial state', async () => {
  for (const direction of ['forward', 'reverse', 'bidirectional']) {
    for (const layout of [0, 1]) {
      for (const lbr of [0, 1]) {
        const check = layout
          ? checkLayout1
          : (c: ReturnType<typeof recurrentCase>) => checkOp({ ...c, outputs: [...c.outputs] });
        await check(recurrentCase('GRU', direction, layout, { lbr }));
        await check(recurrentCase('GRU', direction, layout, { lbr, lens: true, init: true, bias: true }));
      }
    }
  }
});

test('LSTM with non-default activations or clip is refused naming the node', () => {
  const c = recurrentCase('LSTM', 'forward', 0);
  const node: Node = {
    name: 'lstm7',
    opType: 'LSTM',
    domain: '',
    inputs: ['x', 'w', 'r'],
    outputs: ['y'],
    attrs: { ...c.attrs, activations: { type: 'strings', value: ['Relu', 'Tanh', 'Tanh'] } },
  };
  const graph = {
    name: 'g',
    nodes: [node],
    inputs: [{ name: 'x', dtype: 'float32' as const, shape: [T, N, I] }],
    outputs: [{ name: 'y', dtype: 'float32' as const }],
    initializers: new Map([
      ['w', c.inputs[1]!],
      ['r', c.inputs[2]!],
    ]),
    valueInfo: new Map(),
  };
  assert.throws(
    () => evaluateGraph(graph, { x: c.inputs[0]! }),
    /node 'lstm7' \(LSTM\): activations \[Relu, Tanh, Tanh\] are not supported/,
  );
  node.attrs = { ...c.attrs, clip: A.float(3) };
  assert.throws(() => evaluateGraph(graph, { x: c.inputs[0]! }), /node 'lstm7' \(LSTM\): cell clipping/);
});
