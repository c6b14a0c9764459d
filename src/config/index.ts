/**
 * The leaf config toolkit: the schema combinators, the component contract and registry type,
 * config files (system.json, logging.json), overrides. The experiment schema, which needs every
 * registry, is composed in src/experiment/.
 */
export { systemSchema, systemSchemaOf, parseSystem, loadSystem, type SystemConfig } from './system.js';
export { Registry, component, optionsOf, type Component, type ComponentSpec } from './component.js';
export { loggingSchema, parseLogging, loadLogging, LEVELS, type Level, type LoggingConfig } from './logging.js';
export { applyOverrides } from './overrides.js';
export { readJsonFile, findConfigFile, userConfigDir, type Found } from './files.js';
export { ConfigError } from './errors.js';
export type { Issue, Schema, Infer } from './schema.js';
