/**
 * Huber loss, PyTorch's `HuberLoss(delta)`: 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta),
 * with d = x - y. Emitted branch-free as q = Min(|d|, delta); 0.5 q^2 + delta (|d| - q), whose
 * gradient (through Min and Abs) is d inside the band and delta * sign(d) outside.
 */
import { num } from '../../config/schema.js';
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

export interface HuberOptions {
  reduction: Reduction;
  delta: number;
}

export const huber = component({
  type: 'huber',
  description: "Huber loss (PyTorch's HuberLoss): quadratic within delta of the target, linear beyond; for regression",
  options: {
    reduction: reductionOption,
    delta: num({ exclusiveMin: 0, default: 1, doc: 'where the loss turns from quadratic to linear' }),
  },
  create(options, { b, input }: LossContext): LossBuild {
    requireFloat('huber', input);
    const c = (v: number) => b.constant(input.dtype, v, []);
    const a = b.op('Abs', [b.op('Sub', [input.prediction, input.label], {}, 'huber_diff')], {}, 'huber_abs');
    const q = b.op('Min', [a, c(options.delta)], {}, 'huber_q');
    const quad = b.op('Mul', [b.op('Mul', [q, q]), c(0.5)], {}, 'huber_quad');
    const lin = b.op('Mul', [b.op('Sub', [a, q]), c(options.delta)], {}, 'huber_lin');
    return {
      loss: reduceAll(b, b.op('Add', [quad, lin], {}, 'huber'), options.reduction),
      labelInput: labelLikePrediction(input),
    };
  },
});
