/** Fitting tabular statistics for the loader's `standardize` step. */
import { readFileSync } from 'node:fs';
import { tableFromIPC } from 'apache-arrow';
import { arrowLayoutProblem } from './arrow-check.js';
import { DatasetError } from './errors.js';

/** Per-feature mean and standard deviation. */
export interface Standardization {
  mean: number[];
  std: number[];
}

/**
 * Computes per-feature mean and (population) standard deviation of `columns` of an Arrow IPC
 * file, over `rows` only (the training split) or all rows. Accumulates in float64 (Welford).
 * A feature with zero variance gets std 1, so standardizing leaves it centred, not infinite.
 * `columns` is one FixedSizeList<Float32> column or several Float32 columns, as in the plan.
 */
export function fitStandardize(path: string, columns: string[], rows?: ArrayLike<number>): Standardization {
  const bytes = readFileSync(path);
  // a damaged file must not hang apache-arrow's reader (see arrow-check.ts)
  const problem = arrowLayoutProblem(bytes);
  if (problem)
    throw new DatasetError(
      `the Arrow file '${path}' is truncated or corrupt (${problem}); delete the dataset cache (gymnosd datasets clear) and ingest again`,
    );
  const table = tableFromIPC(bytes);
  const cols = columns.map((name) => {
    const c = table.getChild(name);
    if (!c)
      throw new Error(
        `fitStandardize: '${path}' has no column '${name}'; its columns are ${table.schema.fields.map((x) => x.name).join(', ')}`,
      );
    return c;
  });
  const list =
    cols.length === 1 && cols[0].type.children?.length === 1 ? (cols[0].type as { listSize: number }).listSize : 0;
  const n = list || cols.length;
  const mean = new Float64Array(n);
  const m2 = new Float64Array(n);
  const count = rows ? rows.length : table.numRows;
  if (count === 0) throw new Error(`fitStandardize: no rows to fit in '${path}'`);
  for (let k = 0; k < count; k++) {
    const row = rows ? rows[k] : k;
    if (!(row >= 0 && row < table.numRows))
      throw new Error(`fitStandardize: row ${row} outside [0, ${table.numRows}) of '${path}'`);
    const x: ArrayLike<number> = list
      ? (cols[0].get(row) as { toArray(): Float32Array }).toArray()
      : cols.map((c) => c.get(row) as number);
    for (let j = 0; j < n; j++) {
      const d = x[j] - mean[j];
      mean[j] += d / (k + 1);
      m2[j] += d * (x[j] - mean[j]);
    }
  }
  const std = Array.from(m2, (v) => {
    const s = Math.sqrt(v / count);
    return s > 0 ? s : 1;
  });
  return { mean: Array.from(mean), std };
}
