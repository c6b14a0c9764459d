/**
 * Rebuilds a finished or interrupted run from its directory: the resolved config, its data, the
 * model's training artifacts and the newest valid checkpoint's values, through the same set-up
 * path as training (setup.ts: `dataContext`, `modelAndSpec`). `gymnosd export` and `evaluate` use
 * it; no session is opened.
 */
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { parseSystem, type SystemConfig } from '../config/system.js';
import type { ExperimentConfig } from './experiment-config.js';
import { buildTrainingArtifacts, exportInference } from '../autodiff/artifacts.js';
import type { Model } from '../onnx/ir.js';
import { RunDir } from './run-dir.js';
import { createTrainingData, type TrainingData } from '../datasets/index.js';
import { dataContext, modelAndSpec } from './setup.js';

import { UserError } from '../util/errors.js';

/** The path of a run directory's config.json (src/experiment/run-config.ts reads it). */
export function runConfigPath(dir: string): string {
  const path = resolve(dir, 'config.json');
  if (!existsSync(path)) throw new UserError(`${resolve(dir)} is not a Gymnos run directory (no config.json)`);
  return path;
}

/** The data a config names (datasets resolve as in training). */
export async function configData(
  cfg: ExperimentConfig,
  baseDir = process.cwd(),
  system?: SystemConfig,
): Promise<TrainingData> {
  // evaluating a split reads every sample: no incomplete batch is dropped
  return createTrainingData(cfg.dataset, {
    ...dataContext(cfg, system ?? parseSystem({}, 'defaults', baseDir), baseDir),
    dropLast: false,
  });
}

/**
 * The inference model with the weights of the run's newest valid checkpoint, with the dataset's
 * fitted preprocessing baked in (unless `bake: false`: then it takes preprocessed inputs).
 */
export async function exportRun(
  dir: string,
  cfg: ExperimentConfig,
  baseDir = process.cwd(),
  o: { bake?: boolean } = {},
): Promise<{ model: Model; checkpoint: string; skipped: string[] }> {
  const run = new RunDir(resolve(dir));
  const { found, skipped } = run.latestCheckpoint();
  if (!found)
    throw new UserError(
      `${run.path}: no usable checkpoint${skipped.length ? ` (${skipped.map((s) => s.error).join('; ')})` : ''}`,
    );
  const data = await configData(cfg, baseDir);
  const { built, spec } = modelAndSpec(cfg, data, baseDir);
  // the inference export needs the plain training graph only: no K-step Loop, accumulation pair or recomputation
  const art = buildTrainingArtifacts(built.model, {
    ...spec,
    stepsPerRun: undefined,
    accumulation: false,
    recompute: undefined,
  });
  await data.close?.();
  const inference = exportInference(art, found.checkpoint.tensors);
  const model = data.bake && o.bake !== false ? data.bake(inference, art.dataInputs[0].name) : inference;
  return { model, checkpoint: found.path, skipped: skipped.map((s) => `${s.path}: ${s.error}`) };
}
