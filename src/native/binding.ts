/**
 * Finds and loads the native addon `native/gymnos-native.<platform>.node`. The package root is
 * found by walking up from this module to the nearest package.json, so the same code works from
 * `src/` (tsx) and `dist/src/` (compiled). A missing or broken addon is an error that says what
 * to run; there is no silent fallback.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** Platform tag in the addon's file name, e.g. `linux-x64-gnu` (same scheme as @napi-rs/cli). */
export function platformTag(): string {
  const { platform, arch } = process;
  if (platform !== 'linux') return `${platform}-${arch}`;
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return `${platform}-${arch}-${report?.header?.glibcVersionRuntime ? 'gnu' : 'musl'}`;
}

/** The nearest directory at or above `start` that holds a package.json. */
export function findPackageRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`gymnos: no package.json found above ${start}`);
    dir = up;
  }
}

/** Absolute path where the addon is expected. */
export function addonPath(): string {
  const root = findPackageRoot(dirname(fileURLToPath(import.meta.url)));
  return join(root, 'native', `gymnos-native.${platformTag()}.node`);
}

/** Loads an addon file; throws an actionable Error (with `cause`) if it is missing or broken. */
export function loadBindingFrom(file: string): NativeBinding {
  const remedy = 'Build it with `npm run build:native` (node scripts/build-native.mjs; needs the Rust toolchain: cargo and rustc).';
  if (!existsSync(file)) {
    throw new Error(`gymnos: the native data engine is not built: ${file} does not exist. ${remedy}`, {
      cause: new Error(`ENOENT: ${file}`),
    });
  }
  try {
    const require = createRequire(import.meta.url);
    const b = require(file) as NativeBinding;
    for (const fn of ['open', 'info', 'next', 'close', 'release', 'stats'] as const) {
      if (typeof b[fn] !== 'function') throw new Error(`export '${fn}' is missing`);
    }
    return b;
  } catch (cause) {
    throw new Error(`gymnos: failed to load the native data engine ${file}: ${(cause as Error).message}. Rebuild it with \`npm run build:native\` (node scripts/build-native.mjs).`, { cause });
  }
}

let cached: NativeBinding | undefined;

/** The addon, loaded once. */
export function loadBinding(): NativeBinding {
  cached ??= loadBindingFrom(addonPath());
  return cached;
}
