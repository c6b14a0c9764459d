/** Schedule semantics of the native loader: determinism, coverage, sharding, cursor, errors. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir, writeImageFile } from './fixtures.js';
import { collect } from './helpers.js';
import { NativeLoader } from '../../src/native/loader.js';
import { NativeLoaderError } from '../../src/native/errors.js';
import type { LoaderPlan } from '../../src/native/plan.js';

const tmp = tempDir();
after(() => tmp.cleanup());
const ROWS = 103;
const file = writeImageFile(tmp.file('img.arrow'), { rows: ROWS, shape: [8, 8, 3], batchRows: 30 }).path;
const AUG: LoaderPlan['data'] = {
  kind: 'image',
  column: 'image',
  transforms: [
    { type: 'randomResizedCrop', size: 6 },
    { type: 'horizontalFlip' },
    { type: 'rotation', degrees: 15 },
    { type: 'colorJitter', brightness: 0.3, hue: 0.1 },
    { type: 'toFloat' },
  ],
};
const base = (extra: Partial<LoaderPlan> = {}): LoaderPlan => ({
  path: file,
  data: AUG,
  label: { column: 'label', oneHot: 10 },
  batchTransforms: [{ type: 'mixup' }],
  batchSize: 10,
  seed: 99,
  epochs: 3,
  ...extra,
});

test('same seed gives identical batches with 1, 2 and 4 threads and any prefetch', async () => {
  const ref = await collect(base({ threads: 1, prefetch: 1 }));
  for (const [threads, prefetch] of [
    [2, 2],
    [4, 8],
    [4, 1],
  ]) {
    const got = await collect(base({ threads, prefetch }));
    assert.equal(got.length, ref.length);
    got.forEach((b, i) => {
      assert.deepEqual([b.epoch, b.index], [ref[i].epoch, ref[i].index]);
      assert.deepEqual(b.rows, ref[i].rows);
      assert.deepEqual(b.data, ref[i].data, `data of batch ${i} with ${threads} threads`);
      assert.deepEqual(b.labels, ref[i].labels);
    });
  }
  const other = await collect(base({ seed: 100, threads: 2 }));
  assert.notDeepEqual(other[0].data, ref[0].data, 'a different seed changes the samples');
});

test('every row exactly once per epoch, a new permutation each epoch', async () => {
  const batches = await collect(base({ threads: 2 }));
  const perEpoch = new Map<number, number[]>();
  for (const b of batches) perEpoch.set(b.epoch, [...(perEpoch.get(b.epoch) ?? []), ...b.rows]);
  assert.deepEqual([...perEpoch.keys()], [0, 1, 2]);
  const orders = [...perEpoch.values()];
  for (const rows of orders)
    assert.deepEqual(
      [...rows].sort((a, b) => a - b),
      Array.from({ length: ROWS }, (_, i) => i),
    );
  assert.notDeepEqual(orders[0], orders[1]);
  assert.notDeepEqual(orders[1], orders[2]);
  assert.equal(batches.filter((b) => b.epoch === 0).at(-1)!.size, 3, 'last partial batch kept without dropLast');
  const unshuffled = await collect(base({ shuffle: false, epochs: 1 }));
  assert.deepEqual(
    unshuffled.flatMap((b) => [...b.rows]),
    Array.from({ length: ROWS }, (_, i) => i),
  );
});

test('dropLast drops the partial batch; shapes and cursors are reported', async () => {
  const batches = await collect(base({ dropLast: true, epochs: 1 }));
  assert.equal(batches.length, 10);
  assert.ok(batches.every((b) => b.size === 10));
  assert.deepEqual(batches[0].shape, [10, 3, 6, 6]);
  assert.deepEqual(batches[0].labelShape, [10, 10]);
  assert.deepEqual(batches[3].cursor, { epoch: 0, position: 4 });
  assert.deepEqual(batches[9].cursor, { epoch: 1, position: 0 });
});

test('shards cover the data without overlap, for every shard count', async () => {
  for (const count of [1, 2, 3, 7]) {
    const seen: number[] = [];
    for (let index = 0; index < count; index++) {
      const rows = (await collect(base({ shard: { index, count }, epochs: 1, threads: 2 }))).flatMap((b) => [
        ...b.rows,
      ]);
      seen.push(...rows);
    }
    assert.equal(seen.length, ROWS, `${count} shards: total rows`);
    assert.equal(new Set(seen).size, ROWS, `${count} shards: no overlap`);
  }
});

test('a loader resumed from a cursor yields exactly the batches not yet seen', async () => {
  const full = await collect(base({ threads: 2 }));
  for (const cut of [0, 1, 7, 10, 11, 25, full.length - 1]) {
    const resumed = await collect(base({ threads: 3, cursor: full[cut].cursor }));
    assert.equal(resumed.length, full.length - cut - 1, `cut after batch ${cut}`);
    resumed.forEach((b, i) => {
      const want = full[cut + 1 + i];
      assert.deepEqual([b.epoch, b.index], [want.epoch, want.index]);
      assert.deepEqual(b.rows, want.rows);
      assert.deepEqual(b.data, want.data);
    });
  }
});

test('unbounded epochs keep going; info describes the loader', async () => {
  const loader = NativeLoader.open(base({ epochs: null, threads: 2 }));
  assert.equal(loader.info.rows, ROWS);
  assert.equal(loader.info.batchesPerEpoch, 11);
  assert.equal(loader.info.totalBatches, null);
  assert.deepEqual(loader.info.sampleShape, [3, 6, 6]);
  let last = null;
  for (let i = 0; i < 50; i++) last = await loader.next();
  assert.equal(last?.epoch, 4);
  loader.close();
  await assert.rejects(loader.next(), (e: Error) => e instanceof NativeLoaderError && e.code === 'ERR_LOADER_CLOSED');
});

test('data errors reject next() with the row, column and remedy; schema errors fail open()', async () => {
  const bad = writeImageFile(tmp.file('bad-labels.arrow'), {
    rows: 6,
    shape: [2, 2, 3],
    labels: [0, 1, 2, 12, 3, 4],
  }).path;
  const loader = NativeLoader.open({
    path: bad,
    data: { kind: 'image', column: 'image' },
    label: { column: 'label', oneHot: 10 },
    batchSize: 3,
    shuffle: false,
  });
  assert.ok(await loader.next());
  await assert.rejects(
    loader.next(),
    (e: NativeLoaderError) =>
      e.code === 'ERR_DATA' &&
      /label Int\(12\) at row 3 of column 'label'.*outside \[0, 10\)/.test(e.message) &&
      e.cause instanceof Error,
  );
  loader.close();
  assert.throws(
    () => NativeLoader.open({ ...base(), data: { kind: 'image', column: 'pixels' } }),
    (e: NativeLoaderError) =>
      e.code === 'ERR_PLAN' && /no column 'pixels'; its columns are \["image", "label"\]/.test(e.message),
  );
  assert.throws(
    () =>
      NativeLoader.open({
        ...base(),
        data: { kind: 'image', column: 'image', transforms: [{ type: 'randomCrop', size: 20, padding: 2 }] },
      }),
    /crop 20x20 is larger than the padded image 12x12/,
  );
  assert.throws(
    () =>
      NativeLoader.open({
        ...base(),
        data: { kind: 'image', column: 'image', transforms: [{ type: 'normalize', mean: [1, 2], std: [1, 1] }] },
      }),
    /mean\/std have 2 values but the images have 3 channels/,
  );
  assert.throws(
    () => NativeLoader.open({ ...base(), data: { kind: 'tabular', columns: ['label'] } }),
    /feature column 'label' .* has type Int32; expected Float32/,
  );
  assert.throws(
    () => NativeLoader.open({ ...base(), batchSize: 200, dropLast: true }),
    /no batch of 200 can be formed with dropLast/,
  );
  assert.throws(
    () => NativeLoader.open({ ...base(), cursor: { epoch: 0, position: 12 } }),
    /cursor.position is 12 but an epoch has only 11 batches/,
  );
  const noMeta = writeImageFile(tmp.file('nometa.arrow'), { rows: 2, shape: [2, 2, 3], shapeMeta: null }).path;
  assert.throws(
    () => NativeLoader.open({ ...base(), path: noMeta }),
    (e: NativeLoaderError) => e.code === 'ERR_ARROW' && /no 'gymnos.shape' field metadata/.test(e.message),
  );
  const wrongMeta = writeImageFile(tmp.file('wrongmeta.arrow'), {
    rows: 2,
    shape: [2, 2, 3],
    shapeMeta: '[3,3,3]',
  }).path;
  assert.throws(() => NativeLoader.open({ ...base(), path: wrongMeta }), /'\[3,3,3\]' but each value holds 12 bytes/);
  assert.throws(
    () => NativeLoader.open({ ...base(), path: tmp.file('missing.arrow') }),
    (e: NativeLoaderError) => e.code === 'ERR_IO' && /missing.arrow/.test(e.message),
  );
});
