/**
 * Gradient checks for LSTM and GRU: float64 finite differences through the reference interpreter
 * (itself checked against ORT's forward) and the backward graph run in ORT float32. Every output
 * (Y, Y_h, Y_c) is used as the loss in turn, so each path of the unrolled recurrence is covered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A, type Attr } from '../../src/onnx/ir.js';
import { tensor, type Tensor } from '../../src/onnx/tensor.js';
import { Rng } from '../../src/util/rng.js';
import { checkGradient, randTensor, singleOpGraph } from './helpers.js';
import { differentiate } from '../../src/autodiff/engine.js';
import { gradCheck } from '../../src/autodiff/gradcheck.js';
import { gradRule, withRuleOverride } from '../../src/autodiff/registry.js';
import type { GradRule } from '../../src/autodiff/rule.js';
import { checkSymbolic } from './symbolic-helpers.js';
import { inferShapes } from '../../src/onnx/shapes/infer.js';

const rng = new Rng(1234);
const T = 3,
  N = 2,
  I = 3,
  H = 2;

interface Opts {
  lens?: boolean;
  init?: boolean;
  bias?: boolean;
  peep?: boolean;
  lbr?: number;
}

function recurrentInputs(
  op: 'LSTM' | 'GRU',
  direction: string,
  layout: number,
  o: Opts,
): Array<Tensor | { const: Tensor } | ''> {
  const nd = direction === 'bidirectional' ? 2 : 1;
  const G = op === 'LSTM' ? 4 : 3;
  const state = () => randTensor(rng, layout ? [N, nd, H] : [nd, N, H], -0.5, 0.5);
  const inputs: Array<Tensor | { const: Tensor } | ''> = [
    randTensor(rng, layout ? [N, T, I] : [T, N, I]),
    randTensor(rng, [nd, G * H, I]),
    randTensor(rng, [nd, G * H, H]),
    o.bias ? randTensor(rng, [nd, 2 * G * H]) : '',
    o.lens ? { const: tensor('int32', [N], [T, 2]) } : '',
    o.init ? state() : '',
  ];
  if (op === 'LSTM') inputs.push(o.init ? state() : '', o.peep ? randTensor(rng, [nd, 3 * H]) : '');
  while (inputs[inputs.length - 1] === '') inputs.pop();
  return inputs;
}

async function checkRecurrent(op: 'LSTM' | 'GRU', direction: string, layout: number, o: Opts) {
  const attrs: Record<string, Attr> = { hidden_size: A.int(H), direction: A.string(direction), layout: A.int(layout) };
  if (op === 'GRU') attrs.linear_before_reset = A.int(o.lbr ?? 0);
  const outputs = op === 'LSTM' ? 3 : 2;
  const inputs = recurrentInputs(op, direction, layout, o);
  for (let lossOutput = 0; lossOutput < outputs; lossOutput++) {
    // ONNX Runtime's CPU kernels refuse layout = 1, so that layout is checked in float64 only
    await checkGradient(
      { op, inputs, attrs, outputs, lossOutput },
      { maxElements: 10, skipOrt: layout === 1, tol: 1e-6 },
    );
  }
}

for (const direction of ['forward', 'reverse', 'bidirectional']) {
  test(`LSTM ${direction}: plain, and with sequence_lens, initial states, bias and peepholes; layout 0 and 1`, async () => {
    for (const layout of [0, 1]) {
      await checkRecurrent('LSTM', direction, layout, {});
      await checkRecurrent('LSTM', direction, layout, { lens: true, init: true, bias: true, peep: true });
    }
  });
  test(`GRU ${direction}: linear_before_reset 0 and 1, with and without sequence_lens/initial state/bias; layout 0 and 1`, async () => {
    for (const layout of [0, 1]) {
      for (const lbr of [0, 1]) {
        await checkRecurrent('GRU', direction, layout, { lbr });
        await checkRecurrent('GRU', direction, layout, { lbr, lens: true, init: true, bias: true });
      }
    }
  });
}

test('a wrong rule is caught (the check can fail): GRU lbr=1 differentiated as lbr=0', () => {
  const c = singleOpGraph({
    op: 'GRU',
    inputs: recurrentInputs('GRU', 'forward', 0, { bias: true, init: true }),
    attrs: { hidden_size: A.int(H), linear_before_reset: A.int(1) },
    outputs: 2,
  });
  const right = gradRule('GRU')!;
  const wrong: GradRule = (ctx) =>
    right({ ...ctx, node: { ...ctx.node, attrs: { ...ctx.node.attrs, linear_before_reset: A.int(0) } } });
  const r = withRuleOverride('GRU', wrong, () =>
    gradCheck({ graph: c.graph, opset: 18, feeds: c.feeds, params: c.params, output: c.output, seed: 3 }),
  );
  assert.ok(r.worstRelError > 1e-3, `the check missed a wrong GRU gradient (worst ${r.worstRelError})`);
});

test('LSTM and GRU with a symbolic batch: one backward graph, two batch sizes', async () => {
  for (const op of ['LSTM', 'GRU'] as const) {
    const G = op === 'LSTM' ? 4 : 3;
    await checkSymbolic(
      `${op} symbolic batch`,
      [
        [T, 'N', I],
        [1, G * H, I],
        [1, G * H, H],
        [1, 2 * G * H],
        [1, 'N', H],
      ],
      (b, x) =>
        b.opN(op, [x[0], x[1], x[2], x[3], '', x[4]], 2, {
          hidden_size: H,
          ...(op === 'GRU' ? { linear_before_reset: 1 } : {}),
        })[0],
    );
  }
});

test('a symbolic sequence length is refused naming the node', () => {
  const c = singleOpGraph({
    op: 'LSTM',
    inputs: recurrentInputs('LSTM', 'forward', 0, {}),
    attrs: { hidden_size: A.int(H) },
    outputs: 3,
  });
  c.graph.inputs[0].shape = ['T', 'N', I];
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
    /node 'LSTM_under_test' \(LSTM\): the sequence length .* must be static/,
  );
});
