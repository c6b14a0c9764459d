/**
 * Backends by name, built from the entries their modules export ("register by construction"):
 * adding a backend means adding its module to `ENTRIES`, nothing else.
 */
import { SessionError } from './errors.js';
import { nullBackend } from './null-backend.js';
import { ortBackend } from './ort-backend.js';
import type { BackendEntry } from './types.js';

const ENTRIES: readonly BackendEntry[] = [ortBackend, nullBackend];

const BY_NAME = new Map(ENTRIES.map((e) => [e.name, e]));

/** Every registered backend, highest priority first. */
export function backendEntries(): BackendEntry[] {
  return [...ENTRIES].sort((a, b) => b.priority - a.priority);
}

/** The entry named `name` (default: the highest priority); `path` names the config field in errors. */
export function backendEntry(name?: string, path = 'backend'): BackendEntry {
  if (name === undefined) return backendEntries()[0];
  const e = BY_NAME.get(name);
  if (!e) {
    const names = backendEntries()
      .map((b) => `'${b.name}'`)
      .join(', ');
    throw new SessionError('ERR_SESSION_CONFIG', `${path}: expected one of ${names} but got ${JSON.stringify(name)}`);
  }
  return e;
}
