/**
 * Gymnos, the library: `train(config, { signal })` for Node services, plus the pieces a caller
 * composes (config schemas, the Trainer and its events, metrics, schedules, sessions), and
 * `predict` / `evaluate` for trained models.
 */
export { train, startTraining, type TrainHandle } from './experiment/train.js';
export { Trainer, type TrainerOptions } from './trainer/trainer.js';
export type {
  TrainerEvent,
  FitResult,
  Callback,
  CallbackSource,
  Decision,
  Metrics,
  Position,
  StopReason,
  CallbackContext,
  EventHooks,
  SaveAction,
} from './trainer/events.js';
export { CallbackProvider } from './callbacks/provider.js';
export { CALLBACKS, Monitor, type CallbackDef } from './callbacks/index.js';
export { TRACKERS, type Tracker, type TrackerDef } from './trackers/index.js';
export { TrackerManager } from './trackers/manager.js';
export { readRun, renderReport } from './report/html.js';
export type { TrainingData, DataSplit, DataBatch } from './datasets/index.js';
export {
  parseExperiment,
  experimentJsonSchema,
  loadSystem,
  parseSystem,
  REGISTRIES,
  type ExperimentConfig,
  type SystemConfig,
} from './experiment/index.js';
export {
  loadLogging,
  parseLogging,
  applyOverrides,
  ConfigError,
  Registry,
  type Component,
  type ComponentSpec,
  type LoggingConfig,
} from './config/index.js';
export { METRICS, createMetrics, type Metric, type MetricDef } from './metrics/index.js';
export { SCHEDULES, createSchedule, type Schedule, type ScheduleDef } from './schedules/index.js';
export { SessionManager, type SessionConfig } from './sessions/index.js';
export { StepRunner } from './trainer/step-runner.js';
export { buildTrainingArtifacts, exportInference } from './autodiff/artifacts.js';
export { loadModel, saveModel } from './onnx/io.js';
export { checkModelFile, inspectModel, formatReport, type ModelReport } from './models/inspect.js';
export { modelGradCheck } from './autodiff/model-gradcheck.js';
export { gradCheck } from './autodiff/gradcheck.js';
export { saveCheckpoint, loadCheckpoint, type Checkpoint } from './trainer/checkpoint.js';
export type { TrainingSpec, TrainingArtifacts } from './autodiff/artifacts.js';
export type { Tensor, DType } from './onnx/tensor.js';
export { sweep, writeSweepReport, type SweepOptions, type SweepResult, type SweepHandle } from './sweeps/api.js';
export { parseSweep, loadSweepFile, type Sweep, type SweepFile } from './sweeps/sweep-file.js';
export type { SweepEvent, TrialOutcome, TrialStatus } from './sweeps/events.js';
export {
  predict,
  predictionRecords,
  evaluate,
  type PredictOptions,
  type PredictResult,
  type PredictRecord,
  type ModelSource,
  type EvaluateOptions,
  type EvaluateResult,
  type SplitName,
} from './inference/index.js';
