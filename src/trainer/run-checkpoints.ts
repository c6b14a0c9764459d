/**
 * What a run checkpoint holds and how a resume puts it back: the runner's carried tensors
 * (weights, optimizer state), the loop position, the learning-rate factors, the training metrics'
 * state when mid-epoch, and the callbacks' state and weight copies (through the CallbackDispatch).
 * Also the weight checks and copies that checkpoints, model exports and callbacks share.
 */
import { cloneTensor, type Tensor } from '../onnx/tensor.js';
import type { Metric } from '../metrics/index.js';
import type { Logger } from '../util/logger.js';
import type { Checkpoint } from './checkpoint.js';
import type { ExperimentConfig } from './experiment-config.js';
import type { StepRunner } from './step-runner.js';
import type { RunDir, MetricsRecord } from './run-dir.js';
import type { LearningRate } from './learning-rate.js';
import type { CallbackDispatch } from './callback-dispatch.js';
import type { Position } from './events.js';
import { assertFinite, restoreNewest } from './faults.js';
import { readTrainerState, TRAINER_STATE_VERSION, type TrainerState } from './trainer-state.js';

/** The weights (parameters and running statistics, not optimizer state) among a runner's carried tensors. */
export function isWeight(runner: StepRunner, name: string): boolean {
  const c = runner.art.carried.find((x) => x.input === name);
  return !!c && c.kind !== 'optimizer';
}

/** Copies of a runner's current weights (not optimizer state). */
export function weightCopies(runner: StepRunner): Map<string, Tensor> {
  return new Map([...runner.state].filter(([k]) => isWeight(runner, k)).map(([k, t]) => [k, cloneTensor(t)]));
}

export class RunCheckpoints {
  constructor(
    private readonly run: RunDir,
    private readonly runner: StepRunner,
    private readonly config: ExperimentConfig,
    private readonly lr: LearningRate,
    private readonly dispatch: CallbackDispatch,
    /** The training metrics, whose accumulated state a mid-epoch checkpoint keeps. */
    private readonly metrics: Metric[],
  ) {}

  /** With terminateOnNan: fails (naming `pos`) before a checkpoint or model with NaN or infinite weights is written. */
  checkFinite(pos: Position): void {
    if (this.config.training.terminateOnNan)
      assertFinite(
        [...this.runner.state].filter(([k]) => isWeight(this.runner, k)),
        pos,
        this.config,
      );
  }

  /** Weights, optimizer state, position, callback state and weight copies: all a resume at `at` needs. */
  build(at: Position): Checkpoint {
    const kept = new Map<string, Tensor>();
    const trainer: TrainerState = {
      version: TRAINER_STATE_VERSION,
      epoch: at.epoch,
      batch: at.batch,
      lrFactors: this.lr.state(),
      metrics: at.batch ? this.metrics.map((m) => m.state()) : undefined,
      ...this.dispatch.checkpointState(kept),
    };
    const ck = this.runner.checkpoint({ trainer });
    for (const [k, t] of kept) ck.tensors.set(k, t);
    return ck;
  }

  /**
   * Restores the newest valid checkpoint of the run into the runner, `pos`, the learning rate, the
   * metrics and the callbacks. Returns where it resumes (none: the run starts over) and the metrics
   * records up to that step (the later ones are dropped from the run's files).
   */
  restore(pos: Position, log: Logger): { resumed?: Position & { checkpoint: string }; records: MetricsRecord[] } {
    const { found, skipped } = restoreNewest(this.run, this.runner);
    for (const s of skipped) log.warn({ path: s.path, error: s.error }, 'checkpoint unusable; trying the previous one');
    const records = this.run.truncateMetrics(found ? Number(found.checkpoint.meta.step ?? 0) : 0);
    if (!found) {
      log.warn('no usable checkpoint; the run starts over');
      return { records };
    }
    const t = readTrainerState(found.checkpoint.meta, found.path);
    Object.assign(pos, { epoch: t.epoch, batch: t.batch, step: this.runner.step });
    this.lr.load(t.lrFactors);
    if (t.metrics) this.metrics.forEach((m, i) => m.load(t.metrics![i]));
    this.dispatch.load(t, found.checkpoint.tensors);
    log.info({ checkpoint: found.path, ...pos }, 'resumed');
    return { resumed: { ...pos, checkpoint: found.path }, records };
  }
}
