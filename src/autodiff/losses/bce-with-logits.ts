/**
 * Binary cross-entropy on logits, PyTorch's `BCEWithLogitsLoss(weight, pos_weight)`:
 *   l = w * [(1 - y) x + (1 + (p - 1) y) softplus(-x)]
 * which without pos_weight is the stable max(x, 0) - x y + log(1 + exp(-|x|)). Softplus keeps the
 * right gradient at x = 0 (sigmoid(x) - y), where the max/abs form would give -y.
 * `pos_weight` and `weight` are a number or one number per element of the last axis.
 */
import { arr, num, opt, type Schema } from '../../config/schema.js';
import { component } from '../../config/component.js';
import {
  labelLikePrediction,
  lastAxisConstant,
  reductionOption,
  reduceAll,
  requireFloat,
  type LossBuild,
  type LossContext,
  type Reduction,
} from './loss.js';

export interface BceWithLogitsOptions {
  reduction: Reduction;
  /** Weight of positive examples (per class on the last axis, or one number). */
  posWeight?: number[];
  /** Rescaling weight of each element (per class on the last axis, or one number). */
  weight?: number[];
}

/** A number >= 0 or a non-empty list of them, resolved to a list. */
function weights(doc: string): Schema<number[] | undefined> {
  const list = arr(num({ min: 0 }), { minItems: 1 });
  const one = num({ min: 0 });
  return opt({
    doc,
    optional: true,
    parse: (v, path, issues) =>
      typeof v === 'number'
        ? one.parse(v, path, issues) === undefined
          ? undefined
          : [v]
        : list.parse(v, path, issues),
    json: () => ({ description: doc, oneOf: [one.json(), list.json()] }),
  });
}

export const bceWithLogits = component({
  type: 'binary_cross_entropy_with_logits',
  description: "binary cross-entropy on logits (PyTorch's BCEWithLogitsLoss), for binary and multi-label targets",
  options: {
    reduction: reductionOption,
    pos_weight: weights('weight of positive examples: one number, or one per element of the last axis'),
    weight: weights('rescaling weight of each element: one number, or one per element of the last axis'),
  },
  create(o, { b, input }: LossContext): LossBuild {
    const options: BceWithLogitsOptions = { reduction: o.reduction, posWeight: o.pos_weight, weight: o.weight };
    const name = 'binary_cross_entropy_with_logits';
    requireFloat(name, input);
    const { prediction: x, label: y, dtype } = input;
    const one = b.constant(dtype, 1, []);
    const sp = b.op('Softplus', [b.op('Neg', [x])], {}, 'bce_softplus');
    let logTerm = sp;
    if (options.posWeight) {
      const pm1 = lastAxisConstant(
        b,
        name,
        'pos_weight',
        options.posWeight.map((p) => p - 1),
        input,
      );
      const lw = b.op('Add', [b.op('Mul', [pm1, y]), one], {}, 'bce_log_weight');
      logTerm = b.op('Mul', [lw, sp]);
    }
    let l = b.op('Add', [b.op('Mul', [b.op('Sub', [one, y]), x]), logTerm], {}, 'bce');
    if (options.weight)
      l = b.op('Mul', [l, lastAxisConstant(b, name, 'weight', options.weight, input)], {}, 'bce_weighted');
    return { loss: reduceAll(b, l, options.reduction), labelInput: labelLikePrediction(input) };
  },
});
