/**
 * The Trainer's progress as one discriminated union. Progress output, trackers, callbacks and the
 * library's event iterator consume it with an exhaustive `switch`, so a new event is a compile
 * error wherever it is not handled.
 */
import type { MetricValue } from '../metrics/index.js';

export type Metrics = Record<string, MetricValue>;

/** Why training stopped. */
export type StopReason = 'completed' | 'aborted' | 'callback' | 'error';

/** Where in training a checkpoint or stop happened. */
export interface Position { epoch: number; batch: number; step: number }

/** What `fit` resolves to. */
export interface FitResult {
  runDir: string;
  status: 'completed' | 'aborted' | 'stopped' | 'failed';
  reason: StopReason;
  message?: string;
  /** Epochs finished. */
  epochs: number;
  step: number;
  train?: Metrics;
  validation?: Metrics;
  test?: Metrics;
  /** The inference export, when training completed or was stopped by a callback. */
  modelPath?: string;
  seconds: number;
}

export type TrainerEvent =
  | { type: 'fitStart'; runDir: string; epochs: number; stepsPerEpoch: number; totalSteps: number; resumed?: Position & { checkpoint: string } }
  | { type: 'epochStart'; epoch: number; step: number; batches: number }
  | { type: 'batchEnd'; epoch: number; batch: number; batches: number; step: number; loss: number; lr: number }
  | { type: 'validationEnd'; epoch: number; step: number; metrics: Metrics }
  | { type: 'epochEnd'; epoch: number; step: number; lr: number; train: Metrics; validation?: Metrics; seconds: number; sessionSeconds: number }
  | { type: 'checkpointSaved'; path: string; reason: 'epoch' | 'interval' | 'abort' | 'stop'; position: Position }
  | { type: 'testEnd'; step: number; metrics: Metrics }
  | { type: 'stop'; reason: StopReason; message?: string; position: Position }
  | { type: 'fitEnd'; result: FitResult }
  | { type: 'error'; message: string; code?: string };

/**
 * What a callback may ask of the Trainer; the Trainer applies decisions in one place and records
 * why it stopped.
 */
export interface Decision {
  stop?: { reason: string };
  /** Multiplies the scheduled learning rate from now on (kept in the trainer state). */
  lrScale?: number;
}

/** A callback: sees every event, returns decisions; its state travels in checkpoints. */
export interface Callback {
  readonly name: string;
  onEvent?(event: TrainerEvent): Decision | void | Promise<Decision | void>;
  state?(): unknown;
  load?(state: unknown): void;
}

/** One line for a TTY or a log: what an event says. */
export function describeEvent(e: TrainerEvent): string {
  const fmt = (m?: Metrics) => Object.entries(m ?? {}).filter(([, v]) => typeof v === 'number').map(([k, v]) => `${k} ${(v as number).toFixed(4)}`).join(', ');
  switch (e.type) {
    case 'fitStart': return `training ${e.epochs} epoch(s), ${e.stepsPerEpoch} step(s) each, in ${e.runDir}${e.resumed ? ` (resumed at epoch ${e.resumed.epoch + 1}, batch ${e.resumed.batch}, step ${e.resumed.step})` : ''}`;
    case 'epochStart': return `epoch ${e.epoch + 1} starts`;
    case 'batchEnd': return `epoch ${e.epoch + 1} batch ${e.batch}/${e.batches} loss ${e.loss.toFixed(4)}`;
    case 'validationEnd': return `epoch ${e.epoch + 1} validation: ${fmt(e.metrics)}`;
    case 'epochEnd': return `epoch ${e.epoch + 1}: train ${fmt(e.train)}${e.validation ? ` | validation ${fmt(e.validation)}` : ''} (${e.seconds.toFixed(1)} s)`;
    case 'checkpointSaved': return `checkpoint (${e.reason}) at step ${e.position.step}: ${e.path}`;
    case 'testEnd': return `test: ${fmt(e.metrics)}`;
    case 'stop': return `stopped (${e.reason})${e.message ? `: ${e.message}` : ''} at step ${e.position.step}`;
    case 'fitEnd': return `run ${e.result.status} in ${e.result.seconds.toFixed(1)} s: ${e.result.runDir}`;
    case 'error': return `error: ${e.message}`;
  }
}
