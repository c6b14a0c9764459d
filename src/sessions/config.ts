/**
 * The `session` config block, declared once with the schema toolkit: unknown keys are errors, every
 * message names the JSON path, what was expected and what was given (all issues of a block at
 * once), and every default is filled here, in one place. The experiment's `session` slot uses the
 * same options without filling defaults (src/experiment/), because a system.json session profile
 * is merged under the keys a user wrote before the SessionManager fills the rest.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { bool, check, int, obj, oneOf, str, type Issue, type Props, type Schema } from '../config/schema.js';
import { SessionError } from './errors.js';
import { parseDevice } from './providers.js';
import type { ValidatedSessionConfig } from './types.js';

/**
 * Physical CPU cores this process may use: the distinct `thread_siblings_list` entries of Linux's
 * CPU topology (SMT siblings count once), at most the logical CPUs available here; elsewhere, or
 * when the topology cannot be read, half the logical CPUs (at least 1). `sysCpu` is for tests.
 */
export function physicalCores(logical = availableParallelism(), sysCpu = '/sys/devices/system/cpu'): number {
  const fallback = Math.max(1, Math.floor(logical / 2));
  if (process.platform !== 'linux' && sysCpu === '/sys/devices/system/cpu') return fallback;
  try {
    const cores = new Set<string>();
    for (const d of readdirSync(sysCpu)) {
      if (!/^cpu\d+$/.test(d)) continue;
      const siblings = join(sysCpu, d, 'topology', 'thread_siblings_list');
      if (existsSync(siblings)) cores.add(readFileSync(siblings, 'utf8').trim());
    }
    return cores.size ? Math.max(1, Math.min(cores.size, logical)) : fallback;
  } catch {
    return fallback;
  }
}

/**
 * Default intra-op threads: the physical cores, 1 to 8. Measured with bench/session-threads.ts (MLP
 * 784-256-128-10 training step, batch 128, weights fed as inputs; median ms of 200 steps; spinning
 * off unless noted):
 *
 *   16 vCPU Xeon (GPU host, idle)   intra 1: 2.59  2: 1.78  4: 1.61  8: 1.29  16: 1.30  ORT default: 1.27
 *     with 8 busy threads            intra 1: 2.46  2: 1.67  4: 1.37  8: 1.28  16: 1.45  ORT default: 1.26
 *     ORT default + spinning         0.97 idle, but p90 5.0 with 8 busy threads
 *     parallel executor (inter 2)    2.16 (intra 1), never better than sequential
 *
 * and with the whole Trainer on a 2-core EPYC VM (2 vCPUs, one thread per core), issue 11,
 * `node --import tsx bench/compare.ts --quick`, Trainer with 2 intra-op threads over 1 (samples/s,
 * wall):
 *
 *   quiet machine (load ~1.4)   MLP 1.02x  LeNet 1.10x  ResNet-20 1.37x  MobileNetV2-style 1.29x
 *   loaded (load 12-27)         MLP 1.15x  ResNet-20 0.98x  MobileNetV2-style 0.98x
 *
 * So threads up to the physical cores help (the convolutional nets most), more do not (16 on the
 * 8-core Xeon: no gain); a busy machine takes the gain away but two threads did not lose there
 * either. They cost CPU time (ResNet-20: 443 -> 545 CPU ms per step): on a machine shared with other
 * work, set session.intraOpThreads to 1. Spinning wins on an idle machine and loses badly on a busy
 * one (the trainer's main thread and data loader compete), so it stays off. The cap of 8 is not
 * measured beyond 16 vCPUs.
 */
export function defaultIntraOpThreads(cores = physicalCores()): number {
  return Math.max(1, Math.min(8, cores));
}

/** The most intra/inter-op threads accepted: 2-socket servers reach 256 logical CPUs. */
export const MAX_THREADS = 256;

const DEVICE_DOC = "execution provider: 'cpu' | 'cuda' | 'cuda:N' | 'webgpu' | 'auto' (cuda when it loads, else cpu)";

/** `device`: a string `parseDevice` accepts (its message names the choices and likely fixes). */
const device: Schema<string> = {
  doc: DEVICE_DOC,
  optional: false,
  fallback: () => 'cpu',
  parse(v, path, issues) {
    try {
      parseDevice(v, path);
      return v as string;
    } catch (e) {
      issues.push({ path, message: (e as Error).message });
      return undefined;
    }
  },
  json: () => ({
    type: 'string',
    description: DEVICE_DOC,
    default: 'cpu',
    examples: ['cpu', 'cuda', 'cuda:1', 'webgpu', 'auto'],
  }),
};

// more threads than any CPU here has only slows ONNX Runtime down (and 1000 is a typo, not a plan)
const threads = (doc: string, dflt: number | (() => number)) =>
  check(int({ min: 1, default: dflt, doc: `${doc} (at most ${MAX_THREADS})` }), (v, path) =>
    v <= MAX_THREADS
      ? undefined
      : `expected an integer of at most ${MAX_THREADS} for ${path} but got ${v} (this machine has ${availableParallelism()} logical CPUs; more threads than CPUs do not help)`,
  );

/** Every option of the session block, with its default. */
export const sessionOptions = {
  device,
  intraOpThreads: threads(
    'threads one operator may use; default: the physical CPU cores, 1 to 8 (measured: on 2 cores two threads trained the convolutional nets 1.3x faster, see sessions/config.ts; set 1 on a machine shared with other work)',
    () => defaultIntraOpThreads(),
  ),
  interOpThreads: threads('threads running independent operators in parallel (executionMode: parallel)', 1),
  graphOptimization: oneOf(['disabled', 'basic', 'extended', 'all'] as const, {
    default: 'all',
    doc: "ONNX Runtime's graph optimization level",
  }),
  executionMode: oneOf(['sequential', 'parallel'] as const, {
    default: 'sequential',
    doc: "ONNX Runtime's executor ('parallel' was never faster here)",
  }),
  enableProfiling: bool({ default: false, doc: "write ONNX Runtime's profile (JSON trace) of each session" }),
  profileFilePrefix: str({ minLength: 1, default: 'gymnos-ort-profile', doc: 'file name prefix of the profiles' }),
  memoryPattern: bool({
    default: false,
    doc: "ONNX Runtime's memory pattern planner (default false: it made training peaks 30-50% higher, bench/memory.ts)",
  }),
  allowSpinning: bool({
    default: false,
    doc: "let ONNX Runtime's threads spin while idle (faster on an idle machine, much slower on a busy one)",
  }),
  cpuMemArena: bool({
    default: true,
    doc: "ONNX Runtime's CPU arena allocator (default true: turning it off raised training peaks, bench/memory.ts)",
  }),
} satisfies Props;

/** The session options without defaults: absent keys stay absent (for blocks merged later). */
export function sessionOptionsUnfilled(): Props {
  return Object.fromEntries(
    Object.entries(sessionOptions).map(([k, s]) => [k, { ...s, fallback: undefined, optional: true }]),
  );
}

/** The session block with every default filled. */
export const sessionSchema = obj(sessionOptions, {
  doc: 'execution provider, threads and ONNX Runtime options (SessionManager)',
});

/** One message for the issues of a block. */
function message(issues: Issue[]): string {
  return issues.length === 1
    ? issues[0].message
    : `${issues.length} problems:\n${issues.map((i) => `  - ${i.message}`).join('\n')}`;
}

/**
 * Validates a `session` block (`path` is its location in the experiment JSON) and fills defaults.
 * Throws SessionError('ERR_SESSION_CONFIG') naming every wrong field.
 */
export function validateSessionConfig(input: unknown, path = 'session'): ValidatedSessionConfig {
  const issues: Issue[] = [];
  const r = sessionSchema.parse(input ?? {}, path, issues);
  if (!r || issues.length) throw new SessionError('ERR_SESSION_CONFIG', message(issues));
  return { ...r, device: parseDevice(r.device, `${path}.device`) };
}
