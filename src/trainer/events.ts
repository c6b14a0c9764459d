/**
 * The Trainer's progress as one discriminated union. Progress output, trackers, callbacks and the
 * library's event iterator consume it with an exhaustive `switch`, so a new event is a compile
 * error wherever it is not handled.
 */
import type { MetricValue } from '../metrics/index.js';
import type { Tensor } from '../onnx/tensor.js';
import type { ExperimentConfig } from './experiment-config.js';

export type Metrics = Record<string, MetricValue>;

/** Why training stopped. */
export type StopReason = 'completed' | 'aborted' | 'callback' | 'error';

/**
 * Where in training a checkpoint, stop or state.json stands, counted as everywhere a user sees
 * them: `epoch` is the 1-based epoch of the latest optimizer step (0 before any), `batch` the
 * batches of that epoch done (1-based: batch 3 is the third), `step` the optimizer steps done.
 * After epoch 2 of 5 batches: `{ epoch: 2, batch: 5 }`.
 */
export interface Position {
  epoch: number;
  batch: number;
  step: number;
}

/**
 * A loop position (0-based epoch index and batch cursor, as checkpoints store it) as users see it:
 * `{ 1, 0 }` (epoch index 1 about to start) is `{ epoch: 1, batch: epochBatches }`.
 */
export function userPosition(at: Position, epochBatches: number): Position {
  if (at.batch > 0 || at.epoch === 0)
    return { epoch: at.epoch + (at.batch > 0 ? 1 : 0), batch: at.batch, step: at.step };
  return { epoch: at.epoch, batch: epochBatches, step: at.step };
}

/** Set-up phases before `fitStart`: dataset ingest or cache load, training-graph build, session creation. */
export type SetupPhase = 'data' | 'graphs' | 'sessions';

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
  /** The inference export, when training completed or was stopped by a callback (or weights were restored). */
  modelPath?: string;
  /** The weight copy the run ended with, when a callback asked for one (`snapshot.restoreAtEnd`). */
  restoredWeights?: { tag: string; step: number };
  seconds: number;
}

/**
 * Numbering, the same in every event, file and display: epochs and batches count from 1 (epoch 1
 * is the first; a batchEnd's `batch` is the batch just finished, its 1-based index in the epoch),
 * `step` is the number of optimizer steps done so far (the first batchEnd has step 1).
 * `samples` counts the training samples those batches held.
 */
export type TrainerEvent =
  | { type: 'setupPhase'; phase: SetupPhase; done: boolean; seconds: number }
  | {
      type: 'fitStart';
      runDir: string;
      epochs: number;
      stepsPerEpoch: number;
      totalSteps: number;
      resumed?: Position & { checkpoint: string };
    }
  | {
      type: 'epochStart';
      epoch: number;
      step: number;
      batches: number;
      /** Batches of it already done (resumed mid-epoch), else 0. */ batch: number;
    }
  | {
      type: 'batchEnd';
      epoch: number;
      batch: number;
      batches: number;
      step: number;
      samples: number;
      loss: number;
      lr: number;
    }
  | { type: 'validationEnd'; epoch: number; step: number; metrics: Metrics }
  /**
   * `peakRssBytes`: the process's peak resident memory during this epoch (the ONNX Runtime worker
   * shares the process), or the running peak since start where the peak cannot be reset (see
   * src/util/rss.ts); absent where it cannot be measured.
   */
  | {
      type: 'epochEnd';
      epoch: number;
      epochs: number;
      step: number;
      lr: number;
      train: Metrics;
      validation?: Metrics;
      seconds: number;
      sessionSeconds: number;
      samples: number;
      peakRssBytes?: number;
    }
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
  /**
   * This callback's learning-rate factor from now on (replacing its earlier one): the rate of a
   * step is the schedule's times the product of every callback's factor (see LearningRate; the
   * factors are kept in checkpoints).
   */
  lrFactor?: number;
  /**
   * Keep a copy of the current weights (parameters and running statistics) under `tag`, replacing
   * an earlier copy. With `restoreAtEnd` the run ends with this copy however training ends (the
   * test metrics and model.onnx use it; an aborted run's checkpoint keeps the current weights so
   * resume continues where it stopped). Copies travel in checkpoints.
   */
  snapshot?: { tag: string; restoreAtEnd?: boolean };
  /** Files to write from the current weights (atomically), relative to the run directory. */
  save?: SaveAction[];
  /** Files to delete, relative to the run directory. */
  delete?: string[];
}

/** A file the Trainer writes for a callback: an inference model or a full training checkpoint. */
export interface SaveAction {
  path: string;
  format: 'onnx' | 'checkpoint';
  /** Written beside it as `<path>.json` (atomically, after the file itself). */
  meta?: Record<string, unknown>;
}

/** What a callback learns before the first batch. */
export interface CallbackContext {
  runDir: string;
  config: ExperimentConfig;
  /** Names a callback may monitor: train metrics ('loss', 'accuracy') and validation ones ('val_loss'). */
  metrics: string[];
  stepsPerEpoch: number;
  totalSteps: number;
  /** The optimizer's base learning rate. */
  baseLr: number;
  /**
   * The current weights (parameters and running statistics) by name. The tensors are replaced,
   * their buffers moved to the session, at the next step: copy (`cloneTensor`) what you keep.
   */
  weights(): ReadonlyMap<string, Tensor>;
  /**
   * Raw gradients (before clipping) of the last training step of the latest epoch, by parameter;
   * undefined unless a callback sets `wantsGradients` (and for K-step Loop or accumulation runs).
   */
  gradients(): ReadonlyMap<string, Tensor> | undefined;
}

/** Typed per-event hooks: `onFitStart`, `onEpochEnd`, `onBatchEnd`, ... (every one optional). */
export type EventHooks = {
  [K in TrainerEvent['type'] as `on${Capitalize<K>}`]?: (
    event: Extract<TrainerEvent, { type: K }>,
  ) => Decision | void | Promise<Decision | void>;
};

/** The hook a given event goes to. */
export function hookName<K extends TrainerEvent['type']>(type: K): `on${Capitalize<K>}` {
  return `on${type[0].toUpperCase()}${type.slice(1)}` as `on${Capitalize<K>}`;
}

/**
 * A callback: sees every event (through `onEvent` and/or the typed hooks), returns decisions; its
 * state travels in checkpoints, keyed by name.
 */
export interface Callback extends EventHooks {
  readonly name: string;
  /** Ask the Trainer to fetch each epoch's last gradients for `ctx.gradients()` (a copy per epoch). */
  readonly wantsGradients?: boolean;
  /** Before the first batch (after `load` on resume); throwing fails the run before it trains. */
  setup?(ctx: CallbackContext): void | Promise<void>;
  onEvent?(event: TrainerEvent): Decision | void | Promise<Decision | void>;
  state?(): unknown;
  load?(state: unknown): void;
}

/**
 * Builds a run's callbacks: the ones its config names (`training.callbacks`, `tracking.trackers`)
 * around the caller's own. The Trainer is handed one (the CallbackProvider, by the composition
 * above it: `train()`, gymnosd) and imports no callback or tracker module itself.
 */
export interface CallbackSource {
  create(config: ExperimentConfig, user: Callback[]): Promise<Callback[]>;
}

/** What each set-up phase does, as the progress display and the log name it. */
export const PHASE_LABEL: Record<SetupPhase, string> = {
  data: 'preparing the dataset (ingest or cache)',
  graphs: 'building the training graphs',
  sessions: 'creating the ONNX Runtime sessions',
};

/** A metric value in 4 decimals, or 4 significant digits when large or tiny. */
export function fmtNum(v: number): string {
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e4 || a < 1e-3) ? v.toPrecision(4) : v.toFixed(4);
}

/** The metric an epoch line shows beside the loss: the first scalar that is not the loss. */
export function mainMetric(m: Metrics | undefined): string | undefined {
  return Object.entries(m ?? {}).find(([k, v]) => k !== 'loss' && typeof v === 'number')?.[0];
}

/**
 * The compact line of an epoch (about 100 characters): epoch i/N, loss and the main metric, the
 * same for validation, time, samples/s and the peak memory when the event carries it.
 */
export function epochLine(e: Extract<TrainerEvent, { type: 'epochEnd' }>): string {
  const pick = (m: Metrics | undefined, prefix: string) => {
    const keys = ['loss', mainMetric(m)].filter((k): k is string => !!k && typeof m?.[k] === 'number');
    return keys.map((k) => ` ${prefix}${k} ${fmtNum(m![k] as number)}`).join('');
  };
  const rate = e.seconds > 0 ? ` ${Math.round(e.samples / e.seconds)} samples/s` : '';
  const mem = e.peakRssBytes !== undefined ? ` mem ${Math.round(e.peakRssBytes / 2 ** 20)}M` : '';
  return `epoch ${e.epoch}/${e.epochs}${pick(e.train, '')}${pick(e.validation, 'val_')} ${e.seconds.toFixed(1)}s${rate}${mem}`;
}

/** One line for a TTY or a log: what an event says. */
export function describeEvent(e: TrainerEvent): string {
  const fmt = (m?: Metrics) =>
    Object.entries(m ?? {})
      .filter(([, v]) => typeof v === 'number')
      .map(([k, v]) => `${k} ${fmtNum(v as number)}`)
      .join(', ');
  switch (e.type) {
    case 'setupPhase':
      return e.done ? `${PHASE_LABEL[e.phase]}: done in ${e.seconds.toFixed(1)} s` : `${PHASE_LABEL[e.phase]}...`;
    case 'fitStart':
      return `training ${e.epochs} epoch(s), ${e.stepsPerEpoch} step(s) each, in ${e.runDir}${e.resumed ? ` (resumed after epoch ${e.resumed.epoch} batch ${e.resumed.batch}, step ${e.resumed.step})` : ''}`;
    case 'epochStart':
      return `epoch ${e.epoch} starts`;
    case 'batchEnd':
      return `epoch ${e.epoch} batch ${e.batch}/${e.batches} loss ${e.loss.toFixed(4)}`;
    case 'validationEnd':
      return `epoch ${e.epoch} validation: ${fmt(e.metrics)}`;
    case 'epochEnd':
      return epochLine(e);
    case 'checkpointSaved':
      return `checkpoint (${e.reason}) at step ${e.position.step}: ${e.path}`;
    case 'testEnd':
      return `test: ${fmt(e.metrics)}`;
    case 'stop':
      return `stopped (${e.reason})${e.message ? `: ${e.message}` : ''} at step ${e.position.step}`;
    case 'fitEnd':
      return `run ${e.result.status} in ${e.result.seconds.toFixed(1)} s: ${e.result.runDir}`;
    case 'error':
      return `error: ${e.message}`;
  }
}
