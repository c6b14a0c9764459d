/**
 * Learning-rate schedules: pure functions of the position in training, so a resumed run gets the
 * same rate at the same step with no schedule state to save. Callbacks that change the rate (issue 6)
 * apply a multiplier the Trainer keeps in its state.
 */
import type { Component } from '../config/component.js';

/** Where training is when a rate is asked for. */
export interface SchedulePosition {
  /** Optimizer steps already applied (0 for the first step). */
  step: number;
  /** Optimizer steps per epoch. */
  stepsPerEpoch: number;
  /** Optimizer steps of the whole run. */
  totalSteps: number;
}

/** The rate for the step about to run. */
export type Schedule = (p: SchedulePosition) => number;

/**
 * A registered schedule: `training.lrSchedule` is `{ "type": name, ...options }`; `create`'s context is the optimizer's
 * base `lr`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ScheduleDef<O = any> = Component<O, Schedule, number>;

/** The epoch (0-based) or step a stepped schedule counts in. */
export function unitIndex(p: SchedulePosition, unit: 'epoch' | 'step'): number {
  return unit === 'step' ? p.step : Math.floor(p.step / Math.max(1, p.stepsPerEpoch));
}
