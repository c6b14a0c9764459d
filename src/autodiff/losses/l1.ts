/** Mean absolute error, PyTorch's `L1Loss`: |x - y|, reduced by mean or sum. */
import { component } from '../../config/component.js';
import {
  labelLikePrediction,
  reductionOption,
  reduceAll,
  requireFloat,
  type LossBuild,
  type LossContext,
  type Reduction,
} from './loss.js';

export interface L1Options {
  reduction: Reduction;
}

export const l1 = component({
  type: 'l1',
  description: "mean absolute error (PyTorch's L1Loss), for regression",
  options: { reduction: reductionOption },
  create(o, { b, input }: LossContext): LossBuild {
    requireFloat('l1', input);
    const d = b.op('Sub', [input.prediction, input.label], {}, 'l1_diff');
    return { loss: reduceAll(b, b.op('Abs', [d], {}, 'l1_abs'), o.reduction), labelInput: labelLikePrediction(input) };
  },
});
