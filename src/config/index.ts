/** Config objects: the experiment, system.json and logging.json, each from one schema. */
export { experimentSchema, parseExperiment, experimentJsonSchema, type ExperimentConfig } from './experiment.js';
export { systemSchema, parseSystem, loadSystem, type SystemConfig } from './system.js';
export { loggingSchema, parseLogging, loadLogging, LEVELS, type Level, type LoggingConfig } from './logging.js';
export { applyOverrides } from './overrides.js';
export { readJsonFile, findConfigFile, userConfigDir, type Found } from './files.js';
export { ConfigError } from './errors.js';
export type { Issue, Schema, Infer } from './schema.js';
