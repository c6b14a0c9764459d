/** Mean squared error, PyTorch's `MSELoss`: (x - y)^2, reduced by mean or sum. */
import { OptionReader } from './options.js';
import { labelLikePrediction, readReduction, reduceAll, requireFloat, type LossDef, type Reduction } from './loss.js';

export interface MseOptions { reduction: Reduction }

export const mse: LossDef<MseOptions> = {
  name: 'mse',
  validate(options, where = 'loss') {
    const r = new OptionReader(where, options, ['reduction']);
    return { reduction: readReduction(r) };
  },
  build(b, options, input) {
    requireFloat('mse', input);
    const d = b.op('Sub', [input.prediction, input.label], {}, 'mse_diff');
    return { loss: reduceAll(b, b.op('Mul', [d, d], {}, 'mse_sq'), options.reduction), labelInput: labelLikePrediction(input) };
  },
};
