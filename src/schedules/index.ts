/** The schedule registry, built from the schedule modules (one file each). */
import type { Schedule, ScheduleDef } from './schedule.js';
import { constant } from './constant.js';
import { step } from './step.js';
import { exponential } from './exponential.js';
import { cosine } from './cosine.js';
import { oneCycle } from './one-cycle.js';
import { linear } from './linear.js';

export type { Schedule, ScheduleDef, SchedulePosition } from './schedule.js';
export { constant, step, exponential, cosine, oneCycle, linear };

export const SCHEDULE_DEFS = [constant, step, exponential, cosine, oneCycle, linear] as ScheduleDef<never>[];

/** The schedule `spec` names (already validated by the experiment schema). */
export function createSchedule(spec: { type: string } & Record<string, unknown>, baseLr: number): Schedule {
  const def = SCHEDULE_DEFS.find((d) => d.name === spec.type);
  if (!def) throw new Error(`unknown lrSchedule '${spec.type}'; schedules: ${SCHEDULE_DEFS.map((d) => d.name).join(', ')}`);
  const { type: _t, ...o } = spec;
  return (def as ScheduleDef<Record<string, unknown>>).create(o, baseLr);
}
