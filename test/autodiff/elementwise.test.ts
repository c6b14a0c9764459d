import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A } from '../../src/onnx/ir.js';
import { tensor } from '../../src/onnx/tensor.js';
import { Rng } from '../../src/util/rng.js';
import { withRuleOverride } from '../../src/autodiff/registry.js';
import { gradCheck } from '../../src/autodiff/gradcheck.js';
import { checkGradient, randTensor, singleOpGraph, OPSET } from './helpers.js';

const rng = new Rng(42);
const r = (dims: number[], lo = -1, hi = 1) => randTensor(rng, dims, lo, hi);

const binaryShapes: Array<[number[], number[]]> = [
  [
    [3, 4],
    [3, 4],
  ],
  [[2, 3, 4], [4]],
  [
    [2, 1, 4],
    [3, 1],
  ],
  [[3, 4], []],
  [
    [1, 4],
    [3, 1],
  ],
];

for (const op of ['Add', 'Sub', 'Mul', 'Div', 'Min', 'Max']) {
  for (const [sa, sb] of binaryShapes) {
    test(`${op} gradient, shapes [${sa}] and [${sb}]`, async () => {
      const b = op === 'Div' ? r(sb, 0.5, 2) : r(sb);
      await checkGradient({ op, inputs: [r(sa), b] });
    });
  }
}

test('Sum and Mean (variadic, broadcasting)', async () => {
  await checkGradient({ op: 'Sum', inputs: [r([2, 3]), r([3]), r([2, 1])] });
  await checkGradient({ op: 'Mean', inputs: [r([2, 3]), r([3]), r([2, 1])] });
  await checkGradient({ op: 'Max', inputs: [r([2, 3]), r([3]), r([2, 1])] });
});

test('Pow gradient for base and exponent, and the constant-2 fast path', async () => {
  await checkGradient({ op: 'Pow', inputs: [r([3, 4], 0.5, 2), r([4], -1.5, 1.5)] });
  await checkGradient({ op: 'Pow', inputs: [r([3, 4]), { const: tensor('float32', [], [2]) }] });
  await checkGradient({ op: 'Pow', inputs: [r([3, 4], 0.5, 2), { const: tensor('float32', [], [3]) }] });
});

const unary: Array<[string, number, number, Record<string, ReturnType<typeof A.float>>?]> = [
  ['Neg', -1, 1],
  ['Sqrt', 0.2, 2],
  ['Exp', -1, 1],
  ['Log', 0.2, 2],
  ['Reciprocal', 0.3, 2],
  ['Abs', -1, 1],
  ['Sin', -2, 2],
  ['Cos', -2, 2],
  ['Identity', -1, 1],
  ['Relu', -1, 1],
  ['LeakyRelu', -1, 1, { alpha: A.float(0.1) }],
  ['Sigmoid', -3, 3],
  ['Tanh', -2, 2],
  ['Erf', -2, 2],
  ['Softplus', -3, 3],
  ['Softsign', -3, 3],
  ['Elu', -2, 2, { alpha: A.float(0.7) }],
  ['HardSigmoid', -4, 4, { alpha: A.float(0.25), beta: A.float(0.4) }],
  ['HardSwish', -5, 5],
  ['Gelu', -3, 3],
  ['Gelu', -3, 3, { approximate: { type: 'string', value: 'tanh' } } as never],
];
for (const [op, lo, hi, attrs] of unary) {
  test(`${op} gradient${attrs ? ` ${JSON.stringify(Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, v.value])))}` : ''}`, async () => {
    // Gelu is an opset-20 op; its tanh form's constants are float32 in the graph, so the float64
    // check sees their rounding (~1e-8 absolute)
    const gelu = op === 'Gelu';
    await checkGradient({ op, inputs: [r([3, 5], lo, hi)], attrs }, gelu ? { opset: 20, tol: 5e-5 } : {});
  });
}

test('PRelu gradient for input and slope', async () => {
  await checkGradient({ op: 'PRelu', inputs: [r([2, 3, 4]), r([3, 1], 0.1, 0.5)] });
});

test('Clip gradient with min, max, and only one bound', async () => {
  await checkGradient({
    op: 'Clip',
    inputs: [r([4, 5], -2, 2), { const: tensor('float32', [], [-0.5]) }, { const: tensor('float32', [], [0.7]) }],
  });
  await checkGradient({ op: 'Clip', inputs: [r([4, 5], -2, 2), '', { const: tensor('float32', [], [0.7]) }] });
});

test('Where gradient routes to the chosen branch and unbroadcasts', async () => {
  const cond = tensor(
    'bool',
    [3, 4],
    Uint8Array.from({ length: 12 }, () => (rng.next() < 0.5 ? 1 : 0)),
  );
  await checkGradient({ op: 'Where', inputs: [{ const: cond }, r([3, 4]), r([4])] });
});

test('Cast between float types passes the gradient back', async () => {
  await checkGradient({ op: 'Cast', inputs: [r([3, 4])], attrs: { to: A.int(1) } });
});

test('MatMul gradient: 2-D, batched, broadcast, 1-D operands, rank-3 by 2-D', async () => {
  const cases: Array<[number[], number[]]> = [
    [
      [3, 4],
      [4, 5],
    ],
    [
      [2, 3, 4],
      [2, 4, 5],
    ],
    [
      [2, 3, 4],
      [4, 5],
    ],
    [
      [3, 4],
      [2, 4, 5],
    ],
    [[4], [4, 5]],
    [[3, 4], [4]],
    [
      [2, 1, 3, 4],
      [3, 4, 2],
    ],
  ];
  for (const [a, b] of cases) await checkGradient({ op: 'MatMul', inputs: [r(a), r(b)] });
});

test('Gemm gradient for every transA/transB, alpha, beta, and bias shapes', async () => {
  for (const ta of [0, 1])
    for (const tb of [0, 1])
      for (const bias of [[5], [3, 5], [1, 5], [3, 1]]) {
        const a = ta ? r([4, 3]) : r([3, 4]);
        const b = tb ? r([5, 4]) : r([4, 5]);
        await checkGradient({
          op: 'Gemm',
          inputs: [a, b, r(bias)],
          attrs: { transA: A.int(ta), transB: A.int(tb), alpha: A.float(0.7), beta: A.float(1.3) },
        });
      }
  await checkGradient({ op: 'Gemm', inputs: [r([3, 4]), r([4, 5])] });
});

test('gradient check catches a deliberately wrong rule (self-test)', () => {
  const c = singleOpGraph({ op: 'Tanh', inputs: [r([3, 4])] });
  // wrong: forgets the (1 - y^2) factor
  const broken = withRuleOverride(
    'Tanh',
    (ctx) => [ctx.dy(0)],
    () => gradCheck({ graph: c.graph, opset: OPSET, feeds: c.feeds, params: c.params }),
  );
  assert.ok(broken.worstRelError > 1e-2, `a wrong Tanh rule must fail the check (got ${broken.worstRelError})`);
  const right = gradCheck({ graph: c.graph, opset: OPSET, feeds: c.feeds, params: c.params });
  assert.ok(right.worstRelError < 1e-6);
  // off by a sign in a broadcasting op
  const m = singleOpGraph({ op: 'Sub', inputs: [r([3, 4]), r([4])] });
  const wrongSub = withRuleOverride(
    'Sub',
    (ctx) => [ctx.dy(0), ctx.unbroadcast(ctx.dy(0)!, ctx.y(0), ctx.x(1))],
    () => gradCheck({ graph: m.graph, opset: OPSET, feeds: m.feeds, params: m.params }),
  );
  assert.ok(wrongSub.worstRelError > 1e-2);
});
