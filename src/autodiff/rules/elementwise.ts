/** Gradient rules for arithmetic and elementwise math (broadcasting ops undo their broadcast). */
import { attrInt } from '../../onnx/ir.js';
import { dtypeFromCode, isFloat } from '../../onnx/tensor.js';
import type { GradContext, GradRuleFamily } from '../rule.js';

const unb = (c: GradContext, g: string, i: number) => (c.needs(i) ? c.unbroadcast(g, c.y(0), c.x(i)) : undefined);

/** Gradient for variadic Min/Max: the output's gradient is shared evenly among inputs equal to it. */
function selectGrad(c: GradContext): Array<string | undefined> {
  const { b, node } = c;
  const dy = c.dy(0)!;
  const n = node.inputs.length;
  if (n === 1) return [dy];
  const masks = node.inputs.map((x) => b.op('Cast', [b.op('Equal', [x, c.y(0)])], { to: 1 }));
  if (c.dtype(c.y(0)) !== 'float32')
    masks.forEach((m, i) => {
      masks[i] = b.op('CastLike', [m, c.y(0)]);
    });
  const count = b.op('Sum', masks);
  const share = b.op('Div', [dy, count]);
  return node.inputs.map((_, i) =>
    c.needs(i) ? c.unbroadcast(b.op('Mul', [share, masks[i]]), c.y(0), c.x(i)) : undefined,
  );
}

export const elementwiseFamily: GradRuleFamily = {
  family: 'elementwise',
  rules: {
    Identity: (c) => [c.dy(0)],
    Add: (c) => [unb(c, c.dy(0)!, 0), unb(c, c.dy(0)!, 1)],
    Sub: (c) => [
      unb(c, c.dy(0)!, 0),
      c.needs(1) ? c.unbroadcast(c.b.op('Neg', [c.dy(0)!]), c.y(0), c.x(1)) : undefined,
    ],
    Sum: (c) => c.node.inputs.map((_, i) => unb(c, c.dy(0)!, i)),
    Mean: (c) => {
      const g = c.b.op('Mul', [c.dy(0)!, c.scalar(1 / c.node.inputs.length, c.y(0))]);
      return c.node.inputs.map((_, i) => unb(c, g, i));
    },
    Mul: (c) => {
      const { b } = c;
      const dy = c.dy(0)!;
      return [
        c.needs(0) ? c.unbroadcast(b.op('Mul', [dy, c.x(1)]), c.y(0), c.x(0)) : undefined,
        c.needs(1) ? c.unbroadcast(b.op('Mul', [dy, c.x(0)]), c.y(0), c.x(1)) : undefined,
      ];
    },
    Div: (c) => {
      const { b } = c;
      const dy = c.dy(0)!;
      const da = c.needs(0) ? c.unbroadcast(b.op('Div', [dy, c.x(1)]), c.y(0), c.x(0)) : undefined;
      // d(a/b)/db = -y / b
      const db = c.needs(1)
        ? c.unbroadcast(b.op('Neg', [b.op('Div', [b.op('Mul', [dy, c.y(0)]), c.x(1)])]), c.y(0), c.x(1))
        : undefined;
      return [da, db];
    },
    Neg: (c) => [c.b.op('Neg', [c.dy(0)!])],
    Pow: (c) => {
      const { b } = c;
      const dy = c.dy(0)!;
      const [x, p] = [c.x(0), c.x(1)];
      let dx: string | undefined;
      if (c.needs(0)) {
        const pv = c.value(p);
        let local: string;
        if (pv && pv.length === 1 && pv[0] === 2) local = b.op('Mul', [x, c.scalar(2, x)]);
        else {
          const pf = isFloat(c.dtype(p)) ? p : b.op('CastLike', [p, x]);
          local = b.op('Mul', [pf, b.op('Pow', [x, b.op('Sub', [pf, c.scalar(1, x)])])]);
        }
        dx = c.unbroadcast(b.op('Mul', [dy, local]), c.y(0), x);
      }
      const dp = c.needs(1)
        ? c.unbroadcast(b.op('Mul', [dy, b.op('Mul', [c.y(0), b.op('Log', [x])])]), c.y(0), p)
        : undefined;
      return [dx, dp];
    },
    Sqrt: (c) => [c.b.op('Div', [c.b.op('Mul', [c.dy(0)!, c.scalar(0.5, c.y(0))]), c.y(0)])],
    Exp: (c) => [c.b.op('Mul', [c.dy(0)!, c.y(0)])],
    Log: (c) => [c.b.op('Div', [c.dy(0)!, c.x(0)])],
    Reciprocal: (c) => [c.b.op('Neg', [c.b.op('Mul', [c.dy(0)!, c.b.op('Mul', [c.y(0), c.y(0)])])])],
    Abs: (c) => [c.b.op('Mul', [c.dy(0)!, c.b.op('Sign', [c.x(0)])])],
    Sin: (c) => [c.b.op('Mul', [c.dy(0)!, c.b.op('Cos', [c.x(0)])])],
    Cos: (c) => [c.b.op('Neg', [c.b.op('Mul', [c.dy(0)!, c.b.op('Sin', [c.x(0)])])])],
    Min: selectGrad,
    Max: selectGrad,
    // dY where lo <= x <= hi, i.e. where the output equals the input: dY * (Y == X) as a Mul by the
    // cast mask (3 passes; GreaterOrEqual + LessOrEqual + And + Where measured 1.4x slower: ReLU6)
    Clip: (c) => {
      const x = c.x(0);
      if (!c.x(1) && !c.x(2)) return [c.dy(0)];
      return [c.b.op('Mul', [c.dy(0)!, c.b.op('CastLike', [c.b.op('Equal', [c.y(0), x]), x])])];
    },
    Where: (c) => {
      const { b } = c;
      const dy = c.dy(0)!;
      const zero = c.scalar(0, c.y(0));
      return [
        undefined,
        c.needs(1) ? c.unbroadcast(b.op('Where', [c.x(0), dy, zero]), c.y(0), c.x(1)) : undefined,
        c.needs(2) ? c.unbroadcast(b.op('Where', [c.x(0), zero, dy]), c.y(0), c.x(2)) : undefined,
      ];
    },
    Cast: (c) => {
      const to = dtypeFromCode(attrInt(c.node, 'to'));
      const from = c.dtype(c.x(0));
      if (!isFloat(to) || !isFloat(from)) return [undefined];
      return [from === to ? c.dy(0) : c.b.op('CastLike', [c.dy(0)!, c.x(0)])];
    },
    CastLike: (c) => {
      const to = c.dtype(c.x(1));
      const from = c.dtype(c.x(0));
      if (!isFloat(to) || !isFloat(from)) return [undefined, undefined];
      return [from === to ? c.dy(0) : c.b.op('CastLike', [c.dy(0)!, c.x(0)]), undefined];
    },
  },
};
