/** fitStandardize: statistics fitted on a split, then used by the native loader. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir, writeTabularFile } from '../native/fixtures.js';
import { fitStandardize } from '../../src/datasets/standardize.js';
import { NativeLoader } from '../../src/native/loader.js';

const tmp = tempDir();
after(() => tmp.cleanup());

function reference(values: Float32Array, n: number, rows: number[]): { mean: number[]; std: number[] } {
  const mean = Array.from({ length: n }, (_, j) => rows.reduce((s, r) => s + values[r * n + j], 0) / rows.length);
  const std = mean.map((m, j) => Math.sqrt(rows.reduce((s, r) => s + (values[r * n + j] - m) ** 2, 0) / rows.length));
  return { mean, std };
}

test('fits mean and std on all rows or a split, for list and scalar columns', () => {
  const list = tmp.file('list.arrow');
  const { values } = writeTabularFile(list, { rows: 40, features: 5, list: true, batchRows: 13 });
  const all = Array.from({ length: 40 }, (_, i) => i);
  const split = all.filter((i) => i % 3 !== 0);
  for (const [rows, arg] of [
    [all, undefined],
    [split, split],
  ] as const) {
    const got = fitStandardize(list, ['features'], arg);
    const want = reference(values, 5, rows);
    got.mean.forEach((m, j) => assert.ok(Math.abs(m - want.mean[j]) < 1e-9, `mean ${j}`));
    got.std.forEach((s, j) => assert.ok(Math.abs(s - want.std[j]) < 1e-9, `std ${j}`));
  }
  const cols = tmp.file('cols.arrow');
  const c = writeTabularFile(cols, { rows: 20, features: 3, list: false });
  const got = fitStandardize(cols, ['f2', 'f0']);
  const want = reference(
    c.values,
    3,
    Array.from({ length: 20 }, (_, i) => i),
  );
  assert.ok(Math.abs(got.mean[0] - want.mean[2]) < 1e-9 && Math.abs(got.std[1] - want.std[0]) < 1e-9);
  assert.throws(() => fitStandardize(cols, ['nope']), /no column 'nope'; its columns are f0, f1, f2, label/);
  assert.throws(() => fitStandardize(cols, ['f0'], [25]), /row 25 outside \[0, 20\)/);
});

test('standardized features from the native loader have mean 0 and std 1 on the fitted split', async () => {
  const path = tmp.file('fit.arrow');
  writeTabularFile(path, { rows: 64, features: 4, list: true });
  const standardize = fitStandardize(path, ['features']);
  const loader = NativeLoader.open({
    path,
    data: { kind: 'tabular', columns: ['features'], standardize },
    label: { column: 'label' },
    batchSize: 64,
    shuffle: false,
  });
  const b = (await loader.next())!;
  loader.close();
  for (let j = 0; j < 4; j++) {
    let s = 0;
    let s2 = 0;
    for (let r = 0; r < 64; r++) {
      s += b.data[r * 4 + j];
      s2 += b.data[r * 4 + j] ** 2;
    }
    assert.ok(Math.abs(s / 64) < 1e-5, `feature ${j} mean`);
    assert.ok(Math.abs(Math.sqrt(s2 / 64) - 1) < 1e-5, `feature ${j} std`);
  }
});
