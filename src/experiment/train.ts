/**
 * The library's `train(config, { signal })`: validates the experiment (every issue of the file at
 * once) and starts the run; see trainer/api.ts for the handle it returns.
 */
import { startTraining, type TrainHandle } from '../trainer/api.js';
import type { TrainerOptions } from '../trainer/trainer.js';
import { parseExperiment } from './schema.js';

/** Starts training `config` (raw JSON-like, validated here, or already resolved). */
export function train(config: unknown, options: TrainerOptions = {}): TrainHandle {
  return startTraining(parseExperiment(config, 'config'), options);
}
