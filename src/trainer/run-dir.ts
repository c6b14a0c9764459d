/**
 * The run directory `<runsDir>/<experiment>/<id>/`: config.json (resolved), platform.json,
 * metrics.jsonl and metrics.csv, checkpoints/ (atomic, last N kept), model.onnx, gymnos.log and
 * state.json (status and position, for resume and for anyone inspecting the run).
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { removeStaleTemps, writeFileAtomic } from '../util/atomic.js';
import { UserError, asEnvironmentError } from '../util/errors.js';
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from './checkpoint.js';
import { RunLock } from './run-lock.js';
import type { Metrics, Position } from './events.js';

/** state.json */
export interface RunState extends Position {
  status: 'running' | 'completed' | 'aborted' | 'stopped' | 'failed';
  seed: number;
  lr: number;
  checkpoint?: string;
  error?: string;
  /** The failure's code when status is 'failed' (ERR_DIVERGED for a NaN loss, ...). */
  errorCode?: string;
  updatedAt: string;
}

/** One row of metrics.jsonl: an epoch's metrics (epoch 1 is the first) or the final test (the last epoch's number). */
export interface MetricsRecord {
  kind: 'epoch' | 'test';
  epoch: number;
  step: number;
  lr?: number;
  train?: Metrics;
  validation?: Metrics;
  test?: Metrics;
  seconds?: number;
  sessionSeconds?: number;
  /** Peak resident memory of the epoch in MiB (see TrainerEvent epochEnd.peakRssBytes). */ peak_rss_mb?: number;
}

const CK_RE = /^step-(\d+)\.gck$/;

/** A new run id: UTC timestamp plus 4 random hex digits. */
export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}-${randomBytes(2).toString('hex')}`;
}

export class RunDir {
  /** The lock this process holds on the directory (see `lock`). */
  private held?: RunLock;
  constructor(readonly path: string) {}

  /** Creates `<runsDir>/<name>/<id>` (or `exact` when given; it must be absent or empty). */
  static create(runsDir: string, name: string, exact?: string): RunDir {
    const path = exact ?? join(runsDir, name.replace(/[^\w.-]+/g, '_'), newRunId());
    if (existsSync(path) && readdirSync(path).length)
      throw new UserError(`output directory ${path} is not empty; choose another --output or resume it with --resume`);
    try {
      mkdirSync(join(path, 'checkpoints'), { recursive: true });
    } catch (e) {
      throw asEnvironmentError(e, path);
    }
    return new RunDir(path);
  }

  /**
   * Takes the directory's lock for this process (refused with a LockedError naming the holder)
   * and removes the temporary files interrupted writes left. Returns what a stale lock it took over
   * said, for a warning.
   */
  lock(): { staleHolder?: string; removedTemps: string[] } {
    const { lock, stale } = RunLock.acquire(this.file('.lock'), this.path);
    this.held = lock;
    const removedTemps = [this.path, this.file('checkpoints')].flatMap((d) => removeStaleTemps(d));
    return { staleHolder: stale, removedTemps };
  }

  /** Releases the lock `lock` took (no-op otherwise). */
  unlock(): void {
    this.held?.release();
    this.held = undefined;
  }

  file(name: string): string {
    return join(this.path, name);
  }

  writeJson(name: string, value: unknown): void {
    writeFileAtomic(this.file(name), `${JSON.stringify(value, null, 2)}\n`);
  }

  readJson<T>(name: string): T | undefined {
    try {
      return JSON.parse(readFileSync(this.file(name), 'utf8')) as T;
    } catch {
      return undefined;
    }
  }

  writeState(s: Omit<RunState, 'updatedAt'>): void {
    this.writeJson('state.json', { ...s, updatedAt: new Date().toISOString() });
  }

  appendMetrics(r: MetricsRecord): void {
    try {
      appendFileSync(this.file('metrics.jsonl'), `${JSON.stringify(r)}\n`);
    } catch (e) {
      throw asEnvironmentError(e, this.file('metrics.jsonl'));
    }
  }

  /** Metric rows so far (a torn last line from a crash is skipped). */
  readMetrics(): MetricsRecord[] {
    if (!existsSync(this.file('metrics.jsonl'))) return [];
    const out: MetricsRecord[] = [];
    for (const line of readFileSync(this.file('metrics.jsonl'), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as MetricsRecord);
      } catch {
        /* torn line */
      }
    }
    return out;
  }

  /** Keeps the metric rows up to `step` (a resumed run rewrites what comes after). */
  truncateMetrics(step: number): MetricsRecord[] {
    const kept = this.readMetrics().filter((r) => r.kind === 'epoch' && r.step <= step);
    writeFileAtomic(this.file('metrics.jsonl'), kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
    return kept;
  }

  /** Rewrites metrics.csv from the rows: one line per epoch (and the test), scalar metrics only. */
  writeCsv(rows: MetricsRecord[]): void {
    const flat = rows.map((r) => {
      const o: Record<string, number | string> = { kind: r.kind, epoch: r.epoch, step: r.step };
      if (r.lr !== undefined) o.lr = r.lr;
      for (const part of ['train', 'validation', 'test'] as const) {
        for (const [k, v] of Object.entries(r[part] ?? {})) if (typeof v === 'number') o[`${part}_${k}`] = v;
      }
      if (r.seconds !== undefined) o.seconds = r.seconds;
      if (r.peak_rss_mb !== undefined) o.peak_rss_mb = r.peak_rss_mb;
      return o;
    });
    const cols = [...new Set(flat.flatMap((o) => Object.keys(o)))];
    const text = [cols.join(','), ...flat.map((o) => cols.map((c) => o[c] ?? '').join(','))].join('\n');
    writeFileAtomic(this.file('metrics.csv'), `${text}\n`);
  }

  /** Checkpoint files, newest (highest step) first. */
  checkpoints(): string[] {
    const dir = this.file('checkpoints');
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => CK_RE.test(f))
      .sort((a, b) => Number(CK_RE.exec(b)![1]) - Number(CK_RE.exec(a)![1]))
      .map((f) => join(dir, f));
  }

  /** Writes a checkpoint atomically and deletes all but the newest `keep`. */
  saveCheckpoint(step: number, ck: Checkpoint, keep: number): string {
    const path = join(this.file('checkpoints'), `step-${String(step).padStart(9, '0')}.gck`);
    saveCheckpoint(path, ck);
    for (const old of this.checkpoints().slice(keep)) rmSync(old, { force: true });
    return path;
  }

  /**
   * The newest checkpoint that loads, passes its CRC checks and that `accept` takes (it throws for
   * one written for another model); corrupt, half-written and foreign ones are reported in
   * `skipped` and the previous one is tried.
   */
  latestCheckpoint(accept?: (ck: Checkpoint, path: string) => void): {
    found?: { path: string; checkpoint: Checkpoint };
    skipped: Array<{ path: string; error: string }>;
  } {
    const skipped: Array<{ path: string; error: string }> = [];
    for (const path of this.checkpoints()) {
      try {
        const checkpoint = loadCheckpoint(path);
        accept?.(checkpoint, path);
        return { found: { path, checkpoint }, skipped };
      } catch (e) {
        skipped.push({ path, error: (e as Error).message });
      }
    }
    return { skipped };
  }

  writeText(name: string, text: string): void {
    try {
      writeFileSync(this.file(name), text);
    } catch (e) {
      throw asEnvironmentError(e, this.file(name));
    }
  }
}
