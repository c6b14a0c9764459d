/**
 * Rebuilds a finished or interrupted run from its directory: the resolved config, its data, the
 * model's training artifacts and the newest valid checkpoint's values. `gymnosd export` and
 * `evaluate` use it; no session is opened.
 */
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { parseExperiment, DATASET_DEFS, type ExperimentConfig } from '../config/experiment.js';
import { parseSystem } from '../config/system.js';
import { readJsonFile } from '../config/files.js';
import { MODEL_DEFS, type ModelDef } from '../models/factory.js';
import { buildTrainingArtifacts, exportInference } from '../autodiff/artifacts.js';
import type { Model } from '../onnx/ir.js';
import { RunDir } from './run-dir.js';
import type { DatasetDef, TrainingData } from './data.js';

/** A user error whose message says what to do. */
export const userError = (message: string) => Object.assign(new Error(message), { code: 'GYMNOS_USER' });

/** The resolved config saved in a run directory. */
export function runConfig(dir: string): ExperimentConfig {
  const path = resolve(dir, 'config.json');
  if (!existsSync(path)) throw userError(`${resolve(dir)} is not a Gymnos run directory (no config.json)`);
  return parseExperiment(readJsonFile(path), path);
}

/** The data a config names (datasets resolve as in training). */
export async function configData(cfg: ExperimentConfig, baseDir = process.cwd()): Promise<TrainingData> {
  const def = DATASET_DEFS.find((d) => d.name === cfg.dataset.type) as DatasetDef<unknown>;
  const { type: _t, ...o } = cfg.dataset;
  const t = cfg.training;
  return def.create(o, { batchSize: t.batchSize, evalBatchSize: t.evalBatchSize, seed: t.seed, dropLast: false, datasetsDir: parseSystem({}, 'defaults', baseDir).datasetsDir, baseDir });
}

/** The inference model with the weights of the run's newest valid checkpoint. */
export async function exportFromRun(dir: string, baseDir = process.cwd()): Promise<{ model: Model; checkpoint: string; skipped: string[] }> {
  const cfg = runConfig(dir);
  const run = new RunDir(resolve(dir));
  const { found, skipped } = run.latestCheckpoint();
  if (!found) throw userError(`${run.path}: no usable checkpoint${skipped.length ? ` (${skipped.map((s) => s.error).join('; ')})` : ''}`);
  const data = await configData(cfg, baseDir);
  const def = MODEL_DEFS.find((d) => d.name === cfg.model.type) as ModelDef<unknown>;
  const { type: _t, ...mo } = cfg.model;
  const built = def.create(mo, { inputShape: data.inputShape, outputs: data.numClasses ?? 1, seed: cfg.training.seed, baseDir });
  const t = cfg.training;
  const art = buildTrainingArtifacts(built.model, { inputs: built.inputs, output: built.output, loss: t.loss, optimizer: t.optimizer, trainable: { freeze: t.trainable.freeze }, clipGradNorm: t.clipGradNorm, clipGradValue: t.clipGradValue });
  await data.close?.();
  return { model: exportInference(art, found.checkpoint.tensors), checkpoint: found.path, skipped: skipped.map((s) => `${s.path}: ${s.error}`) };
}
