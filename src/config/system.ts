/**
 * system.json: where runs, caches and datasets live, and named session profiles. Relative paths
 * resolve against the directory of the file (the working directory for the defaults).
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { external, obj, record, str, type Infer, type Issue, type Schema } from './schema.js';
import { ConfigError } from './errors.js';
import { findConfigFile, readJsonFile, type Found } from './files.js';

/** A session profile as this leaf module sees it: any object (the composition root passes the sessions schema). */
const anySession = external((v) => v, { type: 'object', description: 'a session block' });

/**
 * The system.json schema; `session` checks each session profile (src/experiment/ passes the SessionManager's schema).
 */
export const systemSchemaOf = (session: Schema<Record<string, unknown>> = anySession) =>
  obj({
    $schema: str({ default: '', doc: 'ignored; lets editors find the schema' }),
    runsDir: str({
      minLength: 1,
      default: 'runs',
      doc: 'where run directories are created (<runsDir>/<experiment>/<id>)',
    }),
    cacheDir: str({ minLength: 1, default: '.gymnos/cache', doc: 'dataset cache (Arrow files)' }),
    sessionProfiles: record(session, {
      default: {},
      doc: 'named session blocks an experiment selects with session.profile',
    }),
  });

/** system.json with session profiles unchecked (src/experiment/ exports the checked one). */
export const systemSchema = systemSchemaOf();

export type SystemConfig = Infer<typeof systemSchema> & { source: Found };

/** Validates a system.json value with `schema`; relative paths resolve against `baseDir`. */
export function parseSystem(
  raw: unknown,
  source: string,
  baseDir: string,
  found: Found = { via: 'defaults' },
  schema = systemSchema,
): SystemConfig {
  const issues: Issue[] = [];
  const r = schema.parse(raw, '', issues);
  if (!r || issues.length) throw new ConfigError(source, issues);
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  return { ...r, runsDir: abs(r.runsDir), cacheDir: abs(r.cacheDir), source: found };
}

/** Finds and loads system.json (see files.ts for the search), or the defaults. */
export function loadSystem(
  flag?: string,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
  schema = systemSchema,
): SystemConfig {
  const found = findConfigFile('system.json', flag, env, cwd);
  if (!found.path) return parseSystem({}, 'defaults', cwd, found, schema);
  return parseSystem(readJsonFile(found.path), found.path, dirname(found.path), found, schema);
}
