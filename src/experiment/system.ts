/**
 * system.json with its session profiles checked by the SessionManager's schema (config/system.ts,
 * a leaf, cannot know it). Use these rather than config/system.ts's wherever a user's file is read.
 */
import { obj, type Schema } from '../config/schema.js';
import {
  loadSystem as loadWith,
  parseSystem as parseWith,
  systemSchemaOf,
  type SystemConfig,
} from '../config/system.js';
import type { Found } from '../config/files.js';
import { sessionOptionsUnfilled } from '../sessions/config.js';

export type { SystemConfig } from '../config/system.js';

/** A profile holds the keys it sets (an experiment's keys override them, then defaults fill the rest). */
const sessionProfile = obj(sessionOptionsUnfilled(), {
  doc: "a session block (the keys of an experiment's session block)",
}) as Schema<Record<string, unknown>>;

/** The system.json schema (`gymnosd schema system`). */
export const systemSchema = systemSchemaOf(sessionProfile);

/** Validates a system.json value; relative paths resolve against `baseDir`. */
export function parseSystem(
  raw: unknown,
  source: string,
  baseDir: string,
  found: Found = { via: 'defaults' },
): SystemConfig {
  return parseWith(raw, source, baseDir, found, systemSchema);
}

/** Finds and loads system.json (see config/files.ts for the search), or the defaults. */
export function loadSystem(flag?: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): SystemConfig {
  return loadWith(flag, env, cwd, systemSchema);
}
