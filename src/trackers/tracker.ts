/**
 * The tracker contract: a tracker consumes the TrainerEvent union (exhaustively) and writes
 * artifacts somewhere: files in the run directory, an MLflow server. Trackers never decide anything
 * about training. Each is registered by name with its options schema and loaded lazily (`import()`
 * only when an experiment configures it).
 */
import type { Component } from '../config/component.js';
import type { CallbackContext, TrainerEvent } from '../trainer/events.js';

export interface Tracker {
  readonly name: string;
  /** Ask for each epoch's last gradients (`ctx.gradients()`). */
  readonly wantsGradients?: boolean;
  /** Before the first batch; throwing fails the run before it trains (e.g. a server that refuses). */
  setup?(ctx: CallbackContext): void | Promise<void>;
  onEvent(e: TrainerEvent): void | Promise<void>;
}

/** A registered tracker: `tracking.trackers` entries are `{ "type": name, ...options }`. */
/**
 * `create` loads the implementation lazily (`import()` only when an experiment names it) and
 * resolves to undefined for the metrics files, which the run directory writes itself because
 * resume truncates them to the checkpoint it continues from.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TrackerDef<O = any> = Component<O, Promise<Tracker | undefined>, void>;
