/**
 * Cosine annealing with linear warmup: the rate rises from lr/warmupSteps to lr over warmupSteps,
 * then follows half a cosine from lr down to minLr at the last step.
 */
import { int, num } from '../config/schema.js';
import type { ScheduleDef } from './schedule.js';

export interface CosineOptions {
  warmupSteps: number;
  minLr: number;
}

export const cosine: ScheduleDef<CosineOptions> = {
  type: 'cosine',
  description: 'linear warmup, then cosine annealing to minLr',
  options: {
    warmupSteps: int({ min: 0, default: 0, doc: 'optimizer steps of linear warmup' }),
    minLr: num({ min: 0, default: 0, doc: 'rate at the end of training' }),
  },
  create: (o, base) => (p) => {
    if (p.step < o.warmupSteps) return (base * (p.step + 1)) / o.warmupSteps;
    const span = Math.max(1, p.totalSteps - o.warmupSteps - 1);
    const t = Math.min(1, (p.step - o.warmupSteps) / span);
    return o.minLr + (base - o.minLr) * 0.5 * (1 + Math.cos(Math.PI * t));
  },
};
