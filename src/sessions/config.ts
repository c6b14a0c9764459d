/**
 * Validation of the `session` config block: unknown keys are errors, every message names the JSON
 * path and the valid choices, and every default is filled here, in one place.
 */
import { availableParallelism } from 'node:os';
import { SessionError } from './errors.js';
import { parseDevice } from './providers.js';
import type { ExecutionMode, GraphOptimization, SessionConfig, ValidatedSessionConfig } from './types.js';

/**
 * Default intra-op threads: half the logical CPUs (about the physical cores), at least 1, at most 8.
 * Measured with bench/session-threads.ts (MLP 784-256-128-10 training step, batch 128, weights fed
 * as inputs; median ms of 200 steps; spinning off unless noted):
 *
 *   16 vCPU Xeon (GPU host, idle)   intra 1: 2.59  2: 1.78  4: 1.61  8: 1.29  16: 1.30  ORT default: 1.27
 *     with 8 busy threads            intra 1: 2.46  2: 1.67  4: 1.37  8: 1.28  16: 1.45  ORT default: 1.26
 *     ORT default + spinning         0.97 idle, but p90 5.0 with 8 busy threads
 *     parallel executor (inter 2)    2.16 (intra 1), never better than sequential
 *   2 vCPU EPYC (dev VM, load ~7 from other jobs)
 *                                    intra 1: 2.87  2: 2.97  ORT default: 2.96  intra 2 + spin: 7.25
 *
 *   2 vCPU EPYC, issue 11 (bench/compare.ts --quick, load 12-27 from other jobs), Trainer 2 threads
 *     over 1, wall: MLP 1.15x, ResNet-20 0.98x, MobileNetV2-style 0.98x (LeNet 12x: an outlier of
 *     the loaded run); per CPU second two threads never won. So one thread stays the default here.
 *
 * So: threads up to the physical cores help (2x at 8 on 16 vCPUs), more do not; spinning wins on an
 * idle machine and loses badly on a busy one (the trainer's main thread and data loader compete),
 * so it stays off; on 2 cores one thread is as fast as two (and DESIGN.md's earlier measurement
 * found it fastest). The cap of 8 is not measured beyond 16 vCPUs: set session.intraOpThreads.
 */
export function defaultIntraOpThreads(cores = availableParallelism()): number {
  return Math.max(1, Math.min(8, Math.floor(cores / 2)));
}

/** The most intra/inter-op threads accepted: 2-socket servers reach 256 logical CPUs. */
export const MAX_THREADS = 256;

const KEYS: Record<keyof SessionConfig, string> = {
  device: "'cpu' | 'cuda' | 'cuda:N' | 'webgpu' | 'auto'",
  intraOpThreads: 'positive integer (at most 256)',
  interOpThreads: 'positive integer (at most 256)',
  graphOptimization: "'disabled' | 'basic' | 'extended' | 'all'",
  executionMode: "'sequential' | 'parallel'",
  enableProfiling: 'boolean',
  profileFilePrefix: 'string',
  memoryPattern: 'boolean: ONNX Runtime\'s memory pattern planner (default false: it made training peaks 30-50% higher, bench/memory.ts)',
  allowSpinning: 'boolean',
  cpuMemArena: 'boolean: ONNX Runtime\'s CPU arena allocator (default true: turning it off raised training peaks, bench/memory.ts)',
};

const OPT_LEVELS: GraphOptimization[] = ['disabled', 'basic', 'extended', 'all'];
const MODES: ExecutionMode[] = ['sequential', 'parallel'];

function bad(path: string, expected: string, got: unknown): never {
  throw new SessionError('ERR_SESSION_CONFIG', `${path}: expected ${expected} but got ${JSON.stringify(got) ?? String(got)}`);
}

function positiveInt(v: unknown, path: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) return bad(path, 'a positive integer', v);
  // more threads than any CPU here has only slows ONNX Runtime down (and 1000 is a typo, not a plan)
  if (v > MAX_THREADS) return bad(path, `a positive integer of at most ${MAX_THREADS} (this machine has ${availableParallelism()} logical CPUs; more threads than CPUs do not help)`, v);
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
    intraOpThreads: positiveInt(c.intraOpThreads, `${path}.intraOpThreads`, defaultIntraOpThreads()),
    interOpThreads: positiveInt(c.interOpThreads, `${path}.interOpThreads`, 1),
    graphOptimization: oneOf(c.graphOptimization, `${path}.graphOptimization`, OPT_LEVELS, 'all'),
    executionMode: oneOf(c.executionMode, `${path}.executionMode`, MODES, 'sequential'),
    enableProfiling: bool(c.enableProfiling, `${path}.enableProfiling`, false),
    profileFilePrefix: profileFilePrefix as string,
    // defaults measured with bench/memory.ts (see SessionConfig.memoryPattern / cpuMemArena)
    memoryPattern: bool(c.memoryPattern, `${path}.memoryPattern`, false),
    allowSpinning: bool(c.allowSpinning, `${path}.allowSpinning`, false),
    cpuMemArena: bool(c.cpuMemArena, `${path}.cpuMemArena`, true),
  };
}

/** Documentation of each key, for help texts: key -> expected type. */
export function sessionConfigKeys(): Record<string, string> {
  return { ...KEYS };
}
