/** Seeded, optionally stratified train/validation/test splits of sample indices. */
import { Rng } from '../util/rng.js';
import { DatasetError } from './errors.js';

export interface SplitSpec {
  /** Fractions (0..1) or counts (>= 1) of the validation and test parts; train gets the rest. */
  validation?: number;
  test?: number;
  seed?: number;
  /** Keep each class's proportion in every part (needs labels). */
  stratify?: boolean;
}

export interface SplitIndices {
  train: number[];
  validation: number[];
  test: number[];
}

function take(n: number, amount: number | undefined, where: string): number {
  if (amount === undefined) return 0;
  if (!(amount >= 0))
    throw new DatasetError(`expected a fraction in [0, 1) or a count >= 1 for ${where} but got ${amount}`);
  return amount < 1 ? Math.round(n * amount) : Math.floor(amount);
}

/** Splits `count` samples; with `stratify`, per class by `labels`. */
export function splitIndices(count: number, spec: SplitSpec, labels?: ArrayLike<number>): SplitIndices {
  const rng = new Rng(spec.seed ?? 0);
  const groups: number[][] = [];
  if (spec.stratify) {
    if (!labels) throw new Error('split.stratify needs labels'); // a caller's bug, not the user's
    const byClass = new Map<number, number[]>();
    for (let i = 0; i < count; i++) {
      const l = labels[i];
      const g = byClass.get(l);
      if (g) g.push(i);
      else byClass.set(l, [i]);
    }
    for (const k of [...byClass.keys()].sort((a, b) => a - b)) groups.push(byClass.get(k)!);
  } else groups.push(Array.from({ length: count }, (_, i) => i));
  const out: SplitIndices = { train: [], validation: [], test: [] };
  const nVal = take(count, spec.validation, 'dataset.split.validation');
  const nTest = take(count, spec.test, 'dataset.split.test');
  const asked = `dataset.split asks for validation ${spec.validation ?? 0} (${nVal} samples) and test ${spec.test ?? 0} (${nTest} samples)`;
  if (nVal + nTest >= count)
    throw new DatasetError(
      `${asked}, which leaves no training samples out of the dataset's ${count}; lower dataset.split.validation or dataset.split.test, or add samples`,
    );
  for (const g of groups) {
    rng.shuffle(g);
    const share = g.length / count;
    const v = groups.length > 1 ? Math.round(nVal * share) : nVal;
    const t = groups.length > 1 ? Math.round(nTest * share) : nTest;
    out.test.push(...g.slice(0, t));
    out.validation.push(...g.slice(t, t + v));
    out.train.push(...g.slice(t + v));
  }
  if (out.train.length === 0) {
    throw new DatasetError(
      `${asked}; stratified per class (${groups.length} classes of ${groups.map((g) => g.length).join(', ')} samples), rounding leaves no training samples out of the dataset's ${count}; lower dataset.split.validation or dataset.split.test, set dataset.split.stratify to false, or add samples`,
    );
  }
  for (const k of ['train', 'validation', 'test'] as const) out[k].sort((a, b) => a - b);
  return out;
}
