/** A run directory's saved experiment, read back through the experiment schema. */
import { readJsonFile } from '../config/files.js';
import { exportRun, runConfigPath } from '../trainer/rebuild.js';
import type { Model } from '../onnx/ir.js';
import { parseExperiment, type ExperimentConfig } from './schema.js';

/** The resolved config saved in a run directory (checked again: the file may be old or edited). */
export function runConfig(dir: string): ExperimentConfig {
  const path = runConfigPath(dir);
  return parseExperiment(readJsonFile(path), path);
}

/**
 * The inference model with the weights of the run's newest valid checkpoint, with the dataset's
 * fitted preprocessing baked in (unless `bake: false`: then it takes preprocessed inputs).
 */
export function exportFromRun(
  dir: string,
  baseDir = process.cwd(),
  o: { bake?: boolean } = {},
): Promise<{ model: Model; checkpoint: string; skipped: string[] }> {
  return exportRun(dir, runConfig(dir), baseDir, o);
}
