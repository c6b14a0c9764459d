/**
 * The library's `evaluate`, called from TypeScript (no CLI): a nearest-centroid linear model on the
 * built-in digits, scored on each split. The accuracies weighted by split size must add up to the
 * correct count computed here by hand from the raw digits file, and the confusion matrices to the
 * whole dataset.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { evaluate } from '../../src/index.js';
import { parseSystem } from '../../src/config/system.js';
import { isUserError } from '../../src/util/errors.js';
import { linearModel, linearReference } from './models.js';

const dir = mkdtempSync(join(tmpdir(), 'gymnos-evaluate-lib-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const system = parseSystem({ cacheDir: 'cache', runsDir: 'runs' }, 'test', dir);
const session = { device: 'cpu', intraOpThreads: 1 };

// the raw digits, read here without Gymnos: 64 pixels 0..16 and the class
const rows = gunzipSync(readFileSync(join(import.meta.dirname, '..', '..', 'data', 'builtin', 'digits.csv.gz')))
  .toString('utf8')
  .trim()
  .split('\n')
  .map((l) => l.split(',').map(Number));
const x = Float32Array.from(rows.flatMap((r) => r.slice(0, 64).map((v) => v / 16)));
const labels = rows.map((r) => r[64]);

// nearest centroid as a linear model: score_j = x . m_j - |m_j|^2 / 2
const means = Array.from({ length: 10 }, (_, j) => {
  const mine = rows.filter((r) => r[64] === j);
  return Array.from({ length: 64 }, (_, k) => mine.reduce((s, r) => s + r[k] / 16, 0) / mine.length);
});
const W = Float32Array.from({ length: 64 * 10 }, (_, i) => means[i % 10][Math.floor(i / 10)]);
const b = Float32Array.from(means, (m) => -m.reduce((s, v) => s + v * v, 0) / 2);

test('accuracy and confusion matrices over the three splits add up to the hand-computed whole', async () => {
  const ref = linearReference(x, rows.length, W, b);
  const correct = ref.classes.filter((c, i) => c === labels[i]).length;
  assert.ok(correct / rows.length > 0.8, `the reference classifier is too weak to tell anything (${correct})`);
  const model = linearModel([1, 8, 8], W, b);
  let samples = 0;
  let right = 0;
  const confusion = Array.from({ length: 10 }, () => new Array(10).fill(0));
  for (const split of ['train', 'validation', 'test'] as const) {
    const r = await evaluate(model, {
      data: 'digits',
      split,
      session,
      system,
      baseDir: dir,
      metrics: [{ type: 'accuracy' }, { type: 'confusion_matrix' }],
    });
    assert.equal(r.split, split);
    assert.equal(r.model, 'model');
    samples += r.samples;
    right += Math.round((r.metrics.accuracy as number) * r.samples);
    const m = r.metrics.confusion_matrix as number[][];
    m.forEach((row, i) =>
      row.forEach((v, j) => {
        confusion[i][j] += v;
      }),
    );
  }
  assert.equal(samples, rows.length);
  assert.equal(right, correct);
  const want = Array.from({ length: 10 }, () => new Array(10).fill(0));
  ref.classes.forEach((c, i) => {
    want[labels[i]][c]++;
  });
  assert.deepEqual(confusion, want);
});

test('the default metrics of a classification, the split sizes of the default split', async () => {
  const r = await evaluate(linearModel([1, 8, 8], W, b), { data: { type: 'digits' }, session, system, baseDir: dir });
  assert.equal(r.split, 'test');
  assert.ok(Math.abs(r.samples - rows.length * 0.2) <= 1, `test split of ${r.samples}`);
  for (const k of ['accuracy', 'precision', 'recall', 'f1', 'confusion_matrix'])
    assert.ok(k in r.metrics, `missing ${k} in ${Object.keys(r.metrics)}`);
});

test('bad data and models are user errors naming what to fix', async () => {
  const model = linearModel([1, 8, 8], W, b);
  await assert.rejects(
    evaluate(model, { session, system, baseDir: dir }),
    (e) => isUserError(e) && /needs data/.test((e as Error).message),
  );
  await assert.rejects(
    evaluate(model, { data: 'digitz', session, system, baseDir: dir }),
    (e) => isUserError(e) && /did you mean 'digits'.*dataset\.type/.test((e as Error).message),
  );
  await assert.rejects(
    evaluate(linearModel([3], W.subarray(0, 30), b), { data: 'digits', session, system, baseDir: dir }),
    (e) =>
      isUserError(e) &&
      /samples are \[1,8,8\] \(64 values\) but model input 'x' takes \[3\]/.test((e as Error).message),
  );
  await assert.rejects(
    evaluate(model, { data: 'digits', session, system, baseDir: dir, metrics: [{ type: 'acuracy' }] }),
    (e) => isUserError(e) && /metrics\[0\]\.type: expected one of .*accuracy/.test((e as Error).message),
  );
});
