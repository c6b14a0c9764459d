/** Step decay: lr * gamma^floor(unit / stepSize), PyTorch's StepLR. */
import { int, num, oneOf } from '../config/schema.js';
import { unitIndex, type ScheduleDef } from './schedule.js';

export interface StepOptions {
  stepSize: number;
  gamma: number;
  unit: 'epoch' | 'step';
}

export const step: ScheduleDef<StepOptions> = {
  type: 'step',
  description: 'multiply the rate by gamma every stepSize epochs (or steps)',
  options: {
    stepSize: int({ min: 1, doc: 'epochs (or steps) between decays' }),
    gamma: num({ exclusiveMin: 0, max: 1, default: 0.1, doc: 'decay factor' }),
    unit: oneOf(['epoch', 'step'] as const, { default: 'epoch', doc: 'what stepSize counts' }),
  },
  create: (o, base) => (p) => base * o.gamma ** Math.floor(unitIndex(p, o.unit) / o.stepSize),
};
