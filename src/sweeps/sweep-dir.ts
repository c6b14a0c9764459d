/**
 * The sweep directory `<output>/<name>/<id>/`: sweep.json (the sweep's trials and settings),
 * events.jsonl (every SweepEvent, appended by whichever process produced it) and
 * trials/<trial>/, each a normal run directory plus trial.json (the trial's outcome). Everything a
 * report needs is here, so the directory alone describes the sweep (shared storage for workers).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { newRunId } from '../trainer/run-dir.js';
import type { ExperimentConfig } from '../experiment/index.js';
import type { Mode } from '../callbacks/monitor.js';
import type { AshaOptions } from './asha.js';
import type { Param, Params } from './space.js';
import type { Sweep, TrialSpec } from './sweep-file.js';
import type { SweepEvent, TrialOutcome, TrialStatus } from './events.js';
import { UserError } from '../util/errors.js';

/** sweep.json */
export interface SweepManifest {
  id: string;
  name: string;
  createdAt: string;
  metric: string;
  mode: Mode;
  space: Record<string, Param>;
  strategy: unknown;
  asha?: AshaOptions;
  attempts: number;
  baseDir: string;
  trials: Array<{ id: string; index: number; params: Params }>;
}

/** What a worker needs to run one trial (a queue job's data). */
export interface TrialJob {
  sweepId: string;
  sweepDir: string;
  trial: { id: string; index: number; params: Params };
  config: ExperimentConfig;
  baseDir: string;
  metric: string;
  mode: Mode;
  asha?: AshaOptions;
}

/** Creates the directory of a new sweep and writes sweep.json. */
export function createSweepDir(
  sweep: Sweep,
  runsDir: string,
  output?: string,
): { id: string; dir: string; manifest: SweepManifest } {
  const id = newRunId();
  const dir = resolve(output ?? sweep.file.output ?? join(runsDir, 'sweeps'), sweep.name.replace(/[^\w.-]+/g, '_'), id);
  mkdirSync(join(dir, 'trials'), { recursive: true });
  const et = sweep.file.earlyTermination;
  const manifest: SweepManifest = {
    id,
    name: sweep.name,
    createdAt: new Date().toISOString(),
    metric: sweep.file.metric,
    mode: sweep.mode,
    space: sweep.file.space as Record<string, Param>,
    strategy: sweep.file.strategy,
    asha: et ? { eta: et.eta, minEpochs: et.minEpochs } : undefined,
    attempts: sweep.file.attempts,
    baseDir: sweep.baseDir,
    trials: sweep.trials.map((t) => ({ id: t.id, index: t.index, params: t.params })),
  };
  writeFileAtomic(join(dir, 'sweep.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return { id, dir, manifest };
}

/** The job of each trial of a sweep. */
export function trialJobs(sweep: Sweep, id: string, dir: string, m: SweepManifest): TrialJob[] {
  return sweep.trials.map((t: TrialSpec) => ({
    sweepId: id,
    sweepDir: dir,
    trial: { id: t.id, index: t.index, params: t.params },
    config: t.config,
    baseDir: sweep.baseDir,
    metric: m.metric,
    mode: m.mode,
    asha: m.asha,
  }));
}

export const trialDir = (sweepDir: string, trial: string) => join(sweepDir, 'trials', trial);

/** Appends an event to the sweep's events.jsonl (one write per line: appends do not interleave). */
export function appendEvent(sweepDir: string, e: SweepEvent): void {
  appendFileSync(join(sweepDir, 'events.jsonl'), `${JSON.stringify({ ...e, at: new Date().toISOString() })}\n`);
}

const readJson = <T>(p: string): T | undefined => {
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as T;
  } catch {
    return undefined;
  }
};

/** A sweep directory read back: its manifest, every trial's outcome so far, its events. */
export interface SweepData {
  dir: string;
  manifest: SweepManifest;
  outcomes: Map<string, TrialOutcome>;
  events: Array<SweepEvent & { at: string }>;
}

export function readSweepDir(dir: string): SweepData {
  const manifest = readJson<SweepManifest>(join(dir, 'sweep.json'));
  if (!manifest)
    throw new UserError(
      `${dir} is not a sweep directory (no readable sweep.json); pass the folder gymnosd sweep run/start printed`,
    );
  const outcomes = new Map<string, TrialOutcome>();
  const tdir = join(dir, 'trials');
  for (const t of existsSync(tdir) ? readdirSync(tdir) : []) {
    const o = readJson<TrialOutcome>(join(tdir, t, 'trial.json'));
    if (o) outcomes.set(t, o);
  }
  const events = existsSync(join(dir, 'events.jsonl'))
    ? readFileSync(join(dir, 'events.jsonl'), 'utf8')
        .split('\n')
        .filter((l) => l.trim())
        .flatMap((l) => {
          try {
            return [JSON.parse(l)];
          } catch {
            return [];
          }
        })
    : [];
  return { dir, manifest, outcomes, events };
}

/** The best finished trial: completed ones first (pruned ones only when none completed). */
export function bestTrial(outcomes: Iterable<TrialOutcome>, mode: Mode): TrialOutcome | undefined {
  const all = [...outcomes].filter((o) => typeof o.value === 'number' && !Number.isNaN(o.value));
  const pool = all.some((o) => o.status === 'completed')
    ? all.filter((o) => o.status === 'completed')
    : all.filter((o) => o.status === 'pruned');
  return pool.reduce<TrialOutcome | undefined>(
    (b, o) => (!b || (mode === 'min' ? o.value! < b.value! : o.value! > b.value!) ? o : b),
    undefined,
  );
}

export function countStatuses(outcomes: Iterable<TrialOutcome>): Record<TrialStatus, number> {
  const c: Record<TrialStatus, number> = { completed: 0, pruned: 0, failed: 0, stopped: 0 };
  for (const o of outcomes) c[o.status]++;
  return c;
}
