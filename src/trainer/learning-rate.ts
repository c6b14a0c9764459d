/**
 * The one learning-rate function of a run: the rate of the step about to run is the schedule's
 * rate (`training.lrSchedule`, a pure function of the step) times the product of every callback's
 * learning-rate factor (`Decision.lrFactor`: reduce_lr_on_plateau, lr_scheduler, a library
 * callback). Each callback owns one factor, keyed by its name; a new decision replaces that
 * callback's factor. The factors travel in the checkpoint's TrainerState, so a resumed run applies
 * the very rates the uninterrupted one would have.
 *
 * (`paramGroups[].lrScale`, a model option, is something else: a fixed per-parameter multiplier
 * built into the training graph.)
 */
import type { Schedule, SchedulePosition } from '../schedules/index.js';

export class LearningRate {
  private factors: Record<string, number> = {};
  private product = 1;

  constructor(
    private readonly schedule: Schedule,
    private readonly span: Omit<SchedulePosition, 'step'>,
  ) {}

  /** The rate of optimizer step `step` (0-based: the number of steps already applied). */
  at(step: number): number {
    return this.schedule({ step, ...this.span }) * this.product;
  }

  /** The product of the callbacks' factors (1 without any). */
  get factor(): number {
    return this.product;
  }

  /** Sets callback `from`'s factor; false when it is unchanged. */
  setFactor(from: string, factor: number): boolean {
    if (factor === (this.factors[from] ?? 1)) return false;
    this.factors[from] = factor;
    this.product = Object.values(this.factors).reduce((a, b) => a * b, 1);
    return true;
  }

  /** The factors by callback name (what a checkpoint keeps). */
  state(): Record<string, number> {
    return { ...this.factors };
  }

  /** Puts back the factors of `state()` (a resume). */
  load(factors: Record<string, number>): void {
    this.factors = { ...factors };
    this.product = Object.values(this.factors).reduce((a, b) => a * b, 1);
  }
}
