/**
 * Rebuilds a finished or interrupted run from its directory: the resolved config, its data, the
 * model's training artifacts and the newest valid checkpoint's values. `gymnosd export` and
 * `evaluate` use it; no session is opened.
 */
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { parseSystem, type SystemConfig } from '../config/system.js';
import type { ExperimentConfig } from './experiment-config.js';
import { MODELS } from '../models/factory.js';
import { buildTrainingArtifacts, exportInference } from '../autodiff/artifacts.js';
import type { Model } from '../onnx/ir.js';
import { RunDir } from './run-dir.js';
import type { TrainingData } from './data.js';
import { createTrainingData } from './managed-data.js';

/** A user error whose message says what to do. */
export const userError = (message: string) => Object.assign(new Error(message), { code: 'GYMNOS_USER' });

/** The path of a run directory's config.json (src/experiment/run-config.ts reads it). */
export function runConfigPath(dir: string): string {
  const path = resolve(dir, 'config.json');
  if (!existsSync(path)) throw userError(`${resolve(dir)} is not a Gymnos run directory (no config.json)`);
  return path;
}

/** The data a config names (datasets resolve as in training). */
export async function configData(cfg: ExperimentConfig, baseDir = process.cwd(), system?: SystemConfig): Promise<TrainingData> {
  const t = cfg.training;
  const sys = system ?? parseSystem({}, 'defaults', baseDir);
  return createTrainingData(cfg.dataset, { batchSize: t.batchSize, evalBatchSize: t.evalBatchSize, seed: t.seed, dropLast: false, datasetsDir: sys.datasetsDir, cacheDir: sys.cacheDir, baseDir });
}

/**
 * The inference model with the weights of the run's newest valid checkpoint, with the dataset's
 * fitted preprocessing baked in (unless `bake: false`: then it takes preprocessed inputs).
 */
export async function exportRun(dir: string, cfg: ExperimentConfig, baseDir = process.cwd(), o: { bake?: boolean } = {}): Promise<{ model: Model; checkpoint: string; skipped: string[] }> {
  const run = new RunDir(resolve(dir));
  const { found, skipped } = run.latestCheckpoint();
  if (!found) throw userError(`${run.path}: no usable checkpoint${skipped.length ? ` (${skipped.map((s) => s.error).join('; ')})` : ''}`);
  const data = await configData(cfg, baseDir);
  const built = MODELS.create(cfg.model, { inputShape: data.inputShape, outputs: data.numClasses ?? 1, seed: cfg.training.seed, baseDir });
  const t = cfg.training;
  const art = buildTrainingArtifacts(built.model, { inputs: built.inputs, output: built.output, loss: t.loss, optimizer: t.optimizer, trainable: { ...built.trainable, freeze: [...(built.trainable?.freeze ?? []), ...t.trainable.freeze] }, paramGroups: built.paramGroups, clipGradNorm: t.clipGradNorm, clipGradValue: t.clipGradValue });
  await data.close?.();
  const inference = exportInference(art, found.checkpoint.tensors);
  const model = data.bake && o.bake !== false ? data.bake(inference, art.dataInputs[0].name) : inference;
  return { model, checkpoint: found.path, skipped: skipped.map((s) => `${s.path}: ${s.error}`) };
}
