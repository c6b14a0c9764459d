/**
 * The callback registry contract: each callback module exports a `CallbackDef` (name, options
 * schema, factory); `training.callbacks` entries are `{ "type": name, ...options }`. Adding a
 * callback touches its own file and the list in index.ts.
 */
import type { Component } from '../config/component.js';
import type { ExperimentConfig } from '../trainer/experiment-config.js';
import type { Callback } from '../trainer/events.js';

/** What a callback factory knows when it is created (before the run directory exists). */
export interface CallbackCreateContext {
  config: ExperimentConfig;
  /** Position of the entry in `training.callbacks` (for messages and unique state keys). */
  index: number;
}

/** A registered callback. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CallbackDef<O = any> = Component<O, Callback | Promise<Callback>, CallbackCreateContext>;

/** The config path of callback `index`, for messages. */
export const callbackPath = (index: number) => `training.callbacks[${index}]`;
