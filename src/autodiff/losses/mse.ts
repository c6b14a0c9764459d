/** Mean squared error, PyTorch's `MSELoss`: (x - y)^2, reduced by mean or sum. */
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

export interface MseOptions {
  reduction: Reduction;
}

export const mse = component({
  type: 'mse',
  description: "mean squared error (PyTorch's MSELoss), for regression",
  options: { reduction: reductionOption },
  create(o, { b, input }: LossContext): LossBuild {
    requireFloat('mse', input);
    const d = b.op('Sub', [input.prediction, input.label], {}, 'mse_diff');
    return {
      loss: reduceAll(b, b.op('Mul', [d, d], {}, 'mse_sq'), o.reduction),
      labelInput: labelLikePrediction(input),
    };
  },
});
