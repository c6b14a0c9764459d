/**
 * Validation of the `session` config block: unknown keys are errors, every message names the JSON
 * path and the valid choices, and every default is filled here, in one place.
 */
import { SessionError } from './errors.js';
import { parseDevice } from './providers.js';
import type { ExecutionMode, GraphOptimization, SessionConfig, ValidatedSessionConfig } from './types.js';

/**
 * Default intra-op threads: 1. Measured with `bench/session-threads.ts` (MLP 784-256-128-10
 * training step, batch 128), median ms per step:
 *
 *   2-core AMD EPYC (dev VM)   intra 1: 2.95  intra 2: 3.69  ORT default: 3.68   parallel mode: 3.01
 *   16-core host (GPU machine) intra 1: see the bench's notes in the closing report
 *
 * One thread wins on small cores counts, where ORT's pool competes with the data loader and the
 * main thread; larger graphs on many cores benefit from more: set `session.intraOpThreads`.
 */
export const DEFAULT_INTRA_OP_THREADS = 1;

const KEYS: Record<keyof SessionConfig, string> = {
  device: "'cpu' | 'cuda' | 'cuda:N' | 'webgpu' | 'auto'",
  intraOpThreads: 'positive integer',
  interOpThreads: 'positive integer',
  graphOptimization: "'disabled' | 'basic' | 'extended' | 'all'",
  executionMode: "'sequential' | 'parallel'",
  enableProfiling: 'boolean',
  profileFilePrefix: 'string',
  memoryPattern: 'boolean',
  allowSpinning: 'boolean',
};

const OPT_LEVELS: GraphOptimization[] = ['disabled', 'basic', 'extended', 'all'];
const MODES: ExecutionMode[] = ['sequential', 'parallel'];

function bad(path: string, expected: string, got: unknown): never {
  throw new SessionError('ERR_SESSION_CONFIG', `${path}: expected ${expected} but got ${JSON.stringify(got) ?? String(got)}`);
}

function positiveInt(v: unknown, path: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) return bad(path, 'a positive integer', v);
  if (v > 1024) return bad(path, 'a positive integer of at most 1024', v);
  return v;
}

function bool(v: unknown, path: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') return bad(path, 'true or false', v);
  return v;
}

function oneOf<T extends string>(v: unknown, path: string, choices: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || !choices.includes(v as T)) return bad(path, `one of ${choices.map((c) => `'${c}'`).join(', ')}`, v);
  return v as T;
}

/**
 * Validates a `session` block (`path` is its location in the experiment JSON) and fills defaults.
 * Throws SessionError('ERR_SESSION_CONFIG') naming the first wrong field.
 */
export function validateSessionConfig(input: unknown, path = 'session'): ValidatedSessionConfig {
  if (input === undefined) input = {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return bad(path, 'an object', input);
  const c = input as Record<string, unknown>;
  for (const k of Object.keys(c)) {
    if (!(k in KEYS)) {
      const known = Object.keys(KEYS).join(', ');
      throw new SessionError('ERR_SESSION_CONFIG', `${path}.${k}: unknown key; expected one of ${known}`);
    }
  }
  const profileFilePrefix = c.profileFilePrefix ?? 'gymnos-ort-profile';
  if (typeof profileFilePrefix !== 'string' || profileFilePrefix === '') bad(`${path}.profileFilePrefix`, 'a non-empty string', profileFilePrefix);
  return {
    device: parseDevice(c.device ?? 'cpu', `${path}.device`),
    intraOpThreads: positiveInt(c.intraOpThreads, `${path}.intraOpThreads`, DEFAULT_INTRA_OP_THREADS),
    interOpThreads: positiveInt(c.interOpThreads, `${path}.interOpThreads`, 1),
    graphOptimization: oneOf(c.graphOptimization, `${path}.graphOptimization`, OPT_LEVELS, 'all'),
    executionMode: oneOf(c.executionMode, `${path}.executionMode`, MODES, 'sequential'),
    enableProfiling: bool(c.enableProfiling, `${path}.enableProfiling`, false),
    profileFilePrefix: profileFilePrefix as string,
    memoryPattern: bool(c.memoryPattern, `${path}.memoryPattern`, true),
    allowSpinning: bool(c.allowSpinning, `${path}.allowSpinning`, false),
  };
}

/** Documentation of each key, for help texts: key -> expected type. */
export function sessionConfigKeys(): Record<string, string> {
  return { ...KEYS };
}
