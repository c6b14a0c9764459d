/**
 * `gymnosd predict`: a model trained on a generated image folder predicts raw PNG files (the
 * baked preprocessing takes uint8 images) as JSON and CSV; a CSV regression model predicts raw
 * CSV rows, its feature columns chosen with --columns.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import { parseExperiment, parseSystem } from '../../src/experiment/index.js';
import { Trainer } from '../../src/trainer/trainer.js';
// @ts-expect-error plain ESM script without types
import { makeShapes } from '../../scripts/make-shapes.mjs';
import { captureCli } from './capture.js';

const dir = mkdtempSync(join(tmpdir(), 'gymnos-predict-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const system = parseSystem({ cacheDir: 'cache', runsDir: 'runs' }, 'test', dir);

const cli = (args: string[]) => captureCli(args);

test('images in, JSON and CSV out, through the baked preprocessing', async () => {
  await makeShapes(join(dir, 'shapes'), { perClass: 6, size: 24 });
  const cfg = parseExperiment({
    dataset: { type: 'image_folder', path: 'shapes', size: [16, 16], preprocess: [{ type: 'image_normalize' }] },
    model: { type: 'cnn', channels: [4], hidden: 8 },
    training: { epochs: 1, batchSize: 8 },
    session: { device: 'cpu', intraOpThreads: 1 },
  });
  const r = await new Trainer(cfg, { system, baseDir: dir, output: join(dir, 'img') }).fit();
  const files = readdirSync(join(dir, 'shapes', 'circle'))
    .slice(0, 3)
    .map((f) => join(dir, 'shapes', 'circle', f));
  const json = await cli(['predict', r.modelPath!, ...files]);
  assert.equal(json.code, 0);
  const recs = JSON.parse(json.out) as Array<Record<string, unknown>>;
  assert.equal(recs.length, 3);
  const out = Object.keys(recs[0]).find((k) => k !== 'input')!;
  assert.equal((recs[0][out] as number[]).length, 3);
  const csv = await cli(['predict', r.modelPath!, ...files, '--format', 'csv']);
  const lines = csv.out.trim().split('\n');
  assert.equal(lines.length, 4);
  assert.deepEqual(lines[0].split(','), ['input', `${out}_0`, `${out}_1`, `${out}_2`]);
  assert.deepEqual(lines[1].split(',').slice(1).map(Number), recs[0][out]);
});

test('CSV rows in: raw features through the baked standardize', async () => {
  const rows = ['a,b,y', ...Array.from({ length: 40 }, (_, i) => `${i},${(i * 7) % 5},${2 * i + 1}`)];
  writeFileSync(join(dir, 'r.csv'), `${rows.join('\n')}\n`);
  const cfg = parseExperiment({
    dataset: { type: 'csv', path: 'r.csv', label: 'y', task: 'regression', preprocess: [{ type: 'standardize' }] },
    model: { type: 'mlp', hidden: [4] },
    training: { epochs: 1, batchSize: 8, loss: { type: 'mse' } },
    session: { device: 'cpu', intraOpThreads: 1 },
  });
  const r = await new Trainer(cfg, { system, baseDir: dir, output: join(dir, 'reg') }).fit();
  const p = await cli([
    'predict',
    r.modelPath!,
    join(dir, 'r.csv'),
    '--columns',
    'a,b',
    '--device',
    'cpu',
    '--threads',
    '1',
  ]);
  assert.equal(p.code, 0);
  const recs = JSON.parse(p.out) as Array<Record<string, unknown>>;
  assert.equal(recs.length, 40);
  assert.equal(recs[0].input, 'r.csv:2');
  assert.equal(await runCli(['predict', r.modelPath!, join(dir, 'r.csv')]), 2); // 3 columns for 2 features
  const gpu = await cli(['predict', r.modelPath!, join(dir, 'r.csv'), '--columns', 'a,b', '--device', 'tpu']);
  assert.equal(gpu.code, 2); // the session's own device check
  assert.match(gpu.err, /session\.device/);
});
