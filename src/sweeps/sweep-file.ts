/**
 * The sweep file: an experiment (inline, or a path relative to the sweep file), fixed overrides,
 * a search space over config paths, a strategy, the metric to optimize, a trial budget and early
 * termination. One schema (the experiment file's toolkit: unknown keys rejected with their JSON
 * path and the nearest valid key), and every trial's experiment is built and validated when the
 * sweep is loaded, so a bad path or value fails before anything runs.
 */
import { basename, dirname, extname, resolve } from 'node:path';
import {
  int,
  num,
  obj,
  oneOf,
  opt,
  record,
  str,
  tagged,
  type Infer,
  type Issue,
  type Schema,
} from '../config/schema.js';
import { ConfigError } from '../config/errors.js';
import { readJsonFile } from '../config/files.js';
import { parseExperiment, type ExperimentConfig } from '../experiment/index.js';
import { resolveMode, type Mode } from '../callbacks/monitor.js';
import { paramSchema, type Param, type Params, type Space } from './space.js';
import { sample, type Strategy } from './strategies.js';

/** `experiment`: a path to an experiment file or the experiment itself. */
const experimentRef: Schema<string | Record<string, unknown>> = {
  optional: false,
  doc: 'the experiment: a path (relative to the sweep file) or the experiment object itself',
  parse(v, path, issues: Issue[]) {
    if ((typeof v === 'string' && v) || (typeof v === 'object' && v !== null && !Array.isArray(v)))
      return v as string | Record<string, unknown>;
    issues.push({
      path,
      message: `expected an experiment file path or an experiment object for ${path} but got ${JSON.stringify(v)}`,
    });
    return undefined;
  },
  json: () => ({
    description: 'the experiment: a path (relative to the sweep file) or the experiment object itself',
    oneOf: [{ type: 'string' }, { type: 'object' }],
  }),
};

const anyValue: Schema<unknown> = { optional: false, parse: (v) => v, json: () => ({}) };

export const sweepSchema = obj({
  $schema: opt(str({ doc: 'ignored; lets editors find a JSON Schema' })),
  $comment: opt(str({ doc: 'ignored; a note for readers' })),
  name: opt(
    str({ minLength: 1, doc: 'name of the sweep (default: the file name); sweeps go to <output>/<name>/<id>' }),
  ),
  experiment: experimentRef,
  set: record(anyValue, {
    default: {},
    doc: 'fixed overrides of the experiment for every trial: { "training.epochs": 2 }',
  }),
  space: record(paramSchema, {
    doc: 'config paths to search: { "training.optimizer.lr": { "type": "loguniform", "low": 0.001, "high": 0.1 } }',
  }),
  strategy: tagged(
    {
      grid: {
        points: int({
          min: 1,
          default: 3,
          doc: 'values per uniform/loguniform parameter (and at most this many per int parameter)',
        }),
      },
      random: {},
      halton: {},
    },
    {
      default: { type: 'random' },
      doc: "how parameter sets are chosen: 'grid' (every combination), 'random' (seeded draws) or 'halton' (a seeded low-discrepancy sequence)",
    },
  ),
  seed: int({ min: 0, default: 0, doc: 'seed of the random and halton strategies' }),
  trials: opt(
    int({
      min: 1,
      doc: 'the trial budget (required for random and halton; grid runs at most this many of its points, default all)',
    }),
  ),
  metric: str({
    minLength: 1,
    default: 'val_loss',
    doc: "the metric to optimize, named like the monitoring callbacks: 'val_loss', 'val_accuracy' (validation) or 'loss', 'accuracy' (training); a trial's value is that of its last epoch",
  }),
  mode: oneOf(['auto', 'min', 'max'] as const, {
    default: 'auto',
    doc: "'min', 'max', or 'auto' (max for accuracy-like names)",
  }),
  earlyTermination: opt(
    tagged(
      {
        asha: {
          eta: num({
            min: 2,
            default: 3,
            doc: 'reduction factor: at each rung only the top 1/eta of the trials that reached it continue',
          }),
          minEpochs: int({
            min: 1,
            default: 1,
            doc: 'epochs before the first rung; rungs follow at minEpochs * eta^k',
          }),
        },
      },
      { doc: 'stop weak trials early: { "type": "asha", "eta": 3, "minEpochs": 1 }' },
    ),
  ),
  workers: int({ min: 1, default: 1, doc: 'trials run at once by `gymnosd sweep run` (in-process workers)' }),
  attempts: int({ min: 1, default: 3, doc: 'tries per trial for internal failures (user errors fail at once)' }),
  output: opt(
    str({
      minLength: 1,
      doc: 'directory holding sweeps (default <runsDir>/sweeps; relative to the working directory); must be shared storage for distributed workers',
    }),
  ),
});

export type SweepFile = Infer<typeof sweepSchema>;

/** One trial: its id, parameters and validated experiment. */
export interface TrialSpec {
  id: string;
  index: number;
  params: Params;
  config: ExperimentConfig;
}

/** A loaded sweep: the file's values, the resolved mode and every trial. */
export interface Sweep {
  name: string;
  file: SweepFile;
  mode: Mode;
  /** Directory the experiment's relative paths resolve against. */
  baseDir: string;
  trials: TrialSpec[];
}

/** Sets `path` ("a.b[2].c" or "a.b.2.c") in `root` to `value` (creating objects on the way). */
export function setPath(root: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path
    .split('.')
    .flatMap((p) => p.split(/\[(\d+)\]/).filter((s) => s !== ''))
    .map((k) => (/^\d+$/.test(k) ? Number(k) : k));
  let node = root as Record<string | number, unknown>;
  keys.slice(0, -1).forEach((k, i) => {
    if (node[k] === undefined || node[k] === null || typeof node[k] !== 'object')
      node[k] = typeof keys[i + 1] === 'number' ? [] : {};
    node = node[k] as Record<string | number, unknown>;
  });
  node[keys[keys.length - 1]] = structuredClone(value);
}

const trialId = (i: number, n: number) => `t${String(i).padStart(Math.max(3, String(n - 1).length), '0')}`;

/**
 * Validates a sweep (raw JSON) and builds its trials; `source` names it in errors and `baseDir`
 * is where a relative experiment path resolves. Throws one ConfigError with every issue.
 */
export function parseSweep(raw: unknown, source = 'sweep', baseDir = process.cwd(), defaultName = 'sweep'): Sweep {
  const issues: Issue[] = [];
  const file = sweepSchema.parse(raw, '', issues);
  if (!file || issues.length) throw new ConfigError(source, issues);
  if (!Object.keys(file.space).length)
    throw new ConfigError(source, [
      {
        path: 'space',
        message:
          'expected at least one parameter in space, e.g. { "training.optimizer.lr": { "type": "loguniform", "low": 0.001, "high": 0.1 } }',
      },
    ]);
  if (file.strategy.type !== 'grid' && file.trials === undefined)
    throw new ConfigError(source, [
      {
        path: 'trials',
        message: `missing trials: the ${file.strategy.type} strategy needs a trial budget (an integer >= 1)`,
      },
    ]);
  let expRaw: Record<string, unknown>;
  let expBase = baseDir;
  let expSource = `${source}: experiment`;
  let name = defaultName;
  if (typeof file.experiment === 'string') {
    const p = resolve(baseDir, file.experiment);
    expRaw = readJsonFile(p) as Record<string, unknown>;
    expBase = dirname(p);
    expSource = p;
    if (defaultName === 'sweep') name = basename(p, extname(p));
  } else expRaw = file.experiment;
  if (typeof expRaw !== 'object' || expRaw === null || Array.isArray(expRaw))
    throw new ConfigError(expSource, [{ path: '', message: 'expected an experiment object' }]);
  const base = structuredClone(expRaw);
  for (const [k, v] of Object.entries(file.set)) setPath(base, k, v);
  parseExperiment(base, `${expSource} (with the sweep's set)`);
  const space = file.space as Space;
  const points = sample(space, file.strategy as Strategy, file.trials, file.seed);
  const trials: TrialSpec[] = [];
  for (const [i, params] of points.entries()) {
    const c = structuredClone(base);
    for (const [k, v] of Object.entries(params)) setPath(c, k, v);
    const id = trialId(i, points.length);
    try {
      trials.push({ id, index: i, params, config: parseExperiment(c, 'trial') });
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      const shown = Object.entries(params)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(', ');
      throw new ConfigError(
        source,
        e.issues.map((x) => ({
          path: `space`,
          message: `trial ${id} (${shown}): ${x.message}; check the space's config paths and ranges`,
        })),
      );
    }
  }
  return { name: file.name ?? name, file, mode: resolveMode(file.metric, file.mode), baseDir: expBase, trials };
}

/** Reads and validates a sweep file (the experiment path resolves against its folder). */
export function loadSweepFile(path: string): Sweep {
  const p = resolve(path);
  return parseSweep(readJsonFile(p), p, dirname(p), basename(p, extname(p)));
}

/** The distributions of a sweep's space (for reports). */
export const spaceOf = (s: Sweep): Record<string, Param> => s.file.space as Record<string, Param>;
