/** The optimizer's `lr` at every step. */
import type { ScheduleDef } from './schedule.js';

export const constant: ScheduleDef = { name: 'constant', doc: 'the optimizer lr at every step', options: {}, create: (_o, base) => () => base };
