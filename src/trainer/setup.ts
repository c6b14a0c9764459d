/**
 * Everything the fit loop needs, prepared and checked before the first batch: the data, the model
 * and its training artifacts, the metrics, the schedule and the sessions. Any mismatch (sample shape
 * against the model input, an unknown session profile, a loss the model cannot take) fails here.
 */
import { performance } from 'node:perf_hooks';
import type { ExperimentConfig } from './experiment-config.js';
import { ConfigError } from '../config/errors.js';
import type { SystemConfig } from '../config/system.js';
import { MODELS } from '../models/factory.js';
import type { TrainingArtifacts, TrainingSpec } from '../autodiff/artifacts.js';
import { buildTrainingArtifactsOffThread } from '../autodiff/off-thread.js';
import { SessionManager } from '../sessions/session-manager.js';
import type { BackendSession, SessionBackend } from '../sessions/types.js';
import { createMetrics, type Metric } from '../metrics/index.js';
import { createSchedule, type Schedule } from '../schedules/index.js';
import { createTrainingData, FeedAdapter, type DataContext, type TrainingData } from '../datasets/index.js';
import type { SessionFactory } from './step-runner.js';
import type { SetupPhase } from './events.js';
import { UserError } from '../util/errors.js';

/** Where the sessions run: a registered backend name ('ort', 'null') or an instance (tests). */
export interface BackendChoice {
  backend?: string | SessionBackend;
  backendOptions?: unknown;
  inWorker?: boolean;
}

/** Host-side time spent waiting for session runs (the worker's compute plus messaging). */
export class SessionClock {
  seconds = 0;
  runs = 0;
  wrap(s: BackendSession): BackendSession {
    return {
      inputNames: s.inputNames,
      outputNames: s.outputNames,
      release: () => s.release(),
      run: async (feeds, outputs, options) => {
        const t = performance.now();
        try {
          return await s.run(feeds, outputs, options);
        } finally {
          this.seconds += (performance.now() - t) / 1000;
          this.runs++;
        }
      },
    };
  }
}

export interface Prepared {
  data: TrainingData;
  /** Problems that do not stop the run but that the user should see (the Trainer logs them). */
  warnings: string[];
  art: TrainingArtifacts;
  feed: FeedAdapter;
  sessions: SessionManager;
  factory: SessionFactory;
  clock: SessionClock;
  schedule: Schedule;
  newMetrics(): Metric[];
  classification: boolean;
}

const CLASSIFICATION_LOSSES = new Set(['softmax_cross_entropy']);

/** The session block with its system.json profile applied. */
export function sessionBlock(cfg: ExperimentConfig, sys: SystemConfig): Record<string, unknown> {
  const { profile, ...rest } = cfg.session as Record<string, unknown>;
  if (profile === undefined) return rest;
  const base = sys.sessionProfiles[profile as string];
  if (!base) {
    const names = Object.keys(sys.sessionProfiles);
    throw new ConfigError('experiment', [
      {
        path: 'session.profile',
        message: `expected one of ${names.length ? names.map((n) => `'${n}'`).join(', ') : '(no profiles: add sessionProfiles to system.json)'} for session.profile but got '${profile}'`,
      },
    ]);
  }
  return { ...(base as Record<string, unknown>), ...rest };
}

/**
 * A training split smaller than one batch: Keras and PyTorch Lightning train on one smaller batch
 * per epoch, and so does Gymnos, with a warning; when incomplete batches are dropped (dropLast, or
 * stepsPerRun > 1) no step would run at all, and that is an error naming the sizes and the remedy.
 */
export function checkBatching(
  t: Pick<ExperimentConfig['training'], 'batchSize' | 'dropLast' | 'stepsPerRun' | 'gradientAccumulation'>,
  trainSize: number,
): string[] {
  const perStep = t.stepsPerRun > 1 ? t.batchSize * t.gradientAccumulation * t.stepsPerRun : t.batchSize;
  const dropping = t.dropLast || t.stepsPerRun > 1;
  if (dropping && perStep > trainSize) {
    const why =
      t.stepsPerRun > 1
        ? `training.stepsPerRun (${t.stepsPerRun}) runs only whole groups of ${perStep} samples`
        : 'training.dropLast drops the incomplete batch';
    throw new ConfigError('experiment', [
      {
        path: 'training.batchSize',
        message: `training.batchSize is ${t.batchSize} but the training split has only ${trainSize} samples, and ${why}: no step would run; lower training.batchSize to at most ${Math.floor(trainSize / (perStep / t.batchSize)) || 1}${t.stepsPerRun > 1 ? ', lower training.stepsPerRun' : ', set training.dropLast to false'} or use more data`,
      },
    ]);
  }
  if (t.batchSize > trainSize)
    return [
      `training.batchSize is ${t.batchSize} but the training split has only ${trainSize} samples: each epoch is one batch of ${trainSize} (as in Keras and PyTorch Lightning); lower training.batchSize to silence this`,
    ];
  return [];
}

/**
 * The data context of a config: how training resolves its dataset block, and how a rebuild
 * (`gymnosd export`, `evaluate`) resolves it again, so both see the same splits.
 */
export function dataContext(
  cfg: ExperimentConfig,
  sys: SystemConfig,
  baseDir: string,
  signal?: AbortSignal,
): DataContext {
  const t = cfg.training;
  return {
    batchSize: t.batchSize,
    evalBatchSize: t.evalBatchSize,
    seed: t.seed,
    dropLast: t.dropLast || t.stepsPerRun > 1,
    baseDir,
    cacheDir: sys.cacheDir,
    signal,
  };
}

/**
 * The model a config names, built for its data (input shape, classes, seed), and the training spec
 * its artifacts are built from: the one path of training (`prepare`) and rebuilds (rebuild.ts).
 */
export function modelAndSpec(
  cfg: ExperimentConfig,
  data: TrainingData,
  baseDir: string,
): { built: ReturnType<typeof MODELS.create>; spec: TrainingSpec } {
  const t = cfg.training;
  const built = MODELS.create(cfg.model, {
    inputShape: data.inputShape,
    outputs: data.numClasses ?? data.targetShape?.[0] ?? 1,
    targetWidth: data.targetShape?.[0],
    seed: t.seed,
    baseDir,
  });
  const spec: TrainingSpec = {
    inputs: built.inputs,
    output: built.output,
    loss: t.loss,
    optimizer: t.optimizer,
    trainable: { ...built.trainable, freeze: [...(built.trainable?.freeze ?? []), ...t.trainable.freeze] },
    paramGroups: built.paramGroups,
    clipGradNorm: t.clipGradNorm,
    clipGradValue: t.clipGradValue,
    stepsPerRun: t.stepsPerRun,
    accumulation: t.gradientAccumulation > 1,
    recompute: t.recompute,
    resolved: true,
  };
  return { built, spec };
}

/**
 * A varying `training.lrSchedule` together with an `lr_scheduler` callback: both feed the one
 * learning-rate function, so the rate is their product, which is rarely what was meant.
 */
export function checkLrSources(t: Pick<ExperimentConfig['training'], 'lrSchedule' | 'callbacks'>): string[] {
  const schedule = (t.lrSchedule as { type: string }).type;
  if (schedule === 'constant' || !t.callbacks.some((c) => c.type === 'lr_scheduler')) return [];
  return [
    `training.lrSchedule is '${schedule}' and an lr_scheduler callback also sets the learning rate: each step's rate is their product (the schedule's rate times the callback's factor); set training.lrSchedule to { "type": "constant" } to let the callback alone drive it`,
  ];
}

/** Runs one set-up phase (the Trainer reports its start and end as events). */
export type PhaseRunner = <T>(phase: SetupPhase, f: () => Promise<T>) => Promise<T>;

export async function prepare(
  cfg: ExperimentConfig,
  sys: SystemConfig,
  baseDir: string,
  choice: BackendChoice,
  dataOverride?: TrainingData,
  signal?: AbortSignal,
  phase: PhaseRunner = (_, f) => f(),
): Promise<Prepared> {
  const t = cfg.training;
  const sessionConfig = sessionBlock(cfg, sys);
  const sessions = new SessionManager(sessionConfig, {
    backend: choice.backend,
    backendOptions: choice.backendOptions,
    inWorker: choice.inWorker,
  });
  try {
    const data =
      dataOverride ??
      (await phase('data', () => createTrainingData(cfg.dataset, dataContext(cfg, sys, baseDir, signal))));
    const warnings = [...checkBatching(t, data.train.size), ...checkLrSources(t)];
    const classification =
      CLASSIFICATION_LOSSES.has(t.loss.type) ||
      (data.numClasses !== undefined && t.loss.type === 'binary_cross_entropy_with_logits');
    const { built, spec } = modelAndSpec(cfg, data, baseDir);
    // off the caller's thread: building the graphs takes up to seconds for large models
    const art = await phase('graphs', () => buildTrainingArtifactsOffThread(built.model, spec));
    if (art.dataInputs.length !== 1)
      throw new UserError(
        `the model has ${art.dataInputs.length} data inputs (${art.dataInputs.map((v) => v.name).join(', ')}); the built-in datasets feed one: select it with model.inputs`,
      );
    const feed = new FeedAdapter(art.dataInputs[0], art.label);
    feed.check(data.inputShape, data.numClasses, data.targetShape);
    feed.checkBatch({
      batchSize: t.batchSize,
      evalBatchSize: t.evalBatchSize,
      dropLast: t.dropLast || t.stepsPerRun > 1,
      train: data.train,
      evals: (
        [
          ['validation', data.validation],
          ['test', data.test],
        ] as const
      ).filter((x): x is ['validation' | 'test', NonNullable<(typeof x)[1]>] => x[1] !== undefined),
    });
    const metricSpecs =
      t.metrics ??
      (classification
        ? [{ type: 'accuracy' }]
        : t.loss.type === 'binary_cross_entropy_with_logits'
          ? []
          : [{ type: 'mse' }, { type: 'mae' }, { type: 'r2' }]);
    const ctx = { numClasses: classification ? data.numClasses : undefined };
    createMetrics(metricSpecs, ctx); // fails now on a metric the task cannot have
    const schedule = createSchedule(t.lrSchedule, t.optimizer.lr);
    const clock = new SessionClock();
    const factory: SessionFactory = async (name, bytes) => clock.wrap(await sessions.createSession(name, bytes));
    return {
      data,
      art,
      feed,
      sessions,
      factory,
      clock,
      schedule,
      classification,
      warnings,
      newMetrics: () => createMetrics(metricSpecs, ctx),
    };
  } catch (e) {
    await sessions.close();
    throw e;
  }
}
