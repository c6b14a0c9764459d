/**
 * The composition root: the experiment schema assembled from every registry, the library's
 * `train`, system.json with checked session profiles, and run directories read back.
 */
export {
  experimentSchema,
  parseExperiment,
  experimentJsonSchema,
  REGISTRIES,
  SLOTS,
  type ExperimentConfig,
} from './schema.js';
export { systemSchema, parseSystem, loadSystem, type SystemConfig } from './system.js';
export { train } from './train.js';
export { runConfig, exportFromRun } from './run-config.js';
export { MAX_LR } from '../autodiff/optimizers/index.js';
