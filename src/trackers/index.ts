/**
 * The tracker registry. Options schemas live here so that `gymnosd schema` and validation need no
 * tracker code; each implementation is one file loaded only when an experiment names it.
 */
import { bool, num, opt, record, str } from '../config/schema.js';
import type { TrackerDef } from './tracker.js';
import type { TensorBoardOptions } from './tensorboard.js';
import type { MlflowOptions } from './mlflow.js';

export type { Tracker, TrackerDef } from './tracker.js';

export const metricsJsonl: TrackerDef = { name: 'metrics_jsonl', doc: 'metrics.jsonl: one JSON line per epoch and the test (always written)', options: {} };
export const metricsCsv: TrackerDef = { name: 'metrics_csv', doc: 'metrics.csv: one row per epoch and the test, scalar metrics (always written)', options: {} };

export const tensorboardOptions = {
  logDir: str({ minLength: 1, default: 'tensorboard', doc: 'event file folder, relative to the run directory' }),
  everySteps: num({ min: 1, default: 1, doc: 'write per-step scalars (loss, learning rate) every this many steps' }),
  histograms: bool({ default: true, doc: 'weight and weight-update histograms at each epoch end' }),
  hparams: bool({ default: true, doc: 'the experiment\'s hyperparameters for the HParams dashboard' }),
};

export const tensorboard: TrackerDef<TensorBoardOptions> = {
  name: 'tensorboard', doc: 'TensorBoard event files: scalars, learning rate, histograms, hyperparameters', options: tensorboardOptions,
  load: async () => (await import('./tensorboard.js')).createTensorBoard,
};

export const mlflow: TrackerDef<MlflowOptions> = {
  name: 'mlflow', doc: 'an MLflow tracking server over its REST API: params, metrics, tags, the model artifact',
  options: {
    trackingUri: str({ minLength: 1, doc: 'the server, e.g. http://127.0.0.1:5000 (credentials: MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD)' }),
    experimentName: opt(str({ minLength: 1, doc: 'MLflow experiment (created when missing; default: the Default experiment)' })),
    runName: opt(str({ minLength: 1, doc: 'run name (default: the run directory name)' })),
    tags: record(str(), { default: {}, doc: 'extra run tags' }),
    logModel: bool({ default: true, doc: 'upload model.onnx (needs a server with a proxied artifact store, mlflow-artifacts:/)' }),
    timeoutMs: num({ min: 1, default: 10000, doc: 'per-request timeout' }),
  },
  load: async () => (await import('./mlflow.js')).createMlflow,
};

export const TRACKER_DEFS = [metricsJsonl, metricsCsv, tensorboard, mlflow] as TrackerDef<never>[];
