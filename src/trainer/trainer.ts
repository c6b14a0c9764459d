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
import { relative, resolve } from 'node:path';
import { rmSync } from 'node:fs';
import { saveModel } from '../onnx/io.js';
import { cloneTensor, type Tensor } from '../onnx/tensor.js';
import { saveCheckpoint } from './checkpoint.js';
import { writeFileAtomic } from '../util/atomic.js';
import { asEnvironmentError } from '../util/errors.js';
import type { ExperimentConfig } from './experiment-config.js';
import { parseSystem, type SystemConfig } from '../config/system.js';
import { parseLogging, type LoggingConfig } from '../config/logging.js';
import { createLogger, type Logger } from '../util/logger.js';
import { computeAll, type Metric } from '../metrics/index.js';
import { StepRunner } from './step-runner.js';
import { RunDir, type MetricsRecord } from './run-dir.js';
import { assertFinite, restoreNewest } from './faults.js';
import {
  packSnapshots,
  readTrainerState,
  unpackSnapshots,
  TRAINER_STATE_VERSION,
  type Snapshot,
  type TrainerState,
} from './trainer-state.js';
import { prepare, sessionBlock, type BackendChoice, type Prepared } from './setup.js';
import type { TrainingData } from '../datasets/index.js';
import { LearningRate } from './learning-rate.js';
import { EpochLoop, stepsPerEpoch } from './epoch-loop.js';
import {
  describeEvent,
  hookName,
  type Callback,
  type CallbackSource,
  type CallbackContext,
  type Decision,
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

/** Events logged at info level (the others at debug). */
const INFO_EVENTS = new Set<TrainerEvent['type']>(['fitStart', 'epochEnd', 'testEnd', 'fitEnd']);

/** `tracking.trackers` entries that add nothing to the run's own metrics record. */
const RECORD_TRACKERS = new Set(['metrics_jsonl', 'metrics_csv']);

/**
 * Without a CallbackSource: the caller's callbacks only; configured ones would be silently lost, so they are refused.
 */
const GIVEN_ONLY: CallbackSource = {
  async create(config, user) {
    const named = [
      ...config.training.callbacks.map((c) => `training.callbacks '${c.type}'`),
      ...config.tracking.trackers
        .filter((t) => !RECORD_TRACKERS.has(t.type))
        .map((t) => `tracking.trackers '${t.type}'`),
    ];
    if (named.length)
      throw new Error(
        `the config names ${named.join(', ')} but this Trainer was created without a callbackSource; use train() from 'gymnos', or pass callbackSource: CallbackProvider`,
      );
    return user;
  },
};

/** Library default: JSON lines in the run directory, nothing on the console. */
const LIBRARY_LOGGING = parseLogging({ console: { enabled: false } }, 'defaults');

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
  /** Weight copies callbacks asked for (`Decision.snapshot`), by tag. */
  private snapshots = new Map<string, Snapshot>();
  private callbacks: Callback[] = [];
  private trainMetrics: Metric[] = [];
  /** Where a checkpoint taken now resumes (after an epoch's end: the next epoch's start). */
  private resumeAt?: Position;
  private stopRequest?: string;
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
    this.run = o.resume
      ? new RunDir(resolve(o.resume))
      : RunDir.create(this.system.runsDir, cfg.experiment.name, o.output && resolve(o.output));
    const locked = this.run.lock();
    let logs;
    try {
      logs = createLogger(o.logging ?? LIBRARY_LOGGING, this.run.path, o.consoleOut);
    } catch (e) {
      this.run.unlock();
      throw e;
    }
    this.log = logs.logger;
    let trainMetrics: Metric[] = [];
    try {
      if (locked.staleHolder)
        this.log.warn(
          { lock: this.run.file('.lock') },
          `took over the lock of ${locked.staleHolder}, which no longer runs`,
        );
      if (locked.removedTemps.length)
        this.log.info({ files: locked.removedTemps }, 'removed temporary files of interrupted writes');
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
      this.trainMetrics = trainMetrics;
      this.callbacks = await (o.callbackSource ?? GIVEN_ONLY).create(cfg, o.callbacks ?? []);
      const { train } = this.p.data;
      const perEpoch = stepsPerEpoch(train, cfg.training);
      const total = perEpoch * cfg.training.epochs;
      this.lr = new LearningRate(this.p.schedule, { stepsPerEpoch: perEpoch, totalSteps: total });
      const resumed = o.resume ? this.restore(trainMetrics) : undefined;
      this.epochBatches = cfg.training.stepsPerRun > 1 ? perEpoch : train.batchCount;
      const loop = new EpochLoop(
        cfg,
        this.p,
        this.runner,
        this.lr,
        {
          signal: o.signal,
          emit: (e) => this.emit(e),
          stopRequested: () => !!this.stopRequest,
          checkpoint: (reason, at) => this.checkpoint(reason, at, trainMetrics),
        },
        this.pos,
        perEpoch,
        this.callbacks.some((c) => c.wantsGradients),
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
          if (stopped === 'callback') await this.checkpoint('stop', this.pos, trainMetrics);
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
        await this.checkpoint('epoch', { epoch: this.pos.epoch + 1, batch: 0, step: this.pos.step }, trainMetrics);
        if (this.stopRequest) {
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
        await this.checkpoint('abort', this.pos, trainMetrics);
        if (this.restoreAtEnd(result)) {
          result.modelPath = this.run.file('model.onnx');
          saveModel(this.exportModel(), result.modelPath);
        }
      } else {
        this.restoreAtEnd(result);
        if (reason === 'callback') {
          result.status = 'stopped';
          result.message = this.stopRequest;
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
  private async checkpoint(
    reason: 'epoch' | 'interval' | 'abort' | 'stop',
    at: Position,
    metrics: Metric[],
  ): Promise<void> {
    this.checkFinite();
    const path = this.run.saveCheckpoint(
      at.step,
      this.buildCheckpoint(at, metrics),
      this.config.training.checkpoint.keepLast,
    );
    this.state('running', undefined, relative(this.run.path, path));
    this.log.debug({ path, reason, ...at }, 'checkpoint saved');
    await this.emit({ type: 'checkpointSaved', path, reason, position: this.shown(at) });
  }

  /** Weights, optimizer state, position, callback state and weight copies: all a resume needs. */
  private buildCheckpoint(at: Position, metrics: Metric[]) {
    const trainer: TrainerState = {
      version: TRAINER_STATE_VERSION,
      epoch: at.epoch,
      batch: at.batch,
      lrFactors: this.lr?.state() ?? {},
      metrics: at.batch ? metrics.map((m) => m.state()) : undefined,
      callbacks: Object.fromEntries(this.callbacks.filter((c) => c.state).map((c) => [c.name, c.state!()])),
    };
    const kept = new Map<string, Tensor>();
    trainer.snapshots = packSnapshots(this.snapshots, kept);
    const ck = this.runner.checkpoint({ trainer });
    for (const [k, t] of kept) ck.tensors.set(k, t);
    return ck;
  }

  /** Restores the newest valid checkpoint of the run being resumed. */
  private restore(metrics: Metric[]): (Position & { checkpoint: string }) | undefined {
    const { found, skipped } = restoreNewest(this.run, this.runner);
    for (const s of skipped)
      this.log.warn({ path: s.path, error: s.error }, 'checkpoint unusable; trying the previous one');
    this.records = this.run.truncateMetrics(found ? Number(found.checkpoint.meta.step ?? 0) : 0);
    if (!found) {
      this.log.warn('no usable checkpoint; the run starts over');
      return undefined;
    }
    const t = readTrainerState(found.checkpoint.meta, found.path);
    Object.assign(this.pos, { epoch: t.epoch, batch: t.batch, step: this.runner.step });
    this.lr!.load(t.lrFactors);
    this.snapshots = unpackSnapshots(t, found.checkpoint.tensors);
    if (t.metrics) metrics.forEach((m, i) => m.load(t.metrics![i]));
    for (const c of this.callbacks) if (c.load && t.callbacks?.[c.name] !== undefined) c.load(t.callbacks[c.name]);
    this.log.info({ checkpoint: found.path, ...this.pos }, 'resumed');
    return { ...this.pos, checkpoint: found.path };
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

  /** With terminateOnNan: fails before a checkpoint or model with NaN or infinite weights is written. */
  private checkFinite(): void {
    if (this.config.training.terminateOnNan)
      assertFinite(
        [...this.runner.state].filter(([k]) => this.isWeight(k)),
        this.pos,
        this.config,
      );
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
  private async emit(e: TrainerEvent): Promise<void> {
    if (e.type !== 'batchEnd')
      this.log?.[INFO_EVENTS.has(e.type) ? 'info' : 'debug']({ event: e.type }, describeEvent(e));
    // the loop's position after an epoch's end: the next epoch's (0-based) index, batch 0
    this.resumeAt = e.type === 'epochEnd' ? { epoch: e.epoch, batch: 0, step: e.step } : undefined;
    for (const c of this.callbacks) {
      const d = await c.onEvent?.(e);
      if (d) this.apply(c.name, d);
      const hook = c[hookName(e.type)] as ((x: TrainerEvent) => Decision | void | Promise<Decision | void>) | undefined;
      const h = await hook?.call(c, e);
      if (h) this.apply(c.name, h);
    }
    this.opts.onEvent?.(e);
  }

  private apply(from: string, d: Decision): void {
    if (d.lrFactor !== undefined && this.lr?.setFactor(from, d.lrFactor)) {
      this.log.info({ callback: from, lrFactor: d.lrFactor, total: this.lr.factor }, 'learning rate scaled');
    }
    if (d.stop && !this.stopRequest) {
      this.stopRequest = `${from}: ${d.stop.reason}`;
      this.log.info({ callback: from, reason: d.stop.reason }, 'stop requested');
    }
    if (d.snapshot) {
      this.snapshots.set(d.snapshot.tag, {
        step: this.pos.step,
        restoreAtEnd: !!d.snapshot.restoreAtEnd,
        tensors: this.weightCopies(),
      });
    }
    for (const a of d.save ?? []) {
      const path = resolve(this.run.path, a.path);
      if (a.format === 'onnx') saveModel(this.exportModel(), path);
      else saveCheckpoint(path, this.buildCheckpoint(this.resumeAt ?? this.pos, this.trainMetrics));
      if (a.meta) writeFileAtomic(`${path}.json`, `${JSON.stringify(a.meta)}\n`);
      this.log.debug({ callback: from, path }, 'callback file saved');
    }
    for (const p of d.delete ?? []) {
      const path = resolve(this.run.path, p);
      rmSync(path, { force: true });
      rmSync(`${path}.json`, { force: true });
    }
  }

  /** The inference model, with the dataset's fitted preprocessing baked in (it takes raw inputs). */
  private exportModel() {
    this.checkFinite();
    const m = this.runner.exportModel();
    return this.p.data.bake ? this.p.data.bake(m, this.p.art.dataInputs[0].name) : m;
  }

  /** Copies of the current weights (not optimizer state). */
  private weightCopies(): Map<string, Tensor> {
    return new Map([...this.runner.state].filter(([k]) => this.isWeight(k)).map(([k, t]) => [k, cloneTensor(t)]));
  }

  private isWeight(name: string): boolean {
    const c = this.runner.art.carried.find((x) => x.input === name);
    return !!c && c.kind !== 'optimizer';
  }

  /** Puts back the weight copy a callback asked to end with; true when one was restored. */
  private restoreAtEnd(result: FitResult): boolean {
    const found = [...this.snapshots].find(([, s]) => s.restoreAtEnd);
    if (!found) return false;
    const [tag, s] = found;
    for (const [k, t] of s.tensors) this.runner.state.set(k, t);
    result.restoredWeights = { tag, step: s.step };
    this.log.info({ tag, step: s.step }, "weights restored from a callback's copy");
    return true;
  }

  /** Hands each callback what it needs before the first batch; a bad monitor fails here. */
  private async setupCallbacks(metrics: Metric[], stepsPerEpoch: number, totalSteps: number): Promise<void> {
    const names = Object.entries(computeAll(metrics))
      .filter(([, v]) => typeof v === 'number')
      .map(([k]) => k);
    const ctx: CallbackContext = {
      runDir: this.run.path,
      config: this.config,
      stepsPerEpoch,
      totalSteps,
      metrics: [...names, ...(this.p.data.validation ? names.map((k) => `val_${k}`) : [])],
      baseLr: this.config.training.optimizer.lr,
      weights: () => this.weightCopies(),
      gradients: () => this.loop?.lastGradients,
    };
    for (const c of this.callbacks) await c.setup?.(ctx);
  }
}
