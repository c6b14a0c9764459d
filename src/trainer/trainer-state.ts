/**
 * The Trainer's part of a run checkpoint (`checkpoint.meta.trainer`): where the loop stood, the
 * learning-rate factors, metric and callback state, and the weight snapshots callbacks asked to keep
 * (stored as extra checkpoint tensors named `snapshot/<tag>/<tensor>`). It carries a format
 * `version`; a checkpoint written by a newer Gymnos (a version this one does not know) is refused
 * with a clear error instead of being misread.
 */
import type { Tensor } from '../onnx/tensor.js';
import { CheckpointError } from './checkpoint.js';

/** A copy of the weights a callback asked to keep (early_stopping's best epoch, say). */
export interface Snapshot {
  step: number;
  restoreAtEnd: boolean;
  tensors: Map<string, Tensor>;
}

/**
 * The version this Gymnos writes. 1: no `version` field, the factors as `lrScale` (their product)
 * and `lrScales`; 2: `version` and `lrFactors`.
 */
export const TRAINER_STATE_VERSION = 2;

/** What `checkpoint.meta.trainer` holds. */
export interface TrainerState {
  version: number;
  /** The loop position a resume starts at: 0-based epoch index and batch cursor in it. */
  epoch: number;
  batch: number;
  /** Each callback's learning-rate factor, by callback name (see LearningRate). */
  lrFactors: Record<string, number>;
  /** The training metrics' accumulated state, when the checkpoint is mid-epoch. */
  metrics?: unknown[];
  /** Each callback's `state()`, by callback name. */
  callbacks?: Record<string, unknown>;
  snapshots?: Array<{ tag: string; step: number; restoreAtEnd: boolean }>;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

/**
 * The TrainerState of a checkpoint's `meta` (`source` names the file in errors). Reads every
 * version up to TRAINER_STATE_VERSION (version 1 is upgraded); throws a CheckpointError for a
 * missing or malformed state and for an unknown version.
 */
export function readTrainerState(meta: Record<string, unknown>, source: string): TrainerState {
  const t = meta.trainer;
  if (!isObj(t))
    throw new CheckpointError(
      `${source}: the checkpoint holds no trainer state (meta.trainer); it was not written by the Trainer (a StepRunner checkpoint cannot be resumed as a run)`,
    );
  const version = t.version ?? 1;
  if (!(Number.isInteger(version) && (version as number) >= 1 && (version as number) <= TRAINER_STATE_VERSION)) {
    throw new CheckpointError(
      `${source}: the checkpoint's trainer state has version ${JSON.stringify(version)}, but this Gymnos reads versions 1 to ${TRAINER_STATE_VERSION}`,
      { hint: 'it was written by a newer Gymnos: resume it with that version, or start a new run' },
    );
  }
  if (!isCount(t.epoch) || !isCount(t.batch))
    throw new CheckpointError(
      `${source}: the checkpoint's trainer state has no valid position (epoch ${JSON.stringify(t.epoch)}, batch ${JSON.stringify(t.batch)}); the file is corrupt`,
    );
  const factors =
    version === 1
      ? (t.lrScales ?? (t.lrScale !== undefined && t.lrScale !== 1 ? { checkpoint: t.lrScale } : {}))
      : t.lrFactors;
  if (!isObj(factors) || Object.values(factors).some((f) => typeof f !== 'number' || !(f >= 0))) {
    throw new CheckpointError(
      `${source}: the checkpoint's learning-rate factors ${JSON.stringify(factors)} are not numbers >= 0 by callback name; the file is corrupt`,
    );
  }
  return {
    version: TRAINER_STATE_VERSION,
    epoch: t.epoch,
    batch: t.batch,
    lrFactors: factors as Record<string, number>,
    metrics: t.metrics as unknown[] | undefined,
    callbacks: t.callbacks as Record<string, unknown> | undefined,
    snapshots: t.snapshots as TrainerState['snapshots'],
  };
}

/** Checkpoint tensor names of weight copies: `snapshot/<tag>/<tensor>`. */
const SNAPSHOT_PREFIX = 'snapshot/';

/** Adds the snapshots' tensors to a checkpoint's tensors; returns their list for the TrainerState. */
export function packSnapshots(
  snapshots: ReadonlyMap<string, Snapshot>,
  into: Map<string, Tensor>,
): NonNullable<TrainerState['snapshots']> {
  for (const [tag, s] of snapshots) for (const [k, t] of s.tensors) into.set(`${SNAPSHOT_PREFIX}${tag}/${k}`, t);
  return [...snapshots].map(([tag, s]) => ({ tag, step: s.step, restoreAtEnd: s.restoreAtEnd }));
}

/** The snapshots a checkpoint carries, by tag. */
export function unpackSnapshots(state: TrainerState, tensors: ReadonlyMap<string, Tensor>): Map<string, Snapshot> {
  const out = new Map<string, Snapshot>();
  for (const s of state.snapshots ?? []) {
    const prefix = `${SNAPSHOT_PREFIX}${s.tag}/`;
    out.set(s.tag, {
      step: s.step,
      restoreAtEnd: s.restoreAtEnd,
      tensors: new Map([...tensors].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v])),
    });
  }
  return out;
}
