/** The optimizer's `lr` at every step. */
import type { ScheduleDef } from './schedule.js';

export const constant: ScheduleDef = {
  type: 'constant',
  description: 'the optimizer lr at every step',
  options: {},
  create: (_o, base) => () => base,
};
