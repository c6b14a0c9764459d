/**
 * The search space: config paths (`"training.optimizer.lr"`) mapped to parameter distributions.
 * Every strategy draws points in the unit cube [0, 1)^d and `fromUnit` maps each coordinate to its
 * parameter, so grid, random and quasi-random sequences share one mapping; `gridValues` lists a
 * parameter's values for the grid strategy.
 */
import { arr, check, int, num, tagged, type Issue, type Schema } from '../config/schema.js';

/** Any JSON value (a `choice` may pick numbers, strings, arrays or objects). */
const anyJson: Schema<unknown> = {
  optional: false,
  doc: 'any JSON value',
  parse: (v, path, issues: Issue[]) => {
    if (v === undefined) {
      issues.push({ path, message: `expected a JSON value for ${path} but got nothing` });
      return undefined;
    }
    return v;
  },
  json: () => ({}),
};

const bounds = (what: string, positive = false) => ({
  low: positive ? num({ exclusiveMin: 0, doc: `smallest ${what} (> 0)` }) : num({ doc: `smallest ${what}` }),
  high: num({ doc: `largest ${what}` }),
});

const lowBelowHigh = <T extends { type: string; low?: number; high?: number }>(p: T, path: string) =>
  p.low !== undefined && p.high !== undefined && !(p.low < p.high) && !(p.type === 'int' && p.low === p.high)
    ? `expected ${path}.low < ${path}.high but got low ${p.low} and high ${p.high}`
    : undefined;

/** One parameter's distribution. */
export const paramSchema = check(
  tagged(
    {
      choice: {
        values: arr(anyJson, {
          minItems: 1,
          doc: 'the values to choose from (any JSON: numbers, strings, arrays, objects)',
        }),
      },
      uniform: bounds('value'),
      loguniform: bounds('value', true),
      int: {
        low: int({ doc: 'smallest integer' }),
        high: int({ doc: 'largest integer (inclusive)' }),
        step: int({ min: 1, default: 1, doc: 'spacing of the integers from low' }),
      },
    },
    {
      doc: 'a distribution: { "type": "choice", "values": [...] } | { "type": "uniform"|"loguniform", "low", "high" } | { "type": "int", "low", "high", "step" }',
    },
  ),
  lowBelowHigh,
);

export type Param =
  | { type: 'choice'; values: unknown[] }
  | { type: 'uniform'; low: number; high: number }
  | { type: 'loguniform'; low: number; high: number }
  | { type: 'int'; low: number; high: number; step: number };

export type Space = Record<string, Param>;
export type Params = Record<string, unknown>;

const intCount = (p: Extract<Param, { type: 'int' }>) => Math.floor((p.high - p.low) / p.step) + 1;

/** The value of parameter `p` at unit coordinate `u` in [0, 1). */
export function fromUnit(p: Param, u: number): unknown {
  const x = Math.min(Math.max(u, 0), 1 - Number.EPSILON);
  switch (p.type) {
    case 'choice':
      return structuredClone(p.values[Math.floor(x * p.values.length)]);
    case 'uniform':
      return p.low + x * (p.high - p.low);
    case 'loguniform':
      return Math.exp(Math.log(p.low) + x * (Math.log(p.high) - Math.log(p.low)));
    case 'int':
      return p.low + p.step * Math.floor(x * intCount(p));
  }
}

/**
 * The values the grid strategy tries for `p`: every choice; every integer when there are at most
 * `points` of them, else `points` evenly spaced ones; `points` evenly spaced values (log-spaced for
 * loguniform) from low to high inclusive.
 */
export function gridValues(p: Param, points: number): unknown[] {
  const lin = (lo: number, hi: number) =>
    points === 1 ? [(lo + hi) / 2] : Array.from({ length: points }, (_, i) => lo + (i * (hi - lo)) / (points - 1));
  switch (p.type) {
    case 'choice':
      return p.values.map((v) => structuredClone(v));
    case 'uniform':
      return lin(p.low, p.high);
    case 'loguniform':
      return lin(Math.log(p.low), Math.log(p.high)).map(Math.exp);
    case 'int': {
      const n = intCount(p);
      if (n <= points) return Array.from({ length: n }, (_, i) => p.low + i * p.step);
      return [...new Set(lin(0, n - 1).map((i) => p.low + p.step * Math.round(i)))];
    }
  }
}
