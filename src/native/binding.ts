/**
 * Loads the native addon from the first place that has it (`locate.ts`: GYMNOS_NATIVE_ADDON, a
 * build from source under `native/`, the platform package `@gymnos/native-<tag>`). The same code
 * works from `src/` (tsx), `dist/src/` (compiled) and an installed copy. A missing or broken addon
 * is an error that says what to run where it is; there is no silent fallback.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { addonCandidates, buildRemedy, localAddonPath, missingAddonMessage } from './locate.js';

export { platformTag, findPackageRoot, platformPackage } from './locate.js';

/** Opaque handle owned by the addon. */
export type NativeHandle = { readonly __brand: 'GymnosLoaderHandle' };

/** What `open` reports about a loader. */
export interface NativeInfo {
  rows: number;
  shardRows: number;
  batchesPerEpoch: number;
  totalBatches: number | null;
  sampleShape: number[];
  labels: 'none' | 'int32' | 'float32' | 'soft';
  classes: number;
}

/** A batch as the addon returns it (memory owned by Rust, freed when the arrays are collected). */
export interface NativeBatch {
  epoch: number;
  index: number;
  size: number;
  data: Float32Array;
  labels: Int32Array | Float32Array | null;
  rows: Uint32Array;
}

/** Process-wide counters, for tests and diagnostics. */
export interface NativeStats {
  liveLoaders: number;
  liveThreads: number;
  liveBatchBytes: number;
}

/** The addon's exports (hand-written: the crate has no binding generator). */
export interface NativeBinding {
  open(planJson: string): { handle: NativeHandle; info: NativeInfo };
  info(handle: NativeHandle): NativeInfo;
  next(handle: NativeHandle): Promise<NativeBatch | null>;
  close(handle: NativeHandle): void;
  /** Detaches the given batch arrays; their memory is freed on the next event-loop turn. */
  release(...arrays: (ArrayBufferView | null)[]): void;
  stats(): NativeStats;
  version: string;
}

/** Absolute path of the addon that loads here (see locate.ts for the order), else where a build from source puts it. */
export function addonPath(): string {
  return addonCandidates().find((c) => c.path !== undefined)?.path ?? localAddonPath();
}

/** Loads an addon file; throws an actionable Error (with `cause`) if it is missing or broken. */
export function loadBindingFrom(file: string): NativeBinding {
  if (!existsSync(file)) {
    throw new Error(
      `gymnos: the native data engine is not built: ${file} does not exist. ${capitalize(buildRemedy())}`,
      {
        cause: new Error(`ENOENT: ${file}`),
      },
    );
  }
  try {
    const require = createRequire(import.meta.url);
    const b = require(file) as NativeBinding;
    for (const fn of ['open', 'info', 'next', 'close', 'release', 'stats'] as const) {
      if (typeof b[fn] !== 'function') throw new Error(`export '${fn}' is missing`);
    }
    return b;
  } catch (cause) {
    const msg = (cause as Error).message;
    const glibc = /GLIBC_[0-9.]+/.exec(msg);
    const why = glibc ? ` It needs ${glibc[0]}, newer than this system's glibc (${glibcVersion() ?? 'unknown'}).` : '';
    throw new Error(
      `gymnos: failed to load the native data engine ${file}: ${msg}.${why} Rebuild it for this system: ${buildRemedy()}`,
      { cause },
    );
  }
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function glibcVersion(): string | undefined {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime;
}

let cached: NativeBinding | undefined;

/** The addon, loaded once from the first place that has it (locate.ts); an actionable Error when none does. */
export function loadBinding(): NativeBinding {
  if (cached) return cached;
  const candidates = addonCandidates();
  const env = candidates[0];
  if (env.source === 'GYMNOS_NATIVE_ADDON' && env.path === undefined) {
    throw new Error(
      `gymnos: GYMNOS_NATIVE_ADDON is set to ${env.looked}, which does not exist; point it at an addon file or unset it`,
    );
  }
  const found = candidates.find((c) => c.path !== undefined);
  if (!found?.path)
    throw new Error(missingAddonMessage(candidates), {
      cause: new Error(`ENOENT: ${candidates.map((c) => c.looked).join(', ')}`),
    });
  cached = loadBindingFrom(found.path);
  return cached;
}
