/** Seeded, optionally stratified train/validation/test splits of sample indices. */
import { Rng } from '../util/rng.js';

export interface SplitSpec {
  /** Fractions (0..1) or counts (>= 1) of the validation and test parts; train gets the rest. */
  validation?: number;
  test?: number;
  seed?: number;
  /** Keep each class's proportion in every part (needs labels). */
  stratify?: boolean;
}

export interface SplitIndices { train: number[]; validation: number[]; test: number[] }

function take(n: number, amount: number | undefined, where: string): number {
  if (amount === undefined) return 0;
  if (!(amount >= 0)) throw new Error(`${where}: expected a fraction in [0, 1) or a count >= 1 but got ${amount}`);
  return amount < 1 ? Math.round(n * amount) : Math.floor(amount);
}

/** Splits `count` samples; with `stratify`, per class by `labels`. */
export function splitIndices(count: number, spec: SplitSpec, labels?: ArrayLike<number>): SplitIndices {
  const rng = new Rng(spec.seed ?? 0);
  const groups: number[][] = [];
  if (spec.stratify) {
    if (!labels) throw new Error('split.stratify needs labels');
    const byClass = new Map<number, number[]>();
    for (let i = 0; i < count; i++) {
      const l = labels[i];
      const g = byClass.get(l);
      if (g) g.push(i); else byClass.set(l, [i]);
    }
    for (const k of [...byClass.keys()].sort((a, b) => a - b)) groups.push(byClass.get(k)!);
  } else groups.push(Array.from({ length: count }, (_, i) => i));
  const out: SplitIndices = { train: [], validation: [], test: [] };
  const nVal = take(count, spec.validation, 'split.validation');
  const nTest = take(count, spec.test, 'split.test');
  if (nVal + nTest >= count) throw new Error(`split: validation (${nVal}) and test (${nTest}) leave no training samples out of ${count}`);
  for (const g of groups) {
    rng.shuffle(g);
    const share = g.length / count;
    const v = groups.length > 1 ? Math.round(nVal * share) : nVal;
    const t = groups.length > 1 ? Math.round(nTest * share) : nTest;
    out.test.push(...g.slice(0, t));
    out.validation.push(...g.slice(t, t + v));
    out.train.push(...g.slice(t + v));
  }
  for (const k of ['train', 'validation', 'test'] as const) out[k].sort((a, b) => a - b);
  return out;
}
