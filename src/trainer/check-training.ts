/**
 * The part of `gymnosd check` that proves a model trains instead of guessing: it builds the real
 * training artifacts (the same call the Trainer makes) and, on request, runs one training step on
 * random inputs in ONNX Runtime, fetching every parameter's raw gradient. The step uses learning
 * rate 0, so nothing is changed; it passes only when the loss is finite and every trainable
 * parameter received a finite, nonzero gradient.
 */
import { ModelError } from '../models/errors.js';
import type { Dim, Graph, Model } from '../onnx/ir.js';
import { tensor, sizeOf, type Tensor } from '../onnx/tensor.js';
import { buildTrainingArtifacts, type TrainingArtifacts } from '../autodiff/artifacts.js';
import type { LossSpec } from '../autodiff/losses/index.js';
import type { TrainableSelection } from '../autodiff/trainable.js';
import { StepRunner, type Batch } from './step-runner.js';
import { SessionManager } from '../sessions/session-manager.js';
import { formatPlacement, profilingSession, readPlacement, type PlacementReport } from '../sessions/placement.js';
import type { ExecutionProvider } from '../sessions/types.js';
import { Rng } from '../util/rng.js';

export interface TrainingCheckOptions {
  loss?: LossSpec;
  output?: string;
  inputs?: string[];
  trainable?: TrainableSelection;
  /** Run one step on random inputs (default false: build only). */
  step?: boolean;
  batch?: number;
  seed?: number;
  /** session.device of the step (default 'cpu'). */
  device?: string;
  /** Profile the step and report which nodes ran on which provider (needs `step`). */
  placement?: boolean;
}

export interface StepCheck {
  loss: number;
  lossFinite: boolean;
  /** Trainable parameters whose gradient is zero everywhere. */
  zeroGradient: string[];
  /**
   * Zero-gradient parameters read only inside If branches, by If node: on these random inputs the
   * data condition took the other branch, so they cannot get a gradient (not a failure).
   */
  branchOnly: Array<{ param: string; node: string }>;
  /** Trainable parameters with a NaN or infinite gradient element. */
  nonFiniteGradient: string[];
  ok: boolean;
}

export interface TrainingCheck {
  /** The loss the check used (given, or chosen from the output's shape). */
  loss: LossSpec;
  built: boolean;
  /** Why the training graph could not be built. */
  buildError?: string;
  trainable: string[];
  step?: StepCheck;
  /** Where the step's nodes ran (with `placement`). */
  placement?: PlacementReport;
}

/** softmax_cross_entropy for an output [N, C>1, ...], mse otherwise. */
export function defaultCheckLoss(shape: Dim[] | undefined): LossSpec {
  return shape && shape.length >= 2 && typeof shape[1] === 'number' && shape[1] > 1
    ? { type: 'softmax_cross_entropy' }
    : { type: 'mse' };
}

/** A batch of random inputs (floats in [-1, 1], integer ids below 2, labels below `classes`) for `art`'s step. */
export function randomBatch(art: TrainingArtifacts, batch: number, seed: number, classes: number): Batch {
  const rng = new Rng(seed);
  // the batch is the first data input's symbolic axis 0, wherever else it appears (an LSTM state [1, N, H])
  const first = art.dataInputs[0]?.shape?.[0];
  const batchSym = typeof first === 'string' ? first : undefined;
  const fill = (v: { name: string; dtype: string; shape?: Dim[] }, int: number): Tensor => {
    const dims = (v.shape ?? []).map((d, i) =>
      typeof d === 'number' ? d : i === 0 || (batchSym !== undefined && d === batchSym) ? batch : NaN,
    );
    if (dims.some((d) => Number.isNaN(d)))
      throw new ModelError(
        `input '${v.name}' has dynamic dimensions [${(v.shape ?? []).map((d) => d ?? '?').join(', ')}] besides the batch; pin them to run a step (gymnosd check --input-shape ${v.name}=${(v.shape ?? []).map((d, i) => (typeof d === 'number' ? d : i === 0 ? '?' : 'n')).join(',')}, or the model option inputShapes)`,
      );
    const n = sizeOf(dims);
    if (v.dtype === 'int64')
      return tensor(
        'int64',
        dims,
        BigInt64Array.from({ length: n }, () => BigInt(rng.int(int))),
      );
    if (v.dtype === 'int32')
      return tensor(
        'int32',
        dims,
        Int32Array.from({ length: n }, () => rng.int(int)),
      );
    if (v.dtype === 'bool')
      return tensor(
        'bool',
        dims,
        Uint8Array.from({ length: n }, () => rng.int(2)),
      );
    return tensor(
      v.dtype as 'float32',
      dims,
      Float32Array.from({ length: n }, () => rng.uniform(-1, 1)),
    );
  };
  const inputs: Record<string, Tensor> = {};
  // integer data inputs are usually token ids: stay within the smallest vocabulary (2)
  for (const v of art.dataInputs) inputs[v.name] = fill(v, 2);
  const label =
    art.label.dtype === 'int64' || art.label.dtype === 'int32'
      ? fill(art.label, classes)
      : fill({ ...art.label, dtype: 'float32' }, 2);
  return { inputs, label };
}

/** Builds the training graph of `model` and, with `step`, runs one step on random inputs. */
export async function checkTraining(model: Model, o: TrainingCheckOptions = {}): Promise<TrainingCheck> {
  const output = o.output ?? model.graph.outputs[0]?.name;
  const outShape = model.graph.outputs.find((v) => v.name === output)?.shape;
  const loss = o.loss ?? defaultCheckLoss(outShape);
  let art: TrainingArtifacts;
  try {
    art = buildTrainingArtifacts(model, {
      inputs: o.inputs,
      output: o.output,
      trainable: o.trainable,
      loss,
      optimizer: { type: 'sgd', lr: 0 },
    });
  } catch (e) {
    return { loss, built: false, buildError: (e as Error).message, trainable: [] };
  }
  const result: TrainingCheck = { loss, built: true, trainable: [...art.trainable] };
  if (!o.step) return result;
  const classes = typeof outShape?.[1] === 'number' ? outShape[1] : 2;
  const profiling = o.placement ? profilingSession({ device: o.device ?? 'cpu', intraOpThreads: 1 }) : undefined;
  const manager = new SessionManager(profiling?.config ?? { device: o.device ?? 'cpu', intraOpThreads: 1 }, {
    inWorker: false,
  });
  let k = 0;
  const runner = new StepRunner(
    art,
    (name, bytes) => manager.createSession(`check-${name}-${k++}`, bytes),
    o.seed ?? 0,
  );
  try {
    const r = await runner.runSteps([randomBatch(art, o.batch ?? 2, o.seed ?? 1, classes)], [0], { gradients: true });
    const lossValue = r.losses[0];
    const zeroGradient: string[] = [];
    const nonFiniteGradient: string[] = [];
    for (const p of art.trainable) {
      const g = r.gradients?.get(p);
      const data = g ? Array.from(g.data as Float32Array, Number) : [];
      if (data.some((v) => !Number.isFinite(v))) nonFiniteGradient.push(p);
      else if (data.every((v) => v === 0)) zeroGradient.push(p);
    }
    const lossFinite = Number.isFinite(lossValue);
    const inBranch = branchOnlyReads(art.base.graph);
    const branchOnly = zeroGradient.filter((p) => inBranch.has(p)).map((p) => ({ param: p, node: inBranch.get(p)! }));
    const dead = zeroGradient.filter((p) => !inBranch.has(p));
    result.step = {
      loss: lossValue,
      lossFinite,
      zeroGradient: dead,
      branchOnly,
      nonFiniteGradient,
      ok: lossFinite && dead.length === 0 && nonFiniteGradient.length === 0,
    };
    if (profiling) {
      const provider: ExecutionProvider = (await manager.resolve()).provider;
      await runner.close();
      result.placement = readPlacement(profiling.dir, provider);
    }
  } finally {
    await runner.close();
    await manager.close();
    profiling?.cleanup();
  }
  return result;
}

/** Values read only inside the branches of If nodes (not by any top-level node), by If node name. */
function branchOnlyReads(g: Graph): Map<string, string> {
  const top = new Set(g.nodes.flatMap((n) => n.inputs));
  const out = new Map<string, string>();
  const reads = (sub: Graph, into: Set<string>) => {
    for (const n of sub.nodes) {
      n.inputs.forEach((i) => into.add(i));
      for (const a of Object.values(n.attrs)) {
        if (a.type === 'graph') reads(a.value, into);
        else if (a.type === 'graphs') a.value.forEach((x) => reads(x, into));
      }
    }
  };
  for (const n of g.nodes) {
    if (n.opType !== 'If') continue;
    const inside = new Set<string>();
    for (const a of Object.values(n.attrs)) if (a.type === 'graph') reads(a.value, inside);
    for (const v of inside) if (!top.has(v) && !out.has(v)) out.set(v, n.name);
  }
  return out;
}

/** Human-readable lines of a training check, appended to the model report. */
export function formatTrainingCheck(c: TrainingCheck): string {
  const lines: string[] = [];
  if (!c.built) {
    lines.push(`training graph: cannot be built with loss ${c.loss.type}: ${c.buildError}`);
    return lines.join('\n');
  }
  lines.push(`training graph: built (loss ${c.loss.type}, ${c.trainable.length} trainable parameter tensors)`);
  const s = c.step;
  if (s) {
    lines.push(`one step on random inputs: loss ${s.loss}${s.lossFinite ? '' : ' (not finite)'}`);
    if (s.nonFiniteGradient.length) lines.push(`  non-finite gradient: ${s.nonFiniteGradient.join(', ')}`);
    if (s.zeroGradient.length) lines.push(`  no gradient (zero everywhere): ${s.zeroGradient.join(', ')}`);
    for (const node of new Set(s.branchOnly.map((b) => b.node))) {
      lines.push(
        `  no gradient on this batch, read only inside a branch of If node '${node}' that these random inputs did not take (a data condition; not a failure): ${s.branchOnly
          .filter((b) => b.node === node)
          .map((b) => b.param)
          .join(', ')}`,
      );
    }
    lines.push(
      s.ok
        ? `  every ${s.branchOnly.length ? 'other ' : ''}trainable parameter received a gradient`
        : '  step check failed',
    );
  }
  if (c.placement) lines.push(formatPlacement(c.placement));
  return lines.join('\n');
}
