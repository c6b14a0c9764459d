/**
 * Benchmark of the native data engine (issue 3).
 *
 * 1. Throughput: CIFAR-sized synthetic images (32x32x3, uint8) in an Arrow IPC file, the CIFAR
 *    training recipe (random crop 32 with padding 4, horizontal flip, toFloat, normalize) in
 *    batches of 128: images/s of the native loader on 1 and 2 threads against the TypeScript
 *    oracle (the same transforms in plain TypeScript), medians over several epochs, and ratios.
 * 2. Memory: streams one epoch of a large Arrow file (default 2 GiB) and reports the peak growth
 *    of resident memory over the baseline against the prefetch window + 64 MiB.
 *
 * Run: node --import tsx bench/native-loader.ts [--images 10000] [--epochs 5] [--big-mb 2048]
 * (or call `benchNativeLoader` from another benchmark).
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  Field,
  FixedSizeList,
  Int32,
  RecordBatch,
  RecordBatchFileWriter,
  Schema,
  Struct,
  Table,
  Uint8,
  makeData,
  tableToIPC,
} from 'apache-arrow';
import { NativeLoader } from '../src/native/loader.js';
import { loadBinding } from '../src/native/binding.js';
import { validatePlan, type LoaderPlan } from '../src/native/plan.js';
import { OracleLoader, readOracleSource } from '../test/native/oracle/loader.js';

/** Options of `benchNativeLoader`. */
export interface NativeLoaderBenchOptions {
  /** Synthetic images in the throughput file (default 10000). */
  images?: number;
  /** Timed epochs per native configuration (default 5); the oracle runs max(2, epochs - 2). */
  epochs?: number;
  /** Size of the streaming-memory file in MiB (default 2048; 0 skips the memory check). */
  bigMiB?: number;
  /** Print a table to stdout (default true). */
  print?: boolean;
}

/** One throughput row. */
export interface ThroughputRow {
  name: string;
  threads: number | null;
  /** Wall-clock images/s per epoch, in run order. */
  perEpoch: number[];
  median: number;
  /** Median images per CPU-second of the whole process (all threads): robust to machine load. */
  cpuMedian: number;
}

/** What `benchNativeLoader` measured. */
export interface NativeLoaderBenchResult {
  images: number;
  rows: ThroughputRow[];
  /** Wall-clock medians: native (1 thread) / oracle, native (2 threads) / oracle. */
  ratio1: number;
  ratio2: number;
  /** CPU-time medians: native (1 thread) / oracle. */
  cpuRatio1: number;
  /** With `batch.release()` after each batch (what the trainer does), then GC only. */
  memory: MemoryResult[];
}

/** One streaming-memory run. */
export interface MemoryResult {
  /** Whether each batch was released explicitly (else reclaimed by GC only). */
  release: boolean;
  fileMiB: number;
  /** Peak bytes of batches handed to JavaScript and not yet freed. */
  peakUnreleasedBatchesMiB: number;
  images: number;
  seconds: number;
  baselineRssMiB: number;
  peakGrowthMiB: number;
  windowMiB: number;
  limitMiB: number;
  ok: boolean;
}

const SHAPE: [number, number, number] = [32, 32, 3];
const WIDTH = SHAPE[0] * SHAPE[1] * SHAPE[2];
const RECIPE: LoaderPlan['data'] = {
  kind: 'image',
  column: 'image',
  transforms: [
    { type: 'randomCrop', size: 32, padding: 4 },
    { type: 'horizontalFlip' },
    { type: 'toFloat' },
    { type: 'normalize', mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] },
  ],
};

function schema(): Schema {
  const imgType = new FixedSizeList(WIDTH, new Field('item', new Uint8(), false));
  return new Schema([
    new Field('image', imgType, false, new Map([['gymnos.shape', JSON.stringify(SHAPE)]])),
    new Field('label', new Int32(), false),
  ]);
}

function batchOf(s: Schema, rows: number, seed: number): RecordBatch {
  const px = new Uint8Array(rows * WIDTH);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < px.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    px[i] = x & 0xff;
  }
  const labels = Int32Array.from({ length: rows }, (_, i) => (i + seed) % 10);
  const [img, lab] = s.fields;
  return new RecordBatch(
    s,
    makeData({
      type: new Struct(s.fields),
      length: rows,
      nullCount: 0,
      children: [
        makeData({
          type: img.type as FixedSizeList,
          length: rows,
          nullCount: 0,
          child: makeData({ type: new Uint8(), length: rows * WIDTH, data: px }),
        }),
        makeData({ type: lab.type as Int32, length: rows, nullCount: 0, data: labels }),
      ],
    }),
  );
}

/** Writes `images` synthetic CIFAR-shaped rows (record batches of 1000). */
export function writeCifarLike(path: string, images: number): void {
  const s = schema();
  const batches: RecordBatch[] = [];
  for (let start = 0; start < images; start += 1000)
    batches.push(batchOf(s, Math.min(1000, images - start), start + 1));
  writeFileSync(path, tableToIPC(new Table(s, batches), 'file'));
}

/** Streams a ~`mib` MiB file of identical 4096-row record batches (run in a child process). */
async function writeBig(path: string, mib: number): Promise<void> {
  const s = schema();
  const b = batchOf(s, 4096, 3);
  const count = Math.max(1, Math.round((mib * 1024 * 1024) / (4096 * (WIDTH + 4))));
  function* gen() {
    for (let i = 0; i < count; i++) yield b;
  }
  const through = (RecordBatchFileWriter as unknown as { throughNode(): NodeJS.ReadWriteStream }).throughNode();
  await pipeline(Readable.from(gen()), through, createWriteStream(path));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** One timed epoch: wall-clock and process CPU (all threads) images/s. */
interface EpochRate {
  wall: number;
  cpu: number;
}

async function nativeEpoch(path: string, threads: number, epoch: number): Promise<EpochRate> {
  // A fresh loader per epoch (resumed at the epoch's cursor), so no prefetched work carries over
  // into another configuration's measurement; start-up cost counts against the native loader.
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const loader = NativeLoader.open({
    path,
    data: RECIPE,
    label: { column: 'label' },
    batchSize: 128,
    threads,
    prefetch: 4 * threads,
    epochs: epoch + 1,
    seed: 1,
    cursor: { epoch, position: 0 },
  });
  let n = 0;
  let sink = 0;
  for await (const b of loader) {
    n += b.size;
    sink += b.data[0];
    b.release(); // what the trainer does once a step has consumed the batch
  }
  if (Number.isNaN(sink)) throw new Error('unreachable');
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { wall: n / wall, cpu: n / ((c.user + c.system) / 1e6) };
}

function oracleEpoch(o: OracleLoader, epoch: number): EpochRate {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  for (let i = 0; i < o.batchesPerEpoch; i++) n += o.batch(epoch, i).rows.length;
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { wall: n / wall, cpu: n / ((c.user + c.system) / 1e6) };
}

function writeBigFile(dir: string, mib: number): string {
  const path = join(dir, 'big.arrow');
  // Written by a child process so the writer's memory does not count here.
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--write-big', path, String(mib)],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) throw new Error('writing the big Arrow file failed');
  return path;
}

async function memoryCheck(path: string, mib: number, release: boolean): Promise<MemoryResult> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const batchSize = 256;
  const prefetch = 4;
  const loader = NativeLoader.open({
    path,
    data: RECIPE,
    label: { column: 'label' },
    batchSize,
    threads: 2,
    prefetch,
    epochs: 1,
    seed: 1,
  });
  gc();
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  let n = 0;
  const t0 = performance.now();
  let i = 0;
  let peakLive = 0;
  for await (const b of loader) {
    n += b.size;
    if (release) b.release();
    if (++i % 8 === 0) {
      peak = Math.max(peak, process.memoryUsage.rss());
      peakLive = Math.max(peakLive, loadBinding().stats().liveBatchBytes);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  peak = Math.max(peak, process.memoryUsage.rss());
  const MiB = 1024 * 1024;
  // Window: batches in flight (prefetch + the one being consumed) plus the mapped-file residency
  // budget (plan.residentBytes, 32 MiB by default).
  const batchBytes = batchSize * WIDTH * 4 + batchSize * 4 * 2;
  const windowMiB = ((prefetch + 1) * batchBytes + loader.plan.residentBytes) / MiB;
  const growth = (peak - baseline) / MiB;
  return {
    release,
    fileMiB: mib,
    peakUnreleasedBatchesMiB: peakLive / MiB,
    images: n,
    seconds,
    baselineRssMiB: baseline / MiB,
    peakGrowthMiB: growth,
    windowMiB,
    limitMiB: windowMiB + 64,
    ok: growth <= windowMiB + 64,
  };
}

/** Runs the benchmark; see the file comment. */
export async function benchNativeLoader(opts: NativeLoaderBenchOptions = {}): Promise<NativeLoaderBenchResult> {
  const images = opts.images ?? 10000;
  const epochs = opts.epochs ?? 5;
  const print = opts.print ?? true;
  const dir = mkdtempSync(join(tmpdir(), 'gymnos-bench-native-'));
  try {
    const path = join(dir, 'cifar-like.arrow');
    writeCifarLike(path, images);
    // Interleaved rounds (native 1 thread, native 2 threads, oracle) so that all three see the
    // same machine load; one warm-up round is discarded.
    const plan = validatePlan({
      path,
      data: RECIPE,
      label: { column: 'label' },
      batchSize: 128,
      epochs: null,
      seed: 1,
    });
    const oracle = new OracleLoader(plan, readOracleSource(plan));
    const runs: EpochRate[][] = [[], [], []];
    for (let round = 0; round <= epochs; round++) {
      const r = [await nativeEpoch(path, 1, round), await nativeEpoch(path, 2, round), oracleEpoch(oracle, round)];
      if (round > 0) r.forEach((x, i) => runs[i].push(x));
    }
    const names = ['native loader, 1 thread', 'native loader, 2 threads', 'TypeScript oracle (same transforms)'];
    const rows: ThroughputRow[] = runs.map((rs, i) => ({
      name: names[i],
      threads: i < 2 ? i + 1 : null,
      perEpoch: rs.map((x) => x.wall),
      median: median(rs.map((x) => x.wall)),
      cpuMedian: median(rs.map((x) => x.cpu)),
    }));
    const result: NativeLoaderBenchResult = {
      images,
      rows,
      ratio1: rows[0].median / rows[2].median,
      ratio2: rows[1].median / rows[2].median,
      cpuRatio1: rows[0].cpuMedian / rows[2].cpuMedian,
      memory: [],
    };
    if (print) {
      console.log(
        `native loader benchmark: ${images} images 32x32x3, randomCrop(32, pad 4) + hflip + toFloat + normalize, batch 128`,
      );
      console.log(
        `  (interleaved rounds, ${epochs} timed epochs each after one warm-up; wall = images per second; cpu = images per CPU-second, all threads)`,
      );
      for (const r of rows)
        console.log(
          `  ${r.name.padEnd(38)} wall median ${r.median.toFixed(0).padStart(7)} img/s  cpu median ${r.cpuMedian.toFixed(0).padStart(7)} img/cpu-s  epochs: ${r.perEpoch.map((x) => x.toFixed(0)).join(', ')}`,
        );
      console.log(
        `  ratio native/oracle (wall): 1 thread ${result.ratio1.toFixed(1)}x, 2 threads ${result.ratio2.toFixed(1)}x; (cpu) 1 thread ${result.cpuRatio1.toFixed(1)}x`,
      );
    }
    const big = opts.bigMiB ?? 2048;
    if (big > 0) {
      const bigPath = writeBigFile(dir, big);
      for (const release of [true, false]) {
        // Each run in a fresh process, so the baseline is not inflated by the throughput phase.
        const child = spawnSync(
          process.execPath,
          ['--import', 'tsx', fileURLToPath(import.meta.url), '--memory-run', bigPath, String(big), String(release)],
          { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
        );
        if (child.status !== 0) throw new Error(`memory run failed: ${child.stdout}`);
        const m = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as MemoryResult;
        result.memory.push(m);
        if (print) {
          console.log(
            `memory (${release ? 'batch.release() after each batch' : 'GC only, no release()'}): streamed ${m.images} images of a ${m.fileMiB} MiB file in ${m.seconds.toFixed(1)} s (${(m.images / m.seconds).toFixed(0)} img/s, 2 threads, batch 256, prefetch 4)`,
          );
          console.log(
            `  baseline RSS ${m.baselineRssMiB.toFixed(0)} MiB, peak growth ${m.peakGrowthMiB.toFixed(1)} MiB (unreleased batches peak ${m.peakUnreleasedBatchesMiB.toFixed(1)} MiB); window ${m.windowMiB.toFixed(1)} MiB + 64 = limit ${m.limitMiB.toFixed(1)} MiB: ${m.ok ? 'OK' : 'EXCEEDED'}`,
          );
        }
      }
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const wi = process.argv.indexOf('--write-big');
  const mi = process.argv.indexOf('--memory-run');
  if (wi >= 0) await writeBig(process.argv[wi + 1], Number(process.argv[wi + 2]));
  else if (mi >= 0)
    console.log(
      JSON.stringify(
        await memoryCheck(process.argv[mi + 1], Number(process.argv[mi + 2]), process.argv[mi + 3] === 'true'),
      ),
    );
  else {
    const r = await benchNativeLoader({
      images: arg('images', 10000),
      epochs: arg('epochs', 5),
      bigMiB: arg('big-mb', 2048),
    });
    if (r.memory.length && !r.memory[0].ok) process.exitCode = 1;
  }
}
