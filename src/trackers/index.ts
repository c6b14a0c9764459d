/**
 * The tracker registry. Options schemas live here so that `gymnosd schema` and validation need no
 * tracker code; each implementation is one file loaded only when an experiment names it.
 */
import { bool, num, opt, record, str } from '../config/schema.js';
import { Registry } from '../config/component.js';
import type { TrackerDef } from './tracker.js';
import type { TensorBoardOptions } from './tensorboard.js';
import type { MlflowOptions } from './mlflow.js';

export type { Tracker, TrackerDef } from './tracker.js';

export const metricsJsonl: TrackerDef = {
  type: 'metrics_jsonl',
  description: 'metrics.jsonl: one JSON line per epoch and the test (always written)',
  options: {},
  create: async () => undefined,
};
export const metricsCsv: TrackerDef = {
  type: 'metrics_csv',
  description: 'metrics.csv: one row per epoch and the test, scalar metrics (always written)',
  options: {},
  create: async () => undefined,
};

export const tensorboardOptions = {
  logDir: str({ minLength: 1, default: 'tensorboard', doc: 'event file folder, relative to the run directory' }),
  everySteps: num({ min: 1, default: 1, doc: 'write per-step scalars (loss, learning rate) every this many steps' }),
  histograms: bool({ default: true, doc: 'weight and weight-update histograms at each epoch end' }),
  hparams: bool({ default: true, doc: "the experiment's hyperparameters for the HParams dashboard" }),
};

export const tensorboard: TrackerDef<TensorBoardOptions> = {
  type: 'tensorboard',
  description: 'TensorBoard event files: scalars, learning rate, histograms, hyperparameters',
  options: tensorboardOptions,
  create: async (o) => (await import('./tensorboard.js')).createTensorBoard(o),
};

export const mlflow: TrackerDef<MlflowOptions> = {
  type: 'mlflow',
  description: 'an MLflow tracking server over its REST API: params, metrics, tags, the model artifact',
  options: {
    trackingUri: str({
      minLength: 1,
      doc: 'the server, e.g. http://127.0.0.1:5000 (credentials: MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD)',
    }),
    experimentName: opt(
      str({ minLength: 1, doc: 'MLflow experiment (created when missing; default: the Default experiment)' }),
    ),
    runName: opt(str({ minLength: 1, doc: 'run name (default: the run directory name)' })),
    tags: record(str(), { default: {}, doc: 'extra run tags' }),
    logModel: bool({
      default: true,
      doc: 'upload model.onnx (needs a server with a proxied artifact store, mlflow-artifacts:/)',
    }),
    timeoutMs: num({ min: 1, default: 10000, doc: 'per-request timeout' }),
  },
  create: async (o) => (await import('./mlflow.js')).createMlflow(o),
};

/** Trackers by registered type. */
export const TRACKERS = new Registry<TrackerDef>('tracker', [metricsJsonl, metricsCsv, tensorboard, mlflow]);
