/** Shared option handling of gymnosd commands that read an experiment and the system/logging files. */
import { basename, extname } from 'node:path';
import type { Argv } from 'yargs';
import { applyOverrides, readJsonFile } from '../config/index.js';
import { parseExperiment, type ExperimentConfig } from '../experiment/index.js';

/** --system / --logging: explicit config files (else the documented search). */
export function withConfigFiles<T>(y: Argv<T>) {
  return y
    .option('system', {
      type: 'string',
      describe: 'system.json to use (default: $GYMNOS_HOME, ./, then ~/.config/gymnos; else defaults)',
    })
    .option('logging', { type: 'string', describe: 'logging.json to use (searched like system.json)' });
}

export interface ExperimentArgs {
  set?: string[];
  seed?: number;
  device?: string;
}

/** Reads an experiment file and applies --set, --seed and --device; every error names the file. */
export function loadExperimentFile(path: string, a: ExperimentArgs = {}): ExperimentConfig {
  let raw = readJsonFile(path) as Record<string, unknown>;
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    const exp = (raw.experiment ?? {}) as Record<string, unknown>;
    if (typeof exp === 'object' && exp && exp.name === undefined)
      raw = { ...raw, experiment: { ...exp, name: basename(path, extname(path)) } };
  }
  const sets = [...(a.set ?? [])];
  if (a.seed !== undefined) sets.push(`training.seed=${a.seed}`);
  if (a.device !== undefined) sets.push(`session.device=${JSON.stringify(a.device)}`);
  return parseExperiment(sets.length ? applyOverrides(raw, sets) : raw, path);
}
