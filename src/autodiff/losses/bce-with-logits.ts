/**
 * Binary cross-entropy on logits, PyTorch's `BCEWithLogitsLoss(weight, pos_weight)`:
 *   l = w * [(1 - y) x + (1 + (p - 1) y) softplus(-x)]
 * which without pos_weight is the stable max(x, 0) - x y + log(1 + exp(-|x|)). Softplus keeps the
 * right gradient at x = 0 (sigmoid(x) - y), where the max/abs form would give -y.
 * `pos_weight` and `weight` are a number or one number per element of the last axis.
 */
import { OptionReader } from './options.js';
import { labelLikePrediction, lastAxisConstant, readReduction, reduceAll, requireFloat, type LossDef, type Reduction } from './loss.js';

export interface BceWithLogitsOptions {
  reduction: Reduction;
  /** Weight of positive examples (per class on the last axis, or one number). */
  posWeight?: number[];
  /** Rescaling weight of each element (per class on the last axis, or one number). */
  weight?: number[];
}

export const bceWithLogits: LossDef<BceWithLogitsOptions> = {
  name: 'binary_cross_entropy_with_logits',
  validate(options, where = 'loss') {
    const r = new OptionReader(where, options, ['reduction', 'pos_weight', 'weight']);
    return { reduction: readReduction(r), posWeight: r.numberOrNumbers('pos_weight', 0), weight: r.numberOrNumbers('weight', 0) };
  },
  build(b, options, input) {
    requireFloat('binary_cross_entropy_with_logits', input);
    const { prediction: x, label: y, dtype } = input;
    const one = b.constant(dtype, 1, []);
    const sp = b.op('Softplus', [b.op('Neg', [x])], {}, 'bce_softplus');
    let logTerm = sp;
    if (options.posWeight) {
      const pm1 = lastAxisConstant(b, this.name, 'pos_weight', options.posWeight.map((p) => p - 1), input);
      const lw = b.op('Add', [b.op('Mul', [pm1, y]), one], {}, 'bce_log_weight');
      logTerm = b.op('Mul', [lw, sp]);
    }
    let l = b.op('Add', [b.op('Mul', [b.op('Sub', [one, y]), x]), logTerm], {}, 'bce');
    if (options.weight) l = b.op('Mul', [l, lastAxisConstant(b, this.name, 'weight', options.weight, input)], {}, 'bce_weighted');
    return { loss: reduceAll(b, l, options.reduction), labelInput: labelLikePrediction(input) };
  },
};
