/**
 * Runs training artifacts: keeps the carried tensors (parameters, optimizer state, running
 * statistics) on the host, feeds them with each batch, and takes the updated values back. The
 * library's lowest-level training API: `build artifacts, then run N steps on given batches`.
 */
import type { BackendSession } from '../sessions/types.js';
import { encodeModel } from '../onnx/io.js';
import { cloneTensor, tensor, type Tensor } from '../onnx/tensor.js';
import { exportInference, ACC_COUNT, type TrainingArtifacts } from '../autodiff/artifacts.js';
import { IO_NAMES } from '../autodiff/io-names.js';
import { CheckpointError, saveCheckpoint, loadCheckpoint, type Checkpoint } from './checkpoint.js';
import type { Batch } from '../datasets/index.js';
import type { Model } from '../onnx/ir.js';

/** One batch: the model's data inputs and the label. */
/** One step's feeds (built by the dataset's FeedAdapter). */
export type { Batch };

export interface StepResult {
  /** Mean loss of the step (for K-step runs: one loss per step). */
  losses: number[];
  /** The prediction output of the last step's run (K-step runs: stacked [K, ...]). */
  prediction: Tensor;
  /** Global gradient norm before clipping, when clipping is on. */
  gradNorms?: number[];
  /** Raw gradients (before clipping) by parameter, when asked for with `{ gradients: true }`. */
  gradients?: Map<string, Tensor>;
}

/** Creates sessions from model bytes (a SessionManager, or anything like it). */
export type SessionFactory = (name: string, model: Uint8Array) => Promise<BackendSession>;

/** Concatenates K batches along a new leading axis (for K-step Loop graphs). */
export function stackTensors(ts: Tensor[]): Tensor {
  const first = ts[0];
  const n = first.data.length;
  const out = tensor(first.dtype, [ts.length, ...first.dims]);
  ts.forEach((t, i) => {
    if (t.data.length !== n || t.dtype !== first.dtype)
      throw new Error(
        `cannot stack batches of different shapes or types ([${first.dims}] ${first.dtype} vs [${t.dims}] ${t.dtype}); use drop-last batching with K-step runs`,
      );
    (out.data as Float32Array).set(t.data as Float32Array, i * n);
  });
  return out;
}

export class StepRunner {
  /**
   * Current carried values by input name. The tensors in it are replaced (and the old ones'
   * buffers moved to the session) at every step: copy a tensor (`cloneTensor`) to keep it.
   */
  readonly state = new Map<string, Tensor>();
  /** Number of optimizer steps applied so far. */
  step = 0;
  /** Seed for in-graph dropout masks. */
  seed: bigint;
  private train?: BackendSession;
  private eval?: BackendSession;
  private accumulateSession?: BackendSession;
  private applySession?: BackendSession;
  /** Micro-batches accumulated since the last optimizer step (gradient accumulation). */
  accumulated = 0;
  /** Micro-batches accumulated over the whole run (seeds the dropout masks of accumulation). */
  microStep = 0;

  constructor(
    readonly art: TrainingArtifacts,
    private readonly sessions: SessionFactory,
    seed = 0,
  ) {
    // own copies: carried buffers are moved into the session worker each step (no copy), so the
    // artifacts' initial values must not be the ones that move
    for (const c of art.carried) this.state.set(c.input, cloneTensor(c.init));
    this.seed = BigInt(seed);
  }

  /** Creates the ONNX Runtime sessions (once). */
  async open(): Promise<void> {
    if (!this.train) this.train = await this.sessions('train', encodeModel(this.art.trainStep));
    if (!this.eval) this.eval = await this.sessions('eval', encodeModel(this.art.evalStep));
  }

  /**
   * Applies `batches.length` optimizer steps (exactly `stepsPerRun` of them for a Loop graph, or
   * one for a single-step graph). `lr` is one rate per step.
   */
  async runSteps(batches: Batch[], lr: number[], options: { gradients?: boolean } = {}): Promise<StepResult> {
    await this.open();
    const K = this.art.stepsPerRun;
    if (batches.length !== K)
      throw new Error(`this train step runs ${K} step(s) per call; got ${batches.length} batch(es)`);
    if (lr.length !== K) throw new Error(`expected ${K} learning rate(s), got ${lr.length}`);
    const feeds: Record<string, Tensor> = {};
    for (const v of this.art.dataInputs) {
      feeds[v.name] = K === 1 ? batches[0].inputs[v.name] : stackTensors(batches.map((b) => b.inputs[v.name]));
      if (!feeds[v.name]) throw new Error(`batch lacks model input '${v.name}'`);
    }
    feeds[IO_NAMES.label] = K === 1 ? batches[0].label : stackTensors(batches.map((b) => b.label));
    feeds[IO_NAMES.lr] = tensor('float32', K === 1 ? [] : [K], Float32Array.from(lr));
    feeds[IO_NAMES.step] = tensor('int64', [], BigInt64Array.of(BigInt(this.step + 1)));
    feeds[IO_NAMES.seed] = tensor('int64', [], BigInt64Array.of(this.seed));
    const used = this.feedsFor(this.train!, feeds, 'train-step');
    // carried tensors move to the worker and come back as new outputs: no copies either way
    const carried = this.art.carried.map((c) => c.input);
    // fetch what the step needs; gradients only when asked (each fetched output is a copy)
    const fetch = [
      IO_NAMES.loss,
      this.art.prediction,
      ...(this.art.hasGradNorm ? [IO_NAMES.gradNorm] : []),
      ...this.art.carried.map((c) => c.output),
    ];
    const withGrads = options.gradients === true && this.art.gradOutputs.size > 0;
    if (withGrads) fetch.push(...this.art.gradOutputs.values());
    const out = await this.train!.run(used, fetch, { transferFeeds: carried });
    for (const c of this.art.carried) this.state.set(c.input, out[c.output]);
    this.step += K;
    const toNums = (t: Tensor) => Array.from(t.data as Float32Array, Number);
    return {
      losses: toNums(out[IO_NAMES.loss]),
      prediction: out[this.art.prediction],
      gradNorms: this.art.hasGradNorm ? toNums(out[IO_NAMES.gradNorm]) : undefined,
      gradients: withGrads ? new Map([...this.art.gradOutputs].map(([p, o]) => [p, out[o]])) : undefined,
    };
  }

  /**
   * Gradient accumulation, first half: forward and backward of one micro-batch, its gradients
   * added into the accumulators (parameters unchanged; running statistics updated). Needs
   * artifacts built with `accumulation: true`.
   */
  async accumulate(batch: Batch): Promise<{ loss: number; prediction: Tensor }> {
    const acc = this.accumulationArtifacts();
    this.accumulateSession ??= await this.sessions('accumulate', encodeModel(acc.accumulateStep));
    if (this.accumulated === 0) for (const a of acc.accumulators) this.state.set(a.input, cloneTensor(a.init));
    const feeds: Record<string, Tensor> = { ...batch.inputs, [IO_NAMES.label]: batch.label };
    feeds[IO_NAMES.step] = tensor('int64', [], BigInt64Array.of(BigInt(this.microStep + 1)));
    feeds[IO_NAMES.seed] = tensor('int64', [], BigInt64Array.of(this.seed));
    const used = this.feedsFor(this.accumulateSession, feeds, 'accumulate-step');
    const moved = acc.accumulateCarried.map((c) => c.input);
    const out = await this.accumulateSession.run(used, undefined, { transferFeeds: moved });
    for (const c of acc.accumulateCarried) this.state.set(c.input, out[c.output]);
    this.accumulated++;
    this.microStep++;
    return { loss: Number((out[IO_NAMES.loss].data as Float32Array)[0]), prediction: out[this.art.prediction] };
  }

  /**
   * Gradient accumulation, second half: one optimizer step with the mean of the accumulated
   * gradients (clipping included), then the accumulators start again from zero.
   */
  async applyAccumulated(lr: number): Promise<{ gradNorm?: number }> {
    const acc = this.accumulationArtifacts();
    if (this.accumulated === 0)
      throw new Error('applyAccumulated: no micro-batch has been accumulated since the last step');
    this.applySession ??= await this.sessions('apply', encodeModel(acc.applyStep));
    const feeds: Record<string, Tensor> = {
      [IO_NAMES.lr]: tensor('float32', [], Float32Array.of(lr)),
      [IO_NAMES.step]: tensor('int64', [], BigInt64Array.of(BigInt(this.step + 1))),
      [ACC_COUNT]: tensor('float32', [], Float32Array.of(this.accumulated)),
    };
    const used = this.feedsFor(this.applySession, feeds, 'apply-step');
    const moved = [...acc.applyCarried.map((c) => c.input), ...acc.accumulators.map((c) => c.input)];
    const out = await this.applySession.run(used, undefined, { transferFeeds: moved });
    for (const c of acc.applyCarried) this.state.set(c.input, out[c.output]);
    for (const a of acc.accumulators) this.state.delete(a.input);
    this.accumulated = 0;
    this.step++;
    return { gradNorm: this.art.hasGradNorm ? Number((out[IO_NAMES.gradNorm].data as Float32Array)[0]) : undefined };
  }

  /** The feeds `session` takes: `feeds` plus the carried state, each input present. */
  private feedsFor(session: BackendSession, feeds: Record<string, Tensor>, what: string): Record<string, Tensor> {
    const used: Record<string, Tensor> = {};
    for (const n of session.inputNames) {
      const t = feeds[n] ?? this.state.get(n);
      if (!t) throw new Error(`internal: no feed for ${what} input '${n}'`);
      const fixed = this.art.dataInputs.find((v) => v.name === n)?.shape;
      // (K-step runs feed [K, ...] stacks: those are checked per batch by their shapes' tail)
      const off = fixed ? t.dims.length - fixed.length : 0;
      if (fixed && (off === 0 || off === 1) && fixed.some((d, i) => typeof d === 'number' && t.dims[i + off] !== d)) {
        throw new Error(
          `model input '${n}' takes [${fixed.map((d) => d ?? '?').join(', ')}] but the batch has [${t.dims.slice(off).join(', ')}]; the export fixes those sizes: set model.inputShapes: { "${n}": [${fixed.map((d, i) => (i === 0 ? 'null' : typeof d === 'number' ? d : 'null')).join(', ')}] } to make a fixed batch symbolic, or feed matching data`,
        );
      }
      used[n] = t;
    }
    return used;
  }

  private accumulationArtifacts() {
    if (!this.art.accumulation)
      throw new Error('gradient accumulation needs training artifacts built with `accumulation: true`');
    return this.art.accumulation;
  }

  /** Loss and prediction for one batch with inference-mode layers and the current weights. */
  async evaluate(batch: Batch): Promise<{ loss: number; prediction: Tensor }> {
    await this.open();
    const feeds: Record<string, Tensor> = { ...batch.inputs, [IO_NAMES.label]: batch.label };
    const used = this.feedsFor(this.eval!, feeds, 'eval-step');
    const out = await this.eval!.run(used, undefined, { transferFeeds: false });
    return { loss: Number((out[IO_NAMES.loss].data as Float32Array)[0]), prediction: out[this.art.prediction] };
  }

  /** The inference model with the current weights. */
  exportModel(): Model {
    return exportInference(this.art, this.state);
  }

  /** Everything needed to continue training exactly: carried tensors, step and seed. */
  checkpoint(meta: Record<string, unknown> = {}): Checkpoint {
    return {
      tensors: new Map(this.state),
      meta: {
        ...meta,
        step: this.step,
        seed: this.seed.toString(),
        microStep: this.microStep,
        accumulated: this.accumulated,
      },
    };
  }

  /** Restores a checkpoint; every carried tensor must be present with its shape. */
  restore(ck: Checkpoint, source = 'checkpoint'): void {
    for (const c of this.art.carried) {
      const t = ck.tensors.get(c.input);
      if (!t)
        throw new CheckpointError(
          `${source}: missing tensor '${c.input}'; was it written for another model or optimizer?`,
        );
      if (t.dims.join(',') !== c.init.dims.join(',') || t.dtype !== c.init.dtype) {
        throw new CheckpointError(
          `${source}: parameter '${c.input}' is ${t.dtype} [${t.dims}] in the checkpoint but the model needs ${c.init.dtype} [${c.init.dims}]; was it written for another model?`,
        );
      }
      this.state.set(c.input, cloneTensor(t));
    }
    this.step = Number(ck.meta.step ?? 0);
    this.microStep = Number(ck.meta.microStep ?? 0);
    this.accumulated = Number(ck.meta.accumulated ?? 0);
    for (const a of this.art.accumulation?.accumulators ?? []) {
      const t = ck.tensors.get(a.input);
      if (t) this.state.set(a.input, cloneTensor(t));
      else if (this.accumulated > 0)
        throw new CheckpointError(
          `${source}: ${this.accumulated} micro-batch(es) were accumulated but '${a.input}' is missing`,
        );
    }
    if (ck.meta.seed !== undefined) this.seed = BigInt(String(ck.meta.seed));
  }

  saveCheckpoint(path: string, meta: Record<string, unknown> = {}): void {
    saveCheckpoint(path, this.checkpoint(meta));
  }

  loadCheckpoint(path: string): void {
    this.restore(loadCheckpoint(path), path);
  }

  async close(): Promise<void> {
    for (const sess of [this.train, this.eval, this.accumulateSession, this.applySession]) await sess?.release();
    this.train = this.eval = this.accumulateSession = this.applySession = undefined;
  }
}
