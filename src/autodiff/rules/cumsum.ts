/**
 * Gradient rule for CumSum: each input element feeds every later (or, reversed, earlier) output,
 * so the gradient is the CumSum of the output gradient in the opposite direction, with the same
 * `exclusive` setting.
 */
import { attrInt } from '../../onnx/ir.js';
import type { GradRuleFamily } from '../rule.js';

export const cumsumFamily: GradRuleFamily = {
  family: 'cumsum',
  rules: {
    CumSum: (c) => [
      c.b.op('CumSum', [c.dy(0)!, c.x(1)], {
        exclusive: attrInt(c.node, 'exclusive', 0),
        reverse: 1 - attrInt(c.node, 'reverse', 0),
      }),
      undefined,
    ],
  },
};
