/** The schedule registry, built from the schedule modules (one file each). */
import { Registry, type ComponentSpec } from '../config/component.js';
import type { Schedule, ScheduleDef } from './schedule.js';
import { constant } from './constant.js';
import { step } from './step.js';
import { exponential } from './exponential.js';
import { cosine } from './cosine.js';
import { oneCycle } from './one-cycle.js';
import { linear } from './linear.js';

export type { Schedule, ScheduleDef, SchedulePosition } from './schedule.js';
export { constant, step, exponential, cosine, oneCycle, linear };

/** Schedules by registered type. */
export const SCHEDULES = new Registry<ScheduleDef>('lrSchedule', [
  constant,
  step,
  exponential,
  cosine,
  oneCycle,
  linear,
]);

/** The schedule a resolved `spec` names (validated by the experiment schema, or by `SCHEDULES.resolve`). */
export function createSchedule(spec: ComponentSpec, baseLr: number): Schedule {
  return SCHEDULES.create(spec, baseLr, 'training.lrSchedule');
}
