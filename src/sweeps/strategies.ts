/**
 * Strategies: which parameter sets a sweep tries, all decided when the sweep starts (so the trial
 * list is the same whoever runs it and however many workers there are).
 *
 * - `grid`: the Cartesian product of every parameter's grid values (the last key varies fastest);
 * - `random`: independent uniform draws from a seeded generator;
 * - `halton`: a scrambled Halton sequence (one prime base per parameter, each base's digits
 *   permuted by a seeded shuffle that keeps 0 fixed), a low-discrepancy sequence: the first b^k
 *   points put exactly one value in each of the b^k equal slices of every coordinate, so a small
 *   budget covers the space more evenly than random draws do.
 *
 * No model-based strategy (TPE): no maintained TPE library was found on npm (see the README), and a
 * model-based strategy needs finished trials before proposing the next one, unlike this up-front list.
 */
import { Rng } from '../util/rng.js';
import { fromUnit, gridValues, type Params, type Space } from './space.js';
import { UserError } from '../util/errors.js';

export type Strategy = { type: 'grid'; points: number } | { type: 'random' } | { type: 'halton' };

const PRIMES = [
  2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109,
  113,
];

/** Radical inverse of `i` in `base`, with each digit mapped through `perm` (identity when absent). */
export function radicalInverse(i: number, base: number, perm?: number[]): number {
  let f = 1 / base;
  let r = 0;
  for (let n = i; n > 0; n = Math.floor(n / base), f /= base) r += (perm ? perm[n % base] : n % base) * f;
  return r;
}

/** A seeded digit permutation of 0..base-1 that keeps 0 in place (so trailing zeros stay zero). */
function digitPermutation(base: number, rng: Rng): number[] {
  const p = Array.from({ length: base }, (_, i) => i);
  for (let i = base - 1; i > 1; i--) {
    const j = 1 + Math.floor(rng.next() * i);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** The first `n` points of the scrambled Halton sequence in `dims` dimensions (indices 1..n). */
export function halton(n: number, dims: number, seed: number): number[][] {
  if (dims > PRIMES.length)
    throw new UserError(`the halton strategy supports at most ${PRIMES.length} parameters; use random for ${dims}`);
  const rng = new Rng(seed);
  const perms = PRIMES.slice(0, dims).map((b) => digitPermutation(b, rng));
  return Array.from({ length: n }, (_, k) => perms.map((perm, d) => radicalInverse(k + 1, PRIMES[d], perm)));
}

/** Every grid point, in order. */
export function gridPoints(space: Space, points: number): Params[] {
  let out: Params[] = [{}];
  for (const [key, p] of Object.entries(space))
    out = out.flatMap((o) => gridValues(p, points).map((v) => ({ ...o, [key]: v })));
  return out;
}

/** The parameter sets of a sweep: at most `trials` of them (grid: the first `trials` points). */
export function sample(space: Space, strategy: Strategy, trials: number | undefined, seed: number): Params[] {
  const keys = Object.keys(space);
  const at = (u: number[]) => Object.fromEntries(keys.map((k, d) => [k, fromUnit(space[k], u[d])]));
  switch (strategy.type) {
    case 'grid': {
      const all = gridPoints(space, strategy.points);
      return trials === undefined ? all : all.slice(0, trials);
    }
    case 'random': {
      const rng = new Rng(seed);
      return Array.from({ length: trials ?? 0 }, () => at(keys.map(() => rng.next())));
    }
    case 'halton':
      return halton(trials ?? 0, keys.length, seed).map(at);
  }
}
