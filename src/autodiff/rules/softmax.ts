/**
 * Gradient rules for Softmax and LogSoftmax (opset 13+ semantics: one axis, default -1), written
 * with the forward output so nothing is recomputed:
 * Softmax: dX = Y * (dY - sum(dY * Y)); LogSoftmax: dX = dY - exp(Y) * sum(dY), sums over the axis.
 */
import { attrInt } from '../../onnx/ir.js';
import { AutodiffError, type GradRuleFamily } from '../rule.js';
import { axisOf } from './shape-helpers.js';

/** The softmax axis, refusing the pre-13 "flatten to 2-D" semantics. */
function softmaxAxis(c: Parameters<GradRuleFamily['rules'][string]>[0]): number {
  if (c.opset < 13) {
    throw new AutodiffError(
      `${c.where}: ${c.node.opType} before opset 13 normalizes over flattened trailing axes; canonicalize the model to opset 18 first`,
    );
  }
  return axisOf(c, attrInt(c.node, 'axis', -1), c.shape(c.x(0)).length);
}

export const softmaxFamily: GradRuleFamily = {
  family: 'softmax',
  rules: {
    Softmax: (c) => {
      const { b } = c;
      const axis = softmaxAxis(c);
      const [y, dy] = [c.y(0), c.dy(0)!];
      const dot = b.op('ReduceSum', [b.op('Mul', [dy, y]), b.ints([axis])], { keepdims: 1 });
      return [b.op('Mul', [y, b.op('Sub', [dy, dot])], {}, 'softmax_grad')];
    },
    LogSoftmax: (c) => {
      const { b } = c;
      const axis = softmaxAxis(c);
      const [y, dy] = [c.y(0), c.dy(0)!];
      const total = b.op('ReduceSum', [dy, b.ints([axis])], { keepdims: 1 });
      return [b.op('Sub', [dy, b.op('Mul', [b.op('Exp', [y]), total])], {}, 'log_softmax_grad')];
    },
  },
};
