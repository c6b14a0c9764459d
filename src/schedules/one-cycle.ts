/**
 * The one-cycle policy (Smith, as PyTorch's OneCycleLR with cosine annealing): from
 * maxLr/divFactor up to maxLr over pctStart of the run, then down to maxLr/(divFactor*finalDivFactor).
 */
import { num, opt } from '../config/schema.js';
import type { ScheduleDef } from './schedule.js';

export interface OneCycleOptions {
  maxLr?: number;
  pctStart: number;
  divFactor: number;
  finalDivFactor: number;
}

const cosAnneal = (start: number, end: number, pct: number) =>
  end + ((start - end) / 2) * (1 + Math.cos(Math.PI * pct));

export const oneCycle: ScheduleDef<OneCycleOptions> = {
  type: 'one_cycle',
  description: 'warm up to maxLr, then anneal far below the start (super-convergence)',
  options: {
    maxLr: opt(num({ exclusiveMin: 0, doc: 'peak rate (default: the optimizer lr)' })),
    pctStart: num({ exclusiveMin: 0, max: 1, default: 0.3, doc: 'fraction of the run spent rising' }),
    divFactor: num({ exclusiveMin: 0, default: 25, doc: 'start rate = maxLr / divFactor' }),
    finalDivFactor: num({ exclusiveMin: 0, default: 1e4, doc: 'final rate = start rate / finalDivFactor' }),
  },
  create: (o, base) => {
    const max = o.maxLr ?? base;
    const initial = max / o.divFactor;
    const min = initial / o.finalDivFactor;
    return (p) => {
      const up = o.pctStart * p.totalSteps - 1;
      const last = p.totalSteps - 1;
      if (p.step <= up) return cosAnneal(initial, max, up > 0 ? p.step / up : 1);
      return cosAnneal(max, min, last > up ? Math.min(1, (p.step - up) / (last - up)) : 1);
    };
  },
};
