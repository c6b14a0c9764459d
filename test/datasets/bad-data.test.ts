/** Every bad-data case fails with a message naming the path and the remedy. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { DatasetManager } from '../../src/datasets/manager.js';
import { tempDir, imageFolder, writeImage } from './fixtures.js';

const t = tempDir();
test.after(t.cleanup);
const dm = new DatasetManager();
const cacheDir = t.path('cache');
const prepare = (spec: unknown) => dm.prepare(spec, { cacheDir });
const rejects = (spec: unknown, message: string) =>
  assert.rejects(prepare(spec), (e: Error) => {
    assert.equal(e.message, message);
    assert.equal((e as { code?: string }).code, 'ERR_DATASET');
    return true;
  });

test('unreadable image: fails naming the file, or is skipped and listed', async () => {
  const root = t.path('corrupt');
  await imageFolder(root, ['a', 'b'], 2);
  writeFileSync(`${root}/b/broken.png`, 'this is not a png');
  await assert.rejects(prepare({ type: 'image_folder', path: root }), (e: Error) => {
    assert.match(
      e.message,
      new RegExp(
        `^cannot read image '${root}/b/broken.png' \\(.+\\); replace or remove the file, or set onError: "skip" to leave unreadable images out$`,
      ),
    );
    return true;
  });
  const p = await prepare({ type: 'image_folder', path: root, onError: 'skip' });
  assert.equal(p.meta.count, 4);
  assert.equal(p.meta.skipped.length, 1);
  assert.equal(p.meta.skipped[0].file, 'b/broken.png');
  assert.match(p.meta.skipped[0].reason, /^cannot read image: /);
});

test('malformed CSV rows fail with file and line', async () => {
  const path = t.path('bad.csv');
  writeFileSync(path, 'x,label\n1,a\n2,b\n3\n');
  await rejects(
    { type: 'csv', path, label: 'label' },
    `${path}:4: expected 2 fields (as in the header) but got 1; fix the row or set onError: "skip" to leave such rows out`,
  );
  writeFileSync(path, 'x,label\n1,a\n"2,b\n');
  await rejects(
    { type: 'csv', path, label: 'label' },
    `${path}:3: a quoted field is never closed; close it with '"' (write a quote inside a field as "")`,
  );
  writeFileSync(path, 'x,label\n1,a\n,b\n');
  await rejects(
    { type: 'csv', path, label: 'label' },
    `${path}:3: column 'x' has a missing value; set missing to "skip_row", "fill_mean" or "fill_zero", or fill it in`,
  );
  await rejects(
    { type: 'csv', path, label: 'y' },
    `label column 'y' is not a column of ${path}; its columns are x, label`,
  );
});

test('one class only, empty folder, no class folders', async () => {
  const one = t.path('one');
  await imageFolder(one, ['only'], 2);
  await rejects(
    { type: 'image_folder', path: one },
    `image folder '${one}' has only one class folder ('only'); a classifier needs at least two: add one subfolder per class`,
  );
  const csv = t.path('one.csv');
  writeFileSync(csv, 'x,label\n1,a\n2,a\n');
  await rejects(
    { type: 'csv', path: csv, label: 'label' },
    `dataset {"label":"label","path":"${csv}","type":"csv"} has only one class ('a'); a classifier needs samples of at least two classes: check the label column or folders`,
  );
  const empty = t.path('empty');
  await imageFolder(empty, ['a'], 1);
  mkdirSync(`${empty}/b`);
  await rejects(
    { type: 'image_folder', path: empty },
    `class folder '${empty}/b' has no images (extensions .jpg .jpeg .png .webp .gif .tif .tiff .avif); add images or remove the folder`,
  );
  const flat = t.path('flat');
  await writeImage(`${flat}/x.png`, 2, 2, 1);
  await rejects(
    { type: 'image_folder', path: flat },
    `image folder '${flat}' has no class subfolders; expected one subfolder per class, e.g. '${flat}/cat/0001.jpg'`,
  );
  await rejects(
    { type: 'image_folder', path: t.path('nope') },
    `image folder '${t.path('nope')}' does not exist; check the path (relative paths are resolved from ${process.cwd()})`,
  );
});

test('images of different sizes without resize', async () => {
  const root = t.path('sizes');
  await writeImage(`${root}/a/1.png`, 4, 4, 1);
  await writeImage(`${root}/b/2.png`, 5, 3, 2);
  await rejects(
    { type: 'image_folder', path: root },
    `image '${root}/b/2.png' is 5x3 (width x height) but '${root}/a/1.png' is 4x4; set "size": [height, width] to resize every image, or make them the same size`,
  );
  assert.equal((await prepare({ type: 'image_folder', path: root, size: 4 })).meta.count, 2);
});

test('bad options: unknown keys, wrong types and unknown sources are listed together', async () => {
  await rejects(
    { type: 'image_folder', path: 'x', channels: 2, sise: 3 },
    "invalid dataset:\n  - unknown key dataset.sise (did you mean 'size'?); valid keys of dataset: type, path, size, channels, fit, extensions, onError, concurrency, split, preprocess\n  - expected one of 1, 3 for dataset.channels but got 2",
  );
  await rejects(
    { type: 'parquet' },
    "expected one of 'image_folder', 'csv', 'arrow', 'idx', 'digits', 'iris' for dataset.type but got 'parquet'",
  );
  await rejects(
    { type: 'iris', split: { validation: 1.5 } },
    'expected a fraction in [0, 1) or a whole count >= 1 for dataset.split.validation but got 1.5',
  );
  await rejects(
    { type: 'iris', preprocess: [{ type: 'standardise' }] },
    "expected one of 'standardize', 'min_max', 'image_normalize', 'label_encoding' (did you mean 'standardize'?) for dataset.preprocess[0].type but got 'standardise'",
  );
  await rejects(
    { type: 'iris', preprocess: [{ type: 'image_normalize' }] },
    'image_normalize needs image data (image_folder, idx or an arrow image column); use standardize or min_max for tabular data',
  );
});

test('arrow and idx files that break the contract', async () => {
  const notArrow = t.path('x.arrow');
  writeFileSync(notArrow, 'garbage');
  await assert.rejects(
    prepare({ type: 'arrow', path: notArrow, features: ['a'] }),
    /^DatasetError: cannot read '.*x\.arrow' as an Arrow IPC or Feather v2 file/,
  );
  const idx = t.path('x.idx');
  writeFileSync(idx, Buffer.from([0, 0, 8, 1, 0, 0, 0, 9, 1, 2]));
  await rejects(
    { type: 'idx', images: idx, labels: idx },
    `'${idx}': IDX header says [9] (9 bytes of data) but the file holds 2; the file is truncated or not IDX`,
  );
});
