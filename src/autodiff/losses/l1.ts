/** Mean absolute error, PyTorch's `L1Loss`: |x - y|, reduced by mean or sum. */
import { OptionReader } from './options.js';
import { labelLikePrediction, readReduction, reduceAll, requireFloat, type LossDef, type Reduction } from './loss.js';

export interface L1Options { reduction: Reduction }

export const l1: LossDef<L1Options> = {
  name: 'l1',
  validate(options, where = 'loss') {
    const r = new OptionReader(where, options, ['reduction']);
    return { reduction: readReduction(r) };
  },
  build(b, options, input) {
    requireFloat('l1', input);
    const d = b.op('Sub', [input.prediction, input.label], {}, 'l1_diff');
    return { loss: reduceAll(b, b.op('Abs', [d], {}, 'l1_abs'), options.reduction), labelInput: labelLikePrediction(input) };
  },
};
