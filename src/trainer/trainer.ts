/**
 * The Trainer: prepares data, model and sessions from a resolved experiment, runs the fit loop
 * (epochs of training and validation, then the final test), and leaves a complete run directory.
 * ONNX Runtime runs in the SessionManager's worker thread, so the caller's event loop stays free;
 * the host does per step only batch assembly and streaming metrics.
 *
 * Resume is exact: the data order depends only on (seed, epoch), the batch cursor and step are in
 * every checkpoint, and schedules are pure functions of the step, so a resumed run applies the
 * very updates the uninterrupted one would have.
 */
import { performance } from 'node:perf_hooks';
import { relative } from 'node:path';
import { saveModel } from '../onnx/io.js';
import { saveCheckpoint } from './checkpoint.js';
import { asEnvironmentError } from '../util/errors.js';
import type { ExperimentConfig } from './experiment-config.js';
import { parseSystem, type SystemConfig } from '../config/system.js';
import type { LoggingConfig } from '../config/logging.js';
import type { Logger } from '../util/logger.js';
import { openRun } from './run-open.js';
import { computeAll, type Metric } from '../metrics/index.js';
import { StepRunner } from './step-runner.js';
import { RunDir, type MetricsRecord } from './run-dir.js';
import { CallbackDispatch, GIVEN_CALLBACKS_ONLY } from './callback-dispatch.js';
import { RunCheckpoints, weightCopies } from './run-checkpoints.js';
import { prepare, sessionBlock, type BackendChoice, type Prepared } from './setup.js';
import type { TrainingData } from '../datasets/index.js';
import { LearningRate } from './learning-rate.js';
import { EpochLoop, stepsPerEpoch } from './epoch-loop.js';
import {
  type Callback,
  type CallbackSource,
  type FitResult,
  type Metrics,
  type Position,
  type SetupPhase,
  type StopReason,
  type TrainerEvent,
  userPosition,
} from './events.js';
import { writeStepPlacement } from './placement.js';
import { peakRssBytes, resetPeakRss } from '../util/rss.js';

export interface TrainerOptions extends BackendChoice {
  system?: SystemConfig;
  /** Logging; the library default logs to gymnos.log only. */
  logging?: LoggingConfig;
  /** Exact run directory to create (default `<runsDir>/<experiment>/<id>`). */
  output?: string;
  /** Run directory to continue from its newest valid checkpoint. */
  resume?: string;
  signal?: AbortSignal;
  /** The caller's own callbacks (after the configured ones). */
  callbacks?: Callback[];
  /**
   * Builds the callbacks and trackers the config names around `callbacks`: `train()` and gymnosd
   * pass the CallbackProvider. Without one only `callbacks` run, and a config that names
   * callbacks or trackers is refused before training.
   */
  callbackSource?: CallbackSource;
  /** Receives every event (after callbacks). */
  onEvent?: (e: TrainerEvent) => void;
  /** Directory relative paths of the experiment resolve against (default: cwd). */
  baseDir?: string;
  /** Use this data instead of the dataset the config names. */
  data?: TrainingData;
  /** Where console log lines go (default stderr). */
  consoleOut?: { write(s: string): unknown };
}

export class Trainer {
  private readonly system: SystemConfig;
  private run!: RunDir;
  private log!: Logger;
  private p!: Prepared;
  private runner!: StepRunner;
  /** The loop position (0-based epoch index, batch cursor, steps done), shared with the EpochLoop. */
  private readonly pos: Position = { epoch: 0, batch: 0, step: 0 };
  /** The learning-rate function: schedule times the callbacks' factors. */
  private lr?: LearningRate;
  private loop?: EpochLoop;
  /** The callbacks, and what their decisions leave behind. */
  private callbacks!: CallbackDispatch;
  private checkpoints!: RunCheckpoints;
  private records: MetricsRecord[] = [];
  /** Batches a whole epoch trains (all of them; with stepsPerRun > 1 the full runs' worth). */
  private epochBatches = 0;

  constructor(
    readonly config: ExperimentConfig,
    private readonly opts: TrainerOptions = {},
  ) {
    this.system = opts.system ?? parseSystem({}, 'defaults', process.cwd());
  }

  /** Runs training to the end, an abort or a stop decision; rejects when training fails. */
  async fit(): Promise<FitResult> {
    const t0 = performance.now();
    const o = this.opts;
    const cfg = this.config;
    const opened = openRun(o, this.system, cfg.experiment.name);
    const logs = opened.logs;
    this.run = opened.run;
    this.log = logs.logger;
    this.callbacks = this.dispatchTo(o.onEvent);
    let trainMetrics: Metric[] = [];
    try {
      opened.noteRecovery();
      if (!o.resume) this.run.writeJson('config.json', cfg);
      this.state('running');
      this.p = await prepare(cfg, this.system, o.baseDir ?? process.cwd(), o, o.data, o.signal, (ph, f) =>
        this.phase(ph, f),
      );
      this.p.data.saveRun?.(this.run.path);
      for (const w of this.p.warnings) this.log.warn(w);
      this.runner = new StepRunner(this.p.art, this.p.factory, cfg.training.seed);
      await this.phase('sessions', () => this.runner.open());
      this.run.writeJson('platform.json', await this.p.sessions.platform());
      if (!o.resume)
        await writeStepPlacement(
          this.run,
          this.log,
          this.p.sessions,
          this.p.art,
          sessionBlock(cfg, this.system),
          o,
          cfg.training.batchSize,
          this.p.data.numClasses,
        );
      trainMetrics = this.p.newMetrics();
      this.callbacks.attach(await (o.callbackSource ?? GIVEN_CALLBACKS_ONLY).create(cfg, o.callbacks ?? []));
      const { train } = this.p.data;
      const perEpoch = stepsPerEpoch(train, cfg.training);
      const total = perEpoch * cfg.training.epochs;
      this.lr = new LearningRate(this.p.schedule, { stepsPerEpoch: perEpoch, totalSteps: total });
      this.checkpoints = new RunCheckpoints(this.run, this.runner, cfg, this.lr, this.callbacks, trainMetrics);
      // resuming: the newest valid checkpoint's state, and the metrics records up to its step
      const resume = o.resume ? this.checkpoints.restore(this.pos, this.log) : undefined;
      if (resume) this.records = resume.records;
      const resumed = resume?.resumed;
      this.epochBatches = cfg.training.stepsPerRun > 1 ? perEpoch : train.batchCount;
      const loop = new EpochLoop(
        cfg,
        this.p,
        this.runner,
        this.lr,
        {
          signal: o.signal,
          emit: (e) => this.emit(e),
          stopRequested: () => !!this.callbacks.stopRequest,
          checkpoint: (reason, at) => this.checkpoint(reason, at),
        },
        this.pos,
        perEpoch,
        this.callbacks.wantsGradients,
      );
      this.loop = loop;
      await this.setupCallbacks(trainMetrics, perEpoch, total);
      await this.emit({
        type: 'fitStart',
        runDir: this.run.path,
        epochs: cfg.training.epochs,
        stepsPerEpoch: perEpoch,
        totalSteps: total,
        resumed: resumed && { ...this.shown(resumed), checkpoint: resumed.checkpoint },
      });
      let last: { train: Metrics; validation?: Metrics } | undefined;
      let reason: StopReason = 'completed';
      for (; this.pos.epoch < cfg.training.epochs; this.pos.epoch++, this.pos.batch = 0) {
        const te = performance.now();
        const s0 = this.p.clock.seconds;
        if (this.pos.batch === 0) trainMetrics.forEach((m) => m.reset());
        loop.epochSamples = 0;
        resetPeakRss();
        await this.emit({
          type: 'epochStart',
          epoch: this.pos.epoch + 1,
          step: this.pos.step,
          batches: train.batchCount,
          batch: this.pos.batch,
        });
        const stopped = await loop.trainEpoch(train, trainMetrics);
        if (stopped) {
          reason = stopped;
          if (stopped === 'callback') await this.checkpoint('stop', this.pos);
          break;
        }
        const validation = this.p.data.validation ? await loop.evaluate(this.p.data.validation) : undefined;
        if (validation)
          await this.emit({
            type: 'validationEnd',
            epoch: this.pos.epoch + 1,
            step: this.pos.step,
            metrics: validation,
          });
        last = { train: computeAll(trainMetrics), validation };
        const rec: MetricsRecord = {
          kind: 'epoch',
          epoch: this.pos.epoch + 1,
          step: this.pos.step,
          lr: loop.lastLr,
          ...last,
          seconds: (performance.now() - te) / 1000,
          sessionSeconds: this.p.clock.seconds - s0,
        };
        const peakRss = peakRssBytes();
        rec.peak_rss_mb = Math.round((peakRss / 2 ** 20) * 10) / 10;
        this.record(rec);
        await this.emit({
          type: 'epochEnd',
          epoch: this.pos.epoch + 1,
          epochs: cfg.training.epochs,
          step: this.pos.step,
          lr: loop.lastLr,
          train: last.train,
          validation,
          seconds: rec.seconds!,
          sessionSeconds: rec.sessionSeconds!,
          samples: loop.epochSamples,
          peakRssBytes: peakRss,
        });
        await this.checkpoint('epoch', { epoch: this.pos.epoch + 1, batch: 0, step: this.pos.step });
        if (this.callbacks.stopRequest) {
          reason = 'callback';
          this.pos.epoch++;
          this.pos.batch = 0;
          break;
        }
      }
      const result: FitResult = {
        runDir: this.run.path,
        status: 'completed',
        reason,
        epochs: this.pos.epoch,
        step: this.pos.step,
        ...last,
        seconds: 0,
      };
      if (reason === 'aborted') {
        result.status = 'aborted';
        await this.checkpoint('abort', this.pos);
        if (this.restoreAtEnd(result)) {
          result.modelPath = this.run.file('model.onnx');
          saveModel(this.exportModel(), result.modelPath);
        }
      } else {
        this.restoreAtEnd(result);
        if (reason === 'callback') {
          result.status = 'stopped';
          result.message = this.callbacks.stopRequest;
        }
        if (this.p.data.test) {
          result.test = await loop.evaluate(this.p.data.test);
          this.record({ kind: 'test', epoch: this.shown(this.pos).epoch, step: this.pos.step, test: result.test });
          await this.emit({ type: 'testEnd', step: this.pos.step, metrics: result.test });
        }
        result.modelPath = this.run.file('model.onnx');
        saveModel(this.exportModel(), result.modelPath);
      }
      this.state(result.status);
      await this.emit({ type: 'stop', reason, message: result.message, position: this.shown(this.pos) });
      result.seconds = (performance.now() - t0) / 1000;
      await this.emit({ type: 'fitEnd', result });
      return result;
    } catch (e) {
      const err = asEnvironmentError(e) as Error & { code?: string; hint?: string };
      // the details go to gymnos.log only: gymnosd reports the error itself, as one line
      try {
        logs.fileOnly.error(
          { err: { message: err.message, code: err.code, stack: err.stack, hint: err.hint } },
          'training failed',
        );
      } catch {
        /* the log file is what failed */
      }
      try {
        this.state('failed', err.message, undefined, err.code);
      } catch {
        /* a full disk: state.json cannot be written either */
      }
      await this.emit({ type: 'error', message: err.message, code: err.code }).catch(() => undefined);
      await this.emit({ type: 'stop', reason: 'error', message: err.message, position: this.shown(this.pos) }).catch(
        () => undefined,
      );
      throw err;
    } finally {
      await this.runner?.close().catch(() => undefined);
      await this.p?.sessions.close().catch(() => undefined);
      await this.p?.data.close?.().catch(() => undefined);
      logs.close();
      this.run.unlock();
    }
  }

  /** Saves a checkpoint resuming at `at`, then hands on the checkpointSaved event (awaited, in order). */
  private async checkpoint(reason: 'epoch' | 'interval' | 'abort' | 'stop', at: Position): Promise<void> {
    this.checkpoints.checkFinite(this.pos);
    const path = this.run.saveCheckpoint(at.step, this.checkpoints.build(at), this.config.training.checkpoint.keepLast);
    this.state('running', undefined, relative(this.run.path, path));
    this.log.debug({ path, reason, ...at }, 'checkpoint saved');
    await this.emit({ type: 'checkpointSaved', path, reason, position: this.shown(at) });
  }

  /** The run's own metrics record, written for every run (trackers are extra sinks). */
  private record(r: MetricsRecord): void {
    this.records.push(r);
    this.run.appendMetrics(r);
    this.run.writeCsv(this.records);
  }

  private state(
    status: 'running' | 'completed' | 'aborted' | 'stopped' | 'failed',
    error?: string,
    checkpoint?: string,
    errorCode?: string,
  ): void {
    const prev = this.run.readJson<{ checkpoint?: string }>('state.json');
    this.run.writeState({
      status,
      ...this.shown(this.pos),
      seed: this.config.training.seed,
      lr: this.loop?.lastLr ?? 0,
      checkpoint: checkpoint ?? prev?.checkpoint,
      error,
      errorCode,
    });
  }

  /**
   * `at`, a loop position (0-based epoch index, batch cursor; what checkpoints store), as users
   * see it (see `Position`): the 1-based epoch of the latest step and the batches done in it.
   */
  private shown(at: Position): Position {
    return userPosition(at, this.epochBatches);
  }

  /** Runs a set-up phase between two setupPhase events (the progress display shows long ones). */
  private async phase<T>(phase: SetupPhase, f: () => Promise<T>): Promise<T> {
    const t = performance.now();
    await this.emit({ type: 'setupPhase', phase, done: false, seconds: 0 });
    const r = await f();
    await this.emit({ type: 'setupPhase', phase, done: true, seconds: (performance.now() - t) / 1000 });
    return r;
  }

  /** Hands an event to the callbacks (applying their decisions) and the listener. */
  private emit(e: TrainerEvent): Promise<void> {
    return this.callbacks.emit(e);
  }

  /** The dispatch of the run's events: callbacks act through it on this Trainer's run. */
  private dispatchTo(onEvent: TrainerOptions['onEvent']): CallbackDispatch {
    return new CallbackDispatch({
      runDir: this.run.path,
      log: this.log,
      pos: this.pos,
      lr: () => this.lr,
      weightCopies: () => weightCopies(this.runner),
      saveModel: (path) => saveModel(this.exportModel(), path),
      saveCheckpoint: (path, at) => saveCheckpoint(path, this.checkpoints.build(at)),
      onEvent,
    });
  }

  /** The inference model, with the dataset's fitted preprocessing baked in (it takes raw inputs). */
  private exportModel() {
    this.checkpoints.checkFinite(this.pos);
    const m = this.runner.exportModel();
    return this.p.data.bake ? this.p.data.bake(m, this.p.art.dataInputs[0].name) : m;
  }

  /** Puts back the weight copy a callback asked to end with; true when one was restored. */
  private restoreAtEnd(result: FitResult): boolean {
    const restored = this.callbacks.restoreAtEnd(this.runner.state);
    if (restored) result.restoredWeights = restored;
    return !!restored;
  }

  /** Hands each callback what it needs before the first batch; a bad monitor fails here. */
  private async setupCallbacks(metrics: Metric[], stepsPerEpoch: number, totalSteps: number): Promise<void> {
    const names = Object.entries(computeAll(metrics))
      .filter(([, v]) => typeof v === 'number')
      .map(([k]) => k);
    await this.callbacks.setup({
      runDir: this.run.path,
      config: this.config,
      stepsPerEpoch,
      totalSteps,
      metrics: [...names, ...(this.p.data.validation ? names.map((k) => `val_${k}`) : [])],
      baseLr: this.config.training.optimizer.lr,
      weights: () => weightCopies(this.runner),
      gradients: () => this.loop?.lastGradients,
    });
  }
}
