/** Shared helpers: run a plan natively and through the TypeScript oracle, and compare. */
import assert from 'node:assert/strict';
import { NativeLoader, type Batch } from '../../src/native/loader.js';
import { validatePlan, type LoaderPlan } from '../../src/native/plan.js';
import { OracleLoader, readOracleSource, type OracleBatch } from './oracle/loader.js';

/** All batches of a native loader. */
export async function collect(plan: LoaderPlan): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of NativeLoader.open(plan)) out.push(b);
  return out;
}

/** All batches of the oracle for the same plan. */
export function oracle(plan: LoaderPlan): OracleBatch[] {
  const p = validatePlan(plan);
  return [...new OracleLoader(p, readOracleSource(p)).batches()];
}

/** Largest |a-b| over two arrays (NaN counts as mismatch). */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'array lengths differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/**
 * Asserts native == oracle batch by batch: same rows and labels exactly, data within `tol`
 * (0 means bit-exact). Returns the largest data difference seen.
 */
export async function assertMatchesOracle(plan: LoaderPlan, tol = 0): Promise<number> {
  const native = await collect(plan);
  const ref = oracle(plan);
  assert.equal(native.length, ref.length, 'batch count');
  let worst = 0;
  native.forEach((b, i) => {
    const r = ref[i];
    assert.equal(b.epoch, r.epoch);
    assert.equal(b.index, r.index);
    assert.deepEqual(Array.from(b.rows), Array.from(r.rows), `rows of batch ${i}`);
    if (r.labels === null) assert.equal(b.labels, null);
    else {
      assert.ok(b.labels);
      assert.equal(b.labels.constructor, r.labels.constructor, 'label array type');
      assert.ok(maxDiff(b.labels, r.labels) <= (tol === 0 ? 0 : 1e-6), `labels of batch ${i}`);
    }
    const d = maxDiff(b.data, r.data);
    assert.ok(d <= tol, `batch ${i} (epoch ${b.epoch}, index ${b.index}): max |native - oracle| = ${d} > ${tol}`);
    worst = Math.max(worst, d);
  });
  return worst;
}
