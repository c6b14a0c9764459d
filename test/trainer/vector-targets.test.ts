/**
 * dataset.targets from an experiment file through gymnosd: an embedding export (the embed-mse
 * fixture, x [N, 6] -> emb [N, 8]) trained toward float target vectors held in columns of the
 * dataset's CSV, in a second CSV file, and in an Arrow list column, with cosine_embedding, mse and
 * huber; a new head on the embedding output; and the errors for targets that do not fit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableToIPC, makeTable, FixedSizeList, Field, Float32, vectorFromArray } from 'apache-arrow';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { Rng } from '../../src/util/rng.js';
import { captureCli } from '../cli/capture.js';
import { FIXTURES } from '../models/torch-reference.js';

const dir = mkdtempSync(join(tmpdir(), 'gymnos-targets-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const quiet = join(dir, 'logging.json');
writeFileSync(quiet, JSON.stringify({ console: { enabled: false } }));
const MODEL = join(FIXTURES, 'embed-mse', 'model.onnx');

// 80 samples: 6 features, an 8-wide target that is a fixed linear map of them
const rng = new Rng(7);
const A = Array.from({ length: 48 }, () => rng.uniform(-1, 1));
const X = Array.from({ length: 80 }, () => Array.from({ length: 6 }, () => rng.uniform(-1, 1)));
const T = X.map((x) => Array.from({ length: 8 }, (_, i) => x.reduce((s, v, j) => s + A[i * 6 + j] * v, 0)));
const F = ['f0', 'f1', 'f2', 'f3', 'f4', 'f5'];
const TC = ['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7'];
writeFileSync(
  join(dir, 'both.csv'),
  [['id', ...F, ...TC].join(','), ...X.map((x, r) => [r, ...x, ...T[r]].join(','))].join('\n'),
);
writeFileSync(join(dir, 'features.csv'), [['id', ...F].join(','), ...X.map((x, r) => [r, ...x].join(','))].join('\n'));
writeFileSync(join(dir, 'targets.csv'), [TC.join(','), ...T.map((t) => t.join(','))].join('\n'));
writeFileSync(join(dir, 'short.csv'), [TC.join(','), ...T.slice(0, 79).map((t) => t.join(','))].join('\n'));
const list = vectorFromArray(T, new FixedSizeList(8, new Field('v', new Float32())));
writeFileSync(join(dir, 'targets.arrow'), tableToIPC(makeTable({ emb: list.data[0] } as never) as never, 'file'));

function experiment(
  name: string,
  dataset: Record<string, unknown>,
  loss: Record<string, unknown>,
  model: Record<string, unknown> = {},
): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      experiment: { name },
      dataset: { type: 'csv', label: 'id', features: F, split: { validation: 0, test: 0.25 }, ...dataset },
      model: { type: 'onnx', path: MODEL, ...model },
      training: { epochs: 12, batchSize: 10, seed: 2, loss, optimizer: { type: 'adam', lr: 0.02 } },
      session: { device: 'cpu', intraOpThreads: 1 },
    }),
  );
  return file;
}

/** Trains through gymnosd; returns the train loss per epoch and the run directory. */
async function train(
  file: string,
): Promise<{ losses: number[]; runDir: string; last: Record<string, Record<string, number>> }> {
  const runDir = join(dir, `run-${file.split('/').pop()}`);
  const r = await captureCli(['train', file, '--output', runDir, '--logging', quiet]);
  assert.equal(r.code, 0, r.err);
  const lines = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, Record<string, number>>);
  return { losses: lines.filter((l) => l.train).map((l) => l.train.loss), runDir, last: lines[lines.length - 1] };
}

test('targets in columns of the dataset CSV, cosine_embedding: the loss falls and the test split reports it', async () => {
  const { losses, last } = await train(
    experiment('cos', { path: 'both.csv', targets: { columns: TC } }, { type: 'cosine_embedding' }),
  );
  assert.equal(losses.length, 12);
  assert.ok(losses[11] < losses[0] * 0.7, `train loss ${losses[0]} -> ${losses[11]}`);
  assert.ok(Number.isFinite(last.test.loss) && Number.isFinite(last.test.mse), JSON.stringify(last));
});

test('targets in a second CSV file, mse; and in an Arrow list column, huber: both train', async () => {
  const a = await train(
    experiment('mse2', { path: 'features.csv', targets: { path: 'targets.csv' } }, { type: 'mse' }),
  );
  assert.ok(a.losses[11] < a.losses[0] * 0.7, `mse ${a.losses[0]} -> ${a.losses[11]}`);
  const b = await train(
    experiment(
      'huber',
      { path: 'features.csv', targets: { path: 'targets.arrow', column: 'emb' } },
      { type: 'huber', delta: 0.5 },
    ),
  );
  assert.ok(b.losses[11] < b.losses[0] * 0.7, `huber ${b.losses[0]} -> ${b.losses[11]}`);
});

test('a new head on the embedding output toward 3-wide targets: trains, and model.onnx outputs the head', async () => {
  const { losses, runDir } = await train(
    experiment(
      'head',
      { path: 'both.csv', targets: { columns: ['t0', 't1', 't2'] } },
      { type: 'mse' },
      { headReplace: { output: 'emb' } },
    ),
  );
  assert.ok(losses[11] < losses[0] * 0.7, `${losses[0]} -> ${losses[11]}`);
  const s = await ort.InferenceSession.create(join(runDir, 'model.onnx'));
  const out = await s.run({ x: new ort.Tensor('float32', Float32Array.from(X.slice(0, 4).flat()), [4, 6]) });
  assert.deepEqual([...out['head/logits'].dims], [4, 3]);
  await s.release();
});

test('targets that do not fit are user errors naming the key and the remedy', async () => {
  const fail = async (
    name: string,
    dataset: Record<string, unknown>,
    loss: Record<string, unknown>,
    model?: Record<string, unknown>,
  ) => {
    const r = await captureCli([
      'train',
      experiment(name, dataset, loss, model),
      '--output',
      join(dir, `bad-${name}`),
      '--logging',
      quiet,
    ]);
    assert.equal(r.code, 2, `${name}: ${r.err}`);
    return r.err;
  };
  assert.match(
    await fail('rows', { path: 'features.csv', targets: { path: 'short.csv' } }, { type: 'mse' }),
    /dataset\.targets: '.*short\.csv' holds 79 target rows but the dataset has 80 samples/,
  );
  assert.match(
    await fail('overlap', { path: 'both.csv', features: [...F, 't0'], targets: { columns: TC } }, { type: 'mse' }),
    /column\(s\) 't0' are both features and targets/,
  );
  assert.match(
    await fail('nocol', { path: 'both.csv', targets: { columns: ['t9'] } }, { type: 'mse' }),
    /dataset\.targets\.columns: 't9' is not a column of/,
  );
  assert.match(
    await fail('width', { path: 'both.csv', targets: { columns: ['t0', 't1'] } }, { type: 'mse' }),
    /dataset\.targets gives vectors of width 2 but the model's output 'emb' is \[.*8\]; .*headReplace: \{ "output": "emb" \}/,
  );
  assert.match(
    await fail('classes', { path: 'both.csv', targets: { columns: TC } }, { type: 'softmax_cross_entropy' }),
    /takes class labels; use mse, huber or cosine_embedding/,
  );
  assert.match(
    await fail('keys', { path: 'both.csv', task: 'classification', targets: { colums: TC } }, { type: 'mse' }),
    /unknown key dataset\.targets\.colums[\s\S]*dataset\.task is 'classification'/,
  );
  for (const c of ['a', 'b']) {
    mkdirSync(join(dir, 'images', c), { recursive: true });
    for (const i of [0, 1])
      await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 40 * i, g: 9, b: 200 } } })
        .png()
        .toFile(join(dir, 'images', c, `${i}.png`));
  }
  assert.match(
    await fail(
      'image',
      { type: 'image_folder', path: 'images', label: undefined, features: undefined, targets: { path: 'targets.csv' } },
      { type: 'mse' },
    ),
    /dataset\.targets needs tabular data \(csv, arrow features, iris, digits\)/,
  );
});
