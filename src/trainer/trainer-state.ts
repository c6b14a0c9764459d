/**
 * The Trainer's part of a run checkpoint: where the loop stood, the learning-rate factors, metric
 * and callback state, and the weight snapshots callbacks asked to keep (stored as extra checkpoint
 * tensors named `snapshot/<tag>/<tensor>`).
 */
import type { Tensor } from '../onnx/tensor.js';

/** A copy of the weights a callback asked to keep (early_stopping's best epoch, say). */
export interface Snapshot { step: number; restoreAtEnd: boolean; tensors: Map<string, Tensor> }

/** What `checkpoint.meta.trainer` holds. */
export interface TrainerState {
  epoch: number;
  batch: number;
  lrScale: number;
  lrScales?: Record<string, number>;
  metrics?: unknown[];
  callbacks?: Record<string, unknown>;
  snapshots?: Array<{ tag: string; step: number; restoreAtEnd: boolean }>;
}

/** Checkpoint tensor names of weight copies: `snapshot/<tag>/<tensor>`. */
const SNAPSHOT_PREFIX = 'snapshot/';

/** Adds the snapshots' tensors to a checkpoint's tensors; returns their list for the TrainerState. */
export function packSnapshots(snapshots: ReadonlyMap<string, Snapshot>, into: Map<string, Tensor>): NonNullable<TrainerState['snapshots']> {
  for (const [tag, s] of snapshots) for (const [k, t] of s.tensors) into.set(`${SNAPSHOT_PREFIX}${tag}/${k}`, t);
  return [...snapshots].map(([tag, s]) => ({ tag, step: s.step, restoreAtEnd: s.restoreAtEnd }));
}

/** The snapshots a checkpoint carries, by tag. */
export function unpackSnapshots(state: TrainerState, tensors: ReadonlyMap<string, Tensor>): Map<string, Snapshot> {
  const out = new Map<string, Snapshot>();
  for (const s of state.snapshots ?? []) {
    const prefix = `${SNAPSHOT_PREFIX}${s.tag}/`;
    out.set(s.tag, { step: s.step, restoreAtEnd: s.restoreAtEnd, tensors: new Map([...tensors].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v])) });
  }
  return out;
}
