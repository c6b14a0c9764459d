/**
 * Huber loss, PyTorch's `HuberLoss(delta)`: 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta),
 * with d = x - y. Emitted branch-free as q = Min(|d|, delta); 0.5 q^2 + delta (|d| - q), whose
 * gradient (through Min and Abs) is d inside the band and delta * sign(d) outside.
 */
import { OptionReader } from './options.js';
import { labelLikePrediction, readReduction, reduceAll, requireFloat, type LossDef, type Reduction } from './loss.js';

export interface HuberOptions { reduction: Reduction; delta: number }

export const huber: LossDef<HuberOptions> = {
  name: 'huber',
  validate(options, where = 'loss') {
    const r = new OptionReader(where, options, ['reduction', 'delta']);
    return { reduction: readReduction(r), delta: r.number('delta', 1, { min: 0, minOpen: true }) };
  },
  build(b, options, input) {
    requireFloat('huber', input);
    const c = (v: number) => b.constant(input.dtype, v, []);
    const a = b.op('Abs', [b.op('Sub', [input.prediction, input.label], {}, 'huber_diff')], {}, 'huber_abs');
    const q = b.op('Min', [a, c(options.delta)], {}, 'huber_q');
    const quad = b.op('Mul', [b.op('Mul', [q, q]), c(0.5)], {}, 'huber_quad');
    const lin = b.op('Mul', [b.op('Sub', [a, q]), c(options.delta)], {}, 'huber_lin');
    return { loss: reduceAll(b, b.op('Add', [quad, lin], {}, 'huber'), options.reduction), labelInput: labelLikePrediction(input) };
  },
};
