/** A row selection (a split of one Arrow file): the loader reads exactly those rows, like the oracle. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir, writeImageFile } from './fixtures.js';
import { assertMatchesOracle, collect } from './helpers.js';
import { NativeLoader } from '../../src/native/loader.js';
import { validatePlan, type LoaderPlan } from '../../src/native/plan.js';

const tmp = tempDir();
after(() => tmp.cleanup());
const file = writeImageFile(tmp.file('img.arrow'), { rows: 50, shape: [6, 6, 3], batchRows: 17 }).path;
const selection = [44, 3, 17, 8, 29, 0, 33, 12, 49, 21, 5];
const plan = (extra: Partial<LoaderPlan> = {}): LoaderPlan => ({
  path: file,
  batchSize: 4,
  seed: 7,
  epochs: 2,
  rows: selection,
  data: {
    kind: 'image',
    column: 'image',
    transforms: [{ type: 'randomCrop', size: 6, padding: 1 }, { type: 'horizontalFlip' }, { type: 'toFloat' }],
  },
  label: { column: 'label' },
  ...extra,
});

test('each epoch reads every selected row once and no other; equal to the oracle', async () => {
  const batches = await collect(plan({ threads: 2 }));
  for (const epoch of [0, 1]) {
    const seen = batches
      .filter((b) => b.epoch === epoch)
      .flatMap((b) => [...b.rows])
      .sort((a, b) => a - b);
    assert.deepEqual(
      seen,
      [...selection].sort((a, b) => a - b),
    );
  }
  await assertMatchesOracle(plan());
  await assertMatchesOracle(plan({ shard: { index: 1, count: 2 } }));
});

test('without shuffling the selection order is kept; a typed array works too', async () => {
  const batches = await collect(plan({ shuffle: false, epochs: 1, rows: Uint32Array.from(selection) }));
  assert.deepEqual(
    batches.flatMap((b) => [...b.rows]),
    selection,
  );
});

test('bad selections are clear errors', () => {
  assert.throws(() => validatePlan(plan({ rows: [] })), /plan\.rows is empty/);
  assert.throws(
    () => validatePlan(plan({ rows: [1, -2] })),
    /expected a row index \(an integer >= 0\) for plan\.rows\[1\] but got -2/,
  );
  assert.throws(() => NativeLoader.open(plan({ rows: [1, 50] })), /plan\.rows\[1\] is 50 but .* has 50 rows/);
});
