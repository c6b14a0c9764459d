/** Linear warmup from 0 to lr over warmupSteps, then linear decay to endLr at the last step. */
import { int, num } from '../config/schema.js';
import type { ScheduleDef } from './schedule.js';

export interface LinearOptions {
  warmupSteps: number;
  endLr: number;
}

export const linear: ScheduleDef<LinearOptions> = {
  type: 'linear',
  description: 'linear warmup, then linear decay to endLr',
  options: {
    warmupSteps: int({ min: 0, default: 0, doc: 'optimizer steps of linear warmup' }),
    endLr: num({ min: 0, default: 0, doc: 'rate at the last step' }),
  },
  create: (o, base) => (p) => {
    if (p.step < o.warmupSteps) return (base * (p.step + 1)) / o.warmupSteps;
    const span = Math.max(1, p.totalSteps - o.warmupSteps - 1);
    const t = Math.min(1, (p.step - o.warmupSteps) / span);
    return base + (o.endLr - base) * t;
  },
};
