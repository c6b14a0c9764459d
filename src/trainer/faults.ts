/**
 * The Trainer's fault rules, kept out of the fit loop: a diverged run (NaN or infinite loss or
 * weights) fails as a DivergedError before anything non-finite is saved, and a resume takes the
 * newest checkpoint that is both intact and shaped for this model, or fails naming every file.
 */
import type { ExperimentConfig } from './experiment-config.js';
import { CheckpointError, type Checkpoint } from './checkpoint.js';
import type { Tensor } from '../onnx/tensor.js';
import { DivergedError } from '../util/errors.js';
import type { Position } from './events.js';
import type { RunDir } from './run-dir.js';

function remedy(config: ExperimentConfig): string {
  const lr = config.training.optimizer.lr as number | undefined;
  const clip =
    config.training.clipGradNorm === undefined
      ? 'set training.clipGradNorm (1 is a common start)'
      : `lower training.clipGradNorm (now ${config.training.clipGradNorm})`;
  return `lower the learning rate${lr === undefined ? '' : ` (training.optimizer.lr is ${lr})`} or ${clip}, then train again; training.terminateOnNan: false trains on regardless`;
}

/** The error for a non-finite training loss at `pos` (the step that produced it). */
export function divergedAt(loss: number, pos: Position, config: ExperimentConfig): DivergedError {
  return new DivergedError(
    `training diverged: the loss is ${loss} at epoch ${pos.epoch + 1}, step ${pos.step}; checkpoints before it are kept, no model.onnx was written`,
    { hint: remedy(config) },
  );
}

/** Throws a DivergedError naming the first weight with a NaN or infinite element. */
export function assertFinite(weights: Iterable<[string, Tensor]>, pos: Position, config: ExperimentConfig): void {
  for (const [name, t] of weights) {
    if (!(t.data instanceof Float32Array || t.data instanceof Float64Array)) continue;
    const d = t.data;
    for (let i = 0; i < d.length; i++) {
      if (!Number.isFinite(d[i])) {
        throw new DivergedError(
          `training diverged: parameter '${name}' holds ${d[i]} after step ${pos.step} (epoch ${pos.epoch + 1}); checkpoints before it are kept, no model.onnx was written`,
          { hint: remedy(config) },
        );
      }
    }
  }
}

/**
 * Restores the newest checkpoint that loads, passes its checksums and fits the model (`restore`
 * throws for foreign shapes). Throws a CheckpointError naming every file and why when there are
 * checkpoints but none is usable: a resume never silently starts over.
 */
export function restoreNewest(
  run: RunDir,
  runner: { restore(ck: Checkpoint, source: string): void },
): ReturnType<RunDir['latestCheckpoint']> {
  const r = run.latestCheckpoint((ck, path) => runner.restore(ck, path));
  if (!r.found && r.skipped.length) {
    throw new CheckpointError(
      `cannot resume ${run.path}: none of its ${r.skipped.length} checkpoint(s) is usable: ${r.skipped.map((s) => s.error).join('; ')}`,
      {
        hint: 'these checkpoints belong to another model or are damaged; start a new run (gymnosd train <experiment.json>) or put back intact checkpoints',
      },
    );
  }
  return r;
}
