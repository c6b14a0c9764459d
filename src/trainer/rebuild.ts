/**
 * Rebuilds a finished or interrupted run from its directory: the resolved config, its data, the
 * model's training artifacts and the newest valid checkpoint's values. `gymnosd export` and
 * `evaluate` use it; no session is opened.
 */
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { parseExperiment, type ExperimentConfig } from '../config/experiment.js';
import { parseSystem, type SystemConfig } from '../config/system.js';
import { readJsonFile } from '../config/files.js';
import { MODEL_DEFS, type ModelDef } from '../models/factory.js';
import { buildTrainingArtifacts, exportInference } from '../autodiff/artifacts.js';
import type { Model } from '../onnx/ir.js';
import { RunDir } from './run-dir.js';
import type { TrainingData } from './data.js';
import { createTrainingData } from './managed-data.js';
import { UserError } from '../util/errors.js';

/** The resolved config saved in a run directory. */
export function runConfig(dir: string): ExperimentConfig {
  const path = resolve(dir, 'config.json');
  if (!existsSync(path)) throw new UserError(`${resolve(dir)} is not a Gymnos run directory (no config.json)`);
  return parseExperiment(readJsonFile(path), path);
}

/** The data a config names (datasets resolve as in training). */
export async function configData(cfg: ExperimentConfig, baseDir = process.cwd(), system?: SystemConfig): Promise<TrainingData> {
  const t = cfg.training;
  const sys = system ?? parseSystem({}, 'defaults', baseDir);
  return createTrainingData(cfg.dataset, { batchSize: t.batchSize, evalBatchSize: t.evalBatchSize, seed: t.seed, dropLast: false, cacheDir: sys.cacheDir, baseDir });
}

/**
 * The inference model with the weights of the run's newest valid checkpoint, with the dataset's
 * fitted preprocessing baked in (unless `bake: false`: then it takes preprocessed inputs).
 */
export async function exportFromRun(dir: string, baseDir = process.cwd(), o: { bake?: boolean } = {}): Promise<{ model: Model; checkpoint: string; skipped: string[] }> {
  const cfg = runConfig(dir);
  const run = new RunDir(resolve(dir));
  const { found, skipped } = run.latestCheckpoint();
  if (!found) throw new UserError(`${run.path}: no usable checkpoint${skipped.length ? ` (${skipped.map((s) => s.error).join('; ')})` : ''}`);
  const data = await configData(cfg, baseDir);
  const def = MODEL_DEFS.find((d) => d.name === cfg.model.type) as ModelDef<unknown>;
  const { type: _t, ...mo } = cfg.model;
  const built = def.create(mo, { inputShape: data.inputShape, outputs: data.numClasses ?? 1, seed: cfg.training.seed, baseDir });
  const t = cfg.training;
  const art = buildTrainingArtifacts(built.model, { inputs: built.inputs, output: built.output, loss: t.loss, optimizer: t.optimizer, trainable: { ...built.trainable, freeze: [...(built.trainable?.freeze ?? []), ...t.trainable.freeze] }, paramGroups: built.paramGroups, clipGradNorm: t.clipGradNorm, clipGradValue: t.clipGradValue });
  await data.close?.();
  const inference = exportInference(art, found.checkpoint.tensors);
  const model = data.bake && o.bake !== false ? data.bake(inference, art.dataInputs[0].name) : inference;
  return { model, checkpoint: found.path, skipped: skipped.map((s) => `${s.path}: ${s.error}`) };
}
