/** Exponential decay: lr * gamma^unit, PyTorch's ExponentialLR. */
import { num, oneOf } from '../config/schema.js';
import { unitIndex, type ScheduleDef } from './schedule.js';

export interface ExponentialOptions {
  gamma: number;
  unit: 'epoch' | 'step';
}

export const exponential: ScheduleDef<ExponentialOptions> = {
  type: 'exponential',
  description: 'multiply the rate by gamma every epoch (or step)',
  options: {
    gamma: num({ exclusiveMin: 0, max: 1, doc: 'decay factor per unit' }),
    unit: oneOf(['epoch', 'step'] as const, { default: 'epoch', doc: 'what one decay counts' }),
  },
  create: (o, base) => (p) => base * o.gamma ** unitIndex(p, o.unit),
};
