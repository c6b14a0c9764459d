/**
 * The inner loop of a fit: one epoch's training steps from the batch cursor on (plain steps, K
 * steps per `run()`, or gradient accumulation), and the evaluation passes over a split. It keeps
 * the loop position and reports through its host (events, interval checkpoints); the Trainer drives
 * epochs, validation, checkpoints at epoch ends, resume and the run directory around it.
 */
import type { ExperimentConfig } from './experiment-config.js';
import { computeAll, type Metric } from '../metrics/index.js';
import { concatRows, type Batch, type DataBatch, type DataSplit } from '../datasets/index.js';
import type { Tensor } from '../onnx/tensor.js';
import type { StepRunner } from './step-runner.js';
import type { Prepared } from './setup.js';
import type { LearningRate } from './learning-rate.js';
import { divergedAt } from './faults.js';
import type { Metrics, Position, StopReason, TrainerEvent } from './events.js';

/** What the loop asks of the Trainer. */
export interface LoopHost {
  readonly signal?: AbortSignal;
  /** Hands an event to the callbacks and listeners (awaited: the loop goes on after them). */
  emit(e: TrainerEvent): Promise<void>;
  /** Saves an interval checkpoint at `at`. */
  checkpoint(reason: 'interval', at: Position): Promise<void>;
  /** Whether a callback asked to stop. */
  stopRequested(): boolean;
}

/** Optimizer steps of one epoch over `train` with these settings. */
export function stepsPerEpoch(
  train: DataSplit,
  t: Pick<ExperimentConfig['training'], 'gradientAccumulation' | 'stepsPerRun'>,
): number {
  const { gradientAccumulation: a, stepsPerRun: k } = t;
  return k > 1 ? Math.floor(Math.floor(train.batchCount / a) / k) * k : Math.ceil(train.batchCount / a);
}

export class EpochLoop {
  /** The rate of the latest step. */
  lastLr = 0;
  /** Training samples of the current epoch so far. */
  epochSamples = 0;
  /** Gradients of the last step of the latest epoch, when a callback wants them. */
  lastGradients?: Map<string, Tensor>;

  constructor(
    private readonly config: ExperimentConfig,
    private readonly p: Prepared,
    private readonly runner: StepRunner,
    private readonly lr: LearningRate,
    private readonly host: LoopHost,
    /**
     * The loop position (0-based epoch index, batch cursor in it, optimizer steps done); the Trainer's object, moved
     * here.
     */
    readonly pos: Position,
    private readonly perEpoch: number,
    private readonly wantsGradients: boolean,
  ) {}

  /** One epoch's training steps from the cursor on; returns a stop reason when interrupted. */
  async trainEpoch(train: DataSplit, metrics: Metric[]): Promise<StopReason | undefined> {
    const { gradientAccumulation: a, stepsPerRun: k } = this.config.training;
    const group: DataBatch[] = [];
    const per = a * k;
    const flush = async () => {
      if (a > 1) return this.accumulateGroup(group, metrics, train);
      const steps: Batch[] = [];
      for (let i = 0; i < group.length; i += a) steps.push(this.p.feed.batch(group.slice(i, i + a)));
      const lrs = steps.map((_, i) => this.lr.at(this.pos.step + i));
      const lastOfEpoch = this.pos.batch + group.length >= train.batchCount;
      const r = await this.runner.runSteps(steps, lrs, { gradients: lastOfEpoch && this.wantsGradients });
      if (r.gradients) this.lastGradients = r.gradients;
      const count = steps.reduce((n, s) => n + s.label.dims[0], 0);
      const label = concatRows(steps.map((s) => s.label));
      const loss = r.losses.reduce((x, y) => x + y, 0) / r.losses.length;
      for (const m of metrics) m.update({ prediction: r.prediction, label, loss, count });
      for (const b of group) b.release?.();
      await this.afterSteps(group, loss, lrs[lrs.length - 1], train);
    };
    for await (const b of train.batches(this.pos.epoch, this.pos.batch)) {
      if (this.host.signal?.aborted) return 'aborted';
      if (this.host.stopRequested()) return 'callback';
      group.push(b);
      if (group.length === per) await flush();
      if (k > 1 && this.epochStepsDone()) break;
    }
    if (group.length && k === 1) {
      if (this.host.signal?.aborted) return 'aborted';
      await flush();
    }
    return undefined;
  }

  /** Whether the current epoch's optimizer steps are all done. */
  private epochStepsDone(): boolean {
    return this.pos.step - this.pos.epoch * this.perEpoch >= this.perEpoch;
  }

  /**
   * Gradient accumulation: each micro-batch's gradients are added up in the graph (parameters
   * unchanged, BatchNormalization statistics per micro-batch), then one optimizer step applies
   * their mean. Memory is that of one micro-batch.
   */
  private async accumulateGroup(group: DataBatch[], metrics: Metric[], train: DataSplit): Promise<void> {
    let lossSum = 0;
    for (const mb of group) {
      const b = this.p.feed.batch([mb]);
      const r = await this.runner.accumulate(b);
      lossSum += r.loss;
      for (const m of metrics)
        m.update({ prediction: r.prediction, label: b.label, loss: r.loss, count: b.label.dims[0] });
      mb.release?.();
    }
    const lr = this.lr.at(this.pos.step);
    await this.runner.applyAccumulated(lr);
    await this.afterSteps(group, lossSum / group.length, lr, train);
  }

  /**
   * After the runner stepped over `group`: position, batchEnd event, interval checkpoint (not on
   * the epoch's last step: the epoch's own checkpoint follows it); empties `group`.
   */
  private async afterSteps(group: DataBatch[], loss: number, lr: number, train: DataSplit): Promise<void> {
    const { everySteps } = this.config.training.checkpoint;
    const before = this.pos.step;
    this.pos.step = this.runner.step;
    this.pos.batch += group.length;
    this.lastLr = lr;
    const samples = group.reduce((n, b) => n + b.target.dims[0], 0);
    this.epochSamples += samples;
    group.length = 0;
    if (this.config.training.terminateOnNan && !Number.isFinite(loss)) throw divergedAt(loss, this.pos, this.config);
    await this.host.emit({
      type: 'batchEnd',
      epoch: this.pos.epoch + 1,
      batch: this.pos.batch,
      batches: train.batchCount,
      step: this.pos.step,
      samples,
      loss,
      lr,
    });
    const crossed = everySteps > 0 && Math.floor(before / everySteps) !== Math.floor(this.pos.step / everySteps);
    if (crossed && !this.epochStepsDone()) await this.host.checkpoint('interval', this.pos);
  }

  /** Metrics of the eval graph over a split. */
  async evaluate(split: DataSplit): Promise<Metrics> {
    const metrics = this.p.newMetrics();
    for await (const b of split.batches(0, 0)) {
      const batch = this.p.feed.batch([b]);
      const r = await this.runner.evaluate(batch);
      for (const m of metrics)
        m.update({ prediction: r.prediction, label: batch.label, loss: r.loss, count: batch.label.dims[0] });
      b.release?.();
    }
    return computeAll(metrics);
  }
}
