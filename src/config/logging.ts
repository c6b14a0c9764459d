/**
 * logging.json: the log level and the two sinks, readable lines on the console (stderr) and JSON
 * lines in the run directory's gymnos.log.
 */
import { bool, obj, oneOf, str, type Infer, type Issue } from './schema.js';
import { ConfigError } from './errors.js';
import { findConfigFile, readJsonFile, type Found } from './files.js';

import { LEVELS } from '../util/logger.js';

export { LEVELS, type Level } from '../util/logger.js';

export const loggingSchema = obj({
  $schema: str({ default: '', doc: 'ignored; lets editors find the schema' }),
  level: oneOf(LEVELS, { default: 'info', doc: 'lowest level logged anywhere' }),
  console: obj(
    {
      enabled: bool({ default: true, doc: 'write log lines to stderr' }),
      level: oneOf(LEVELS, { default: 'info', doc: 'lowest level on the console' }),
      format: oneOf(['pretty', 'json'] as const, {
        default: 'pretty',
        doc: "'pretty': readable lines; 'json': JSON lines",
      }),
    },
    { default: { enabled: true, level: 'info', format: 'pretty' }, doc: 'the console sink' },
  ),
  file: obj(
    {
      enabled: bool({ default: true, doc: 'write JSON lines to the run directory' }),
      level: oneOf(LEVELS, { default: 'debug', doc: 'lowest level in the file' }),
      name: str({ minLength: 1, default: 'gymnos.log', doc: 'file name inside the run directory' }),
    },
    { default: { enabled: true, level: 'debug', name: 'gymnos.log' }, doc: 'the run-directory sink' },
  ),
});

export type LoggingConfig = Infer<typeof loggingSchema> & { source: Found };

export function parseLogging(raw: unknown, source: string, found: Found = { via: 'defaults' }): LoggingConfig {
  const issues: Issue[] = [];
  const r = loggingSchema.parse(raw, '', issues);
  if (!r || issues.length) throw new ConfigError(source, issues);
  return { ...r, source: found };
}

/** Finds and loads logging.json, or the defaults. */
export function loadLogging(flag?: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): LoggingConfig {
  const found = findConfigFile('logging.json', flag, env, cwd);
  if (!found.path) return parseLogging({}, 'defaults', found);
  return parseLogging(readJsonFile(found.path), found.path, found);
}
