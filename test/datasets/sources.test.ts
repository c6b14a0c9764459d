/** Each dataset source on small fixtures generated here. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { imageFolderSource } from '../../src/datasets/sources/image-folder.js';
import { csvSource } from '../../src/datasets/sources/csv.js';
import { arrowSource } from '../../src/datasets/sources/arrow.js';
import { idxSource } from '../../src/datasets/sources/idx.js';
import { digitsSource, irisSource } from '../../src/datasets/sources/builtin.js';
import { decodeArrow, encodeArrow } from '../../src/datasets/arrow-format.js';
import { parseCsv } from '../../src/datasets/sources/csv-parse.js';
import type { DatasetSource, IngestedData } from '../../src/datasets/types.js';
import { DatasetManager } from '../../src/datasets/manager.js';
import { tempDir, imageFolder, writeImage, writeIdx } from './fixtures.js';
import { writeImageFile, writeTabularFile } from '../native/fixtures.js';

const t = tempDir();
test.after(t.cleanup);

async function run<O>(
  s: DatasetSource<O>,
  spec: Record<string, unknown>,
  onProgress?: (p: { done: number; total: number }) => void,
): Promise<IngestedData> {
  return s.ingest(new DatasetManager().resolve({ type: s.type, ...spec }).options as O, { onProgress });
}

test('image_folder: classes from sorted folder names, exact pixels, progress to the total', async () => {
  const root = t.path('img');
  await imageFolder(root, ['dog', 'cat'], 3, 6, 5);
  const seen: number[] = [];
  const d = await run(imageFolderSource, { path: root }, (p) => {
    seen.push(p.done);
    assert.equal(p.total, 6);
  });
  assert.equal(d.kind, 'image');
  if (d.kind !== 'image') return;
  assert.deepEqual(d.classes, ['cat', 'dog']);
  assert.deepEqual(d.shape, [5, 6, 3]);
  assert.deepEqual([...d.labels], [0, 0, 0, 1, 1, 1]);
  assert.deepEqual(d.items, ['cat/0.png', 'cat/1.png', 'cat/2.png', 'dog/0.png', 'dog/1.png', 'dog/2.png']);
  assert.equal(Math.max(...seen), 6);
  const raw = await sharp(`${root}/cat/0.png`).raw().toBuffer();
  assert.deepEqual(d.pixels.subarray(0, 90), new Uint8Array(raw));
});

test('image_folder: resize to [h, w], one channel, mixed sizes and formats, non-images ignored', async () => {
  const root = t.path('img-mixed');
  await writeImage(`${root}/a/x.png`, 10, 7, 1);
  await writeImage(`${root}/a/y.jpg`, 4, 9, 2, 'jpeg');
  await writeImage(`${root}/b/z.png`, 3, 3, 3, 'png', 1);
  writeFileSync(`${root}/b/notes.txt`, 'not an image');
  const d = await run(imageFolderSource, { path: root, size: [8, 6], channels: 1 });
  assert.equal(d.count, 3);
  if (d.kind === 'image') assert.deepEqual(d.shape, [8, 6, 1]);
  const rgb = await run(imageFolderSource, { path: root, size: 4 });
  if (rgb.kind === 'image') assert.deepEqual(rgb.shape, [4, 4, 3]);
});

test('csv parser: RFC 4180 quoting, doubled quotes, newlines in quotes, CRLF, record start lines', () => {
  const recs = parseCsv('a,b,c\r\n"x, y","say ""hi""",3\r\n\r\n"multi\nline",2,3\n4,,\n', 'f.csv');
  assert.deepEqual(recs, [
    { line: 1, fields: ['a', 'b', 'c'] },
    { line: 2, fields: ['x, y', 'say "hi"', '3'] },
    { line: 4, fields: ['multi\nline', '2', '3'] },
    { line: 6, fields: ['4', '', ''] },
  ]);
  assert.deepEqual(parseCsv('a;b\n1;2', 'f.csv', ';'), [
    { line: 1, fields: ['a', 'b'] },
    { line: 2, fields: ['1', '2'] },
  ]);
});

test('csv: features, categorical labels sorted, quoted header and values', async () => {
  const path = t.path('flowers.csv');
  writeFileSync(path, '"petal, len",width,"species"\n1.5,2,"virginica"\n" 2.5",3,setosa\n3,4e0,virginica\n');
  const d = await run(csvSource, { path, label: 'species' });
  assert.equal(d.kind, 'tabular');
  if (d.kind !== 'tabular') return;
  assert.deepEqual(d.featureNames, ['petal, len', 'width']);
  assert.deepEqual(d.classes, ['setosa', 'virginica']);
  assert.deepEqual([...d.labels], [1, 0, 1]);
  assert.deepEqual([...d.features], [1.5, 2, 2.5, 3, 3, 4]);
  const ordered = await run(csvSource, {
    path,
    label: 'species',
    classes: ['virginica', 'setosa'],
    features: ['width'],
  });
  assert.deepEqual([...ordered.labels], [0, 1, 0]);
  if (ordered.kind === 'tabular') assert.deepEqual([...ordered.features], [2, 3, 4]);
});

test('csv: numeric labels sort numerically; missing values: skip_row, fill_mean, fill_zero', async () => {
  const path = t.path('missing.csv');
  writeFileSync(path, 'x,y,label\n1,NA,10\n3,4,2\n,6,10\n5,8,2\n7,9,10\n');
  const skip = await run(csvSource, { path, label: 'label', missing: 'skip_row' });
  assert.deepEqual(skip.classes, ['2', '10']);
  assert.equal(skip.count, 3);
  assert.deepEqual(skip.skipped, [
    { file: 'missing.csv', line: 2, reason: "missing value in column 'y'" },
    { file: 'missing.csv', line: 4, reason: "missing value in column 'x'" },
  ]);
  const mean = await run(csvSource, { path, label: 'label', missing: 'fill_mean' });
  if (mean.kind === 'tabular') assert.deepEqual([...mean.features], [1, 6.75, 3, 4, 4, 6, 5, 8, 7, 9]);
  const zero = await run(csvSource, { path, label: 'label', missing: 'fill_zero' });
  if (zero.kind === 'tabular') assert.deepEqual([...zero.features], [1, 0, 3, 4, 0, 6, 5, 8, 7, 9]);
});

test('csv: malformed rows skipped with file and line when onError is skip', async () => {
  const path = t.path('bad-rows.csv');
  writeFileSync(path, 'x,label\n1,a\n2\nfoo,b\n"4",b\n5,\n');
  const d = await run(csvSource, { path, label: 'label', onError: 'skip' });
  assert.equal(d.count, 2);
  assert.deepEqual(
    d.skipped.map((s) => `${s.file}:${s.line}: ${s.reason}`),
    [
      'bad-rows.csv:3: expected 2 fields (as in the header) but got 1',
      'bad-rows.csv:4: column \'x\' should be a number but is "foo"',
      "bad-rows.csv:6: the label column 'label' is empty",
    ],
  );
});

test('arrow: image (FixedSizeList and FixedSizeBinary) and tabular files (list and scalar columns)', async () => {
  const img = writeImageFile(t.path('img.arrow'), { rows: 5, shape: [2, 3, 1], batchRows: 2 });
  const d = await run(arrowSource, { path: img.path, image: 'image' });
  assert.equal(d.count, 5);
  if (d.kind === 'image') {
    assert.deepEqual(d.pixels, img.pixels);
    assert.deepEqual(d.shape, [2, 3, 1]);
  }
  assert.deepEqual(
    [...d.labels].map((l) => Number(d.classes[l])),
    img.labels,
  );
  const bin = writeImageFile(t.path('bin.arrow'), { rows: 3, shape: [2, 2, 3], layout: 'binary' });
  const b = await run(arrowSource, { path: bin.path, image: 'image' });
  if (b.kind === 'image') assert.deepEqual(b.pixels, bin.pixels);
  const tab = writeTabularFile(t.path('tab.arrow'), { rows: 6, features: 3, list: true, batchRows: 4 });
  const x = await run(arrowSource, { path: t.path('tab.arrow'), features: ['features'] });
  if (x.kind === 'tabular') assert.deepEqual(x.features, tab.values);
  const tab2 = writeTabularFile(t.path('tab2.arrow'), { rows: 6, features: 2, list: false });
  const y = await run(arrowSource, { path: t.path('tab2.arrow'), features: ['f0', 'f1'] });
  if (y.kind === 'tabular') assert.deepEqual(y.features, tab2.values);
  assert.deepEqual(y.classes, ['0', '1', '2', '3']);
});

test('arrow cache format round-trips, whole and by rows', () => {
  const d = {
    kind: 'tabular' as const,
    featureNames: ['a', 'b'],
    features: Float32Array.from([1, 2, 3, 4, 5, 6]),
    labels: Int32Array.from([0, 1, 0]),
    classes: ['x', 'y'],
    count: 3,
  };
  const path = t.path('rt.arrow');
  writeFileSync(path, encodeArrow(d));
  assert.deepEqual(decodeArrow(path), d);
  writeFileSync(path, encodeArrow(d, [2, 0]));
  assert.deepEqual(decodeArrow(path), {
    ...d,
    features: Float32Array.from([5, 6, 1, 2]),
    labels: Int32Array.from([0, 0]),
    count: 2,
  });
});

test('idx: MNIST-format images and labels, gzipped and plain', async () => {
  const px = Uint8Array.from({ length: 4 * 3 * 2 }, (_, i) => i * 7);
  writeIdx(t.path('img.idx.gz'), [4, 3, 2], px, true);
  writeIdx(t.path('lab.idx'), [4], Uint8Array.from([1, 0, 2, 1]));
  const d = await run(idxSource, { images: t.path('img.idx.gz'), labels: t.path('lab.idx') });
  assert.deepEqual(d.classes, ['0', '1', '2']);
  assert.deepEqual([...d.labels], [1, 0, 2, 1]);
  if (d.kind === 'image') {
    assert.deepEqual(d.shape, [3, 2, 1]);
    assert.deepEqual(d.pixels, px);
  }
});

test('built-in digits and iris', async () => {
  const digits = await run(digitsSource, {});
  assert.equal(digits.count, 1797);
  assert.equal(digits.classes.length, 10);
  const iris = await run(irisSource, {});
  assert.equal(iris.count, 150);
  assert.deepEqual(iris.classes, ['setosa', 'versicolor', 'virginica']);
  if (iris.kind === 'tabular') assert.equal(iris.featureNames.length, 4);
});
