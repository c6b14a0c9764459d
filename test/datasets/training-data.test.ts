/**
 * The Trainer on DatasetManager data: an image folder streamed by the native loader (augmentation
 * on train only, batches released, mid-epoch resume bit for bit) and a CSV regression in memory.
 * The exported model.onnx has the fitted preprocessing baked in: on raw inputs it gives what the
 * un-baked inference model gives on preprocessed inputs. The run keeps split, preprocessors and
 * dataset.json; the cache lives in system.json's cacheDir.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { parseExperiment, parseSystem } from '../../src/experiment/index.js';
import { Trainer } from '../../src/trainer/trainer.js';
import { exportFromRun } from '../../src/experiment/index.js';
import { loadCheckpoint } from '../../src/trainer/checkpoint.js';
import { RunDir } from '../../src/trainer/run-dir.js';
import { encodeModel } from '../../src/onnx/io.js';
import { DatasetManager, applyPreprocess, parseFitted, samplesOf } from '../../src/datasets/index.js';
import { loadSplit } from '../../src/datasets/split-io.js';
// @ts-expect-error plain ESM script without types
import { makeShapes } from '../../scripts/make-shapes.mjs';

const dir = mkdtempSync(join(tmpdir(), 'gymnos-managed-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const system = parseSystem({ cacheDir: 'cache', runsDir: 'runs' }, 'test', dir);

const imageConfig = () =>
  parseExperiment({
    experiment: { name: 'shapes' },
    dataset: {
      type: 'image_folder',
      path: 'shapes',
      size: [16, 16],
      split: { validation: 0.15, test: 0.15 },
      preprocess: [{ type: 'image_normalize' }],
      augment: [{ type: 'horizontalFlip' }, { type: 'randomCrop', size: 16, padding: 2 }],
      loader: { threads: 2 },
    },
    model: { type: 'cnn', channels: [4], hidden: 8, batchNorm: true },
    training: { epochs: 2, batchSize: 8, seed: 3, optimizer: { type: 'adam', lr: 0.01 } },
    session: { device: 'cpu', intraOpThreads: 1 },
  });

async function run(session: ort.InferenceSession, x: ort.Tensor): Promise<Float32Array> {
  const out = await session.run({ [session.inputNames[0]]: x });
  return out[session.outputNames[0]].data as Float32Array;
}

function assertClose(a: Float32Array, b: Float32Array, tol: number): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++)
    assert.ok(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i])), `element ${i}: ${a[i]} vs ${b[i]}`);
}

test('image folder through the native loader: run files, resume mid-epoch bit for bit, model.onnx takes raw uint8 images', async () => {
  await makeShapes(join(dir, 'shapes'), { perClass: 14, size: 20, seed: 5 });
  const cfg = imageConfig();
  const opts = { system, baseDir: dir };
  const a = await new Trainer(cfg, { ...opts, output: join(dir, 'a') }).fit();
  assert.equal(a.status, 'completed');
  for (const f of ['split.json', 'preprocessors.json', 'dataset.json', 'model.onnx'])
    assert.ok(existsSync(join(a.runDir, f)), f);
  const cached = readdirSync(join(dir, 'cache'));
  assert.ok(
    cached.some((f) => f.endsWith('.arrow')),
    'the ingested file is in the cache dir',
  );
  assert.ok(
    !cached.some((f) => /\.(train|validation|test)\.arrow$/.test(f)),
    'splits are row selections of it, not copies',
  );
  const meta = JSON.parse(readFileSync(join(a.runDir, 'dataset.json'), 'utf8'));
  assert.deepEqual([meta.kind, meta.count, meta.classes], ['image', 42, ['circle', 'square', 'triangle']]);

  const controller = new AbortController();
  const b1 = await new Trainer(cfg, {
    ...opts,
    output: join(dir, 'b'),
    signal: controller.signal,
    callbacks: [
      {
        name: 'abort',
        onEvent: (e) => {
          if (e.type === 'batchEnd' && e.step === 5) controller.abort();
        },
      },
    ],
  }).fit();
  assert.deepEqual([b1.status, b1.step], ['aborted', 5]);
  const b = await new Trainer(cfg, { ...opts, resume: b1.runDir }).fit();
  assert.equal(b.step, a.step);
  const ta = loadCheckpoint(new RunDir(a.runDir).checkpoints()[0]).tensors;
  const tb = loadCheckpoint(new RunDir(b.runDir).checkpoints()[0]).tensors;
  for (const [k, v] of ta)
    assert.deepEqual(
      Buffer.from((tb.get(k)!.data as Float32Array).buffer),
      Buffer.from((v.data as Float32Array).buffer),
      `tensor ${k} differs`,
    );

  // raw test images through model.onnx == preprocessed images through the un-baked model
  const p = await new DatasetManager().prepare(
    { type: 'image_folder', path: join(dir, 'shapes'), size: [16, 16] },
    { cacheDir: system.cacheDir },
  );
  const rows = loadSplit(a.runDir).test;
  const raw = samplesOf(p.data(), rows);
  assert.equal(raw.kind, 'image');
  const fitted = parseFitted(JSON.parse(readFileSync(join(a.runDir, 'preprocessors.json'), 'utf8')));
  const pre = applyPreprocess(fitted, raw);
  const baked = await ort.InferenceSession.create(join(a.runDir, 'model.onnx'));
  const plain = await ort.InferenceSession.create(
    encodeModel((await exportFromRun(a.runDir, dir, { bake: false })).model),
  );
  const n = rows.length;
  const got = await run(baked, new ort.Tensor('uint8', (raw as { pixels: Uint8Array }).pixels, [n, 16, 16, 3]));
  const want = await run(plain, new ort.Tensor('float32', (pre as { values: Float32Array }).values, [n, 3, 16, 16]));
  assertClose(got, want, 1e-4);
});

test('csv regression in memory: float targets, standardize baked into model.onnx', async () => {
  const lines = ['x1,x2,y'];
  for (let i = 0; i < 60; i++) {
    const x1 = (i % 7) * 3 + 10;
    const x2 = (i % 5) - 2;
    lines.push(`${x1},${x2},${(0.5 * x1 - x2 + 1).toFixed(2)}`);
  }
  writeFileSync(join(dir, 'reg.csv'), `${lines.join('\n')}\n`);
  const cfg = parseExperiment({
    experiment: { name: 'reg' },
    dataset: {
      type: 'csv',
      path: 'reg.csv',
      label: 'y',
      task: 'regression',
      preprocess: [{ type: 'standardize' }],
      split: { validation: 0, test: 0.2 },
    },
    model: { type: 'mlp', hidden: [8] },
    training: { epochs: 3, batchSize: 8, seed: 1, loss: { type: 'mse' }, optimizer: { type: 'adam', lr: 0.01 } },
    session: { device: 'cpu', intraOpThreads: 1 },
  });
  const r = await new Trainer(cfg, { system, baseDir: dir, output: join(dir, 'reg') }).fit();
  assert.equal(r.status, 'completed');
  assert.ok(typeof r.test!.mse === 'number' && Number.isFinite(r.test!.mse as number));
  const fitted = parseFitted(JSON.parse(readFileSync(join(r.runDir, 'preprocessors.json'), 'utf8')));
  const raw = Float32Array.from([10, -2, 25, 1, 13, 0]);
  const pre = applyPreprocess(fitted, { kind: 'float', count: 3, sampleShape: [2], values: raw });
  const baked = await ort.InferenceSession.create(join(r.runDir, 'model.onnx'));
  const plain = await ort.InferenceSession.create(
    encodeModel((await exportFromRun(r.runDir, dir, { bake: false })).model),
  );
  assertClose(
    await run(baked, new ort.Tensor('float32', raw, [3, 2])),
    await run(plain, new ort.Tensor('float32', (pre as { values: Float32Array }).values, [3, 2])),
    1e-5,
  );
});

test('dataset block errors carry their JSON path', () => {
  const bad = (dataset: unknown) => {
    try {
      parseExperiment({ dataset, model: { type: 'mlp' } }, 'e.json');
      return '';
    } catch (e) {
      return (e as Error).message;
    }
  };
  assert.match(bad({ type: 'csv', label: 'y' }), /missing dataset\.path: expected a string/);
  assert.match(bad({ type: 'image_folder', path: 'x', augment: [{ type: 'flip' }] }), /dataset\.augment\[0\]\.type/);
  assert.match(bad({ type: 'digits', loader: { threads: 0 } }), /dataset\.loader/);
  assert.match(
    bad({ type: 'iris', task: 'both' }),
    /expected one of 'classification', 'regression' for dataset\.task but got 'both'/,
  );
  assert.match(bad({ type: 'digits', preprocess: [{ type: 'whiten' }] }), /dataset\.preprocess\[0\]/);
});
