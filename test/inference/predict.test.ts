/**
 * The library's `predict`, called from TypeScript (no CLI): outputs checked against the models'
 * arithmetic written out in plain loops, and image pixels against the pixels written to the files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { predict, predictionRecords } from '../../src/index.js';
import { saveModel } from '../../src/onnx/io.js';
import { isUserError } from '../../src/util/errors.js';
import { linearModel, linearReference, pixelModel, values } from './models.js';

const dir = mkdtempSync(join(tmpdir(), 'gymnos-predict-lib-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const session = { device: 'cpu', intraOpThreads: 1 };

const W = values(3 * 4, 7);
const b = values(4, 11);

test('a tensor in: every output for every sample, across batches, as the model computes it', async () => {
  const n = 10;
  const x = values(n * 3, 3);
  const r = await predict(
    linearModel([3], W, b),
    { dtype: 'float32', dims: [n, 3], data: x },
    { session, batchSize: 4 },
  );
  const ref = linearReference(x, n, W, b);
  assert.deepEqual(r.outputNames, ['logits', 'class']);
  assert.deepEqual(r.outputs.logits.dims, [n, 4]);
  const got = Array.from(r.outputs.logits.data as Float32Array);
  ref.logits.flat().forEach((v, i) => assert.ok(Math.abs(got[i] - v) < 1e-5, `logit ${i}: ${got[i]} vs ${v}`));
  assert.deepEqual(Array.from(r.outputs.class.data as BigInt64Array, Number), ref.classes);
  const recs = predictionRecords(r);
  assert.equal(recs.length, n);
  assert.equal(recs[9].input, '#9');
  assert.equal(recs[9].class, ref.classes[9]);
  assert.equal((recs[9].logits as number[]).length, 4);
});

test('CSV files in (a model file path): the chosen columns, in order, rows named by file and line', async () => {
  const path = join(dir, 'linear.onnx');
  saveModel(linearModel([3], W, b), path);
  const rows = [
    [1, 2, 3],
    [-0.5, 0, 4],
    [7, -2, 0.25],
  ];
  writeFileSync(join(dir, 'a.csv'), `c,skip,a,b\n${rows.map(([a, bb, c]) => `${c},99,${a},${bb}`).join('\n')}\n`);
  writeFileSync(join(dir, 'b.csv'), 'a,b,c,skip\n0,0,1,5\n');
  const r = await predict(path, [join(dir, 'a.csv'), join(dir, 'b.csv')], { session, columns: ['a', 'b', 'c'] });
  const x = [...rows, [0, 0, 1]].flat();
  const ref = linearReference(x, 4, W, b);
  assert.deepEqual(r.names, ['a.csv:2', 'a.csv:3', 'a.csv:4', 'b.csv:2']);
  ref.logits.flat().forEach((v, i) => assert.ok(Math.abs((r.outputs.logits.data as Float32Array)[i] - v) < 1e-5));
  await assert.rejects(
    predict(path, [join(dir, 'a.csv')], { session }),
    (e) => isUserError(e) && /4 columns but the model takes 3 features/.test((e as Error).message),
  );
  await assert.rejects(
    predict(path, [join(dir, 'a.csv')], { session, columns: ['a', 'z', 'c'] }),
    /no column 'z'; its columns are c, skip, a, b/,
  );
});

test('image files in: the model sees exactly the pixels of the files (uint8 NHWC, no resize needed)', async () => {
  const [h, w] = [3, 5];
  const pix = (k: number) => Uint8Array.from({ length: h * w * 3 }, (_, i) => (i * 37 + k * 101) % 256);
  const files = [0, 1].map((k) => join(dir, `img${k}.png`));
  for (const [k, f] of files.entries())
    await sharp(Buffer.from(pix(k)), { raw: { width: w, height: h, channels: 3 } })
      .png()
      .toFile(f);
  const r = await predict(pixelModel(h, w, 3), files, { session });
  assert.deepEqual(r.names, ['img0.png', 'img1.png']);
  assert.deepEqual(r.outputs.pixels.dims, [2, h, w, 3]);
  assert.deepEqual(Array.from(r.outputs.pixels.data as Float32Array), [...pix(0), ...pix(1)]);
});

test('bad inputs are user errors that say what to pass', async () => {
  const m = linearModel([3], W, b);
  await assert.rejects(
    predict(m, [join(dir, 'x.txt')], { session }),
    (e) =>
      isUserError(e) &&
      /inputs must be image files .* \.csv files, or one \.arrow file; got/.test((e as Error).message),
  );
  await assert.rejects(
    predict(join(dir, 'missing.onnx'), [join(dir, 'a.csv')], { session }),
    (e) => isUserError(e) && /cannot read .*missing\.onnx/.test((e as Error).message),
  );
  await assert.rejects(
    predict(
      m,
      { dtype: 'float32', dims: [1, 3], data: new Float32Array(3) },
      { session: { device: 'cpu', intraOpThreads: 0 } },
    ),
    (e) => isUserError(e) && /session\.intraOpThreads/.test((e as Error).message),
  );
});
