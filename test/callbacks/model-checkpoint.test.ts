/**
 * model_checkpoint: best, last and top-k files by a monitored metric, every N epochs or steps,
 * written atomically by the Trainer; a restart from an older checkpoint never replaces the best
 * file with a worse model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ModelCheckpoint } from '../../src/callbacks/model-checkpoint.js';
import { cfg, epochEnd, fit, scripted, tempDir } from './helpers.js';

const out = tempDir('gymnos-mc-');
const VAL = [1.0, 0.6, 0.4, 0.7, 0.3, 0.9];
const meta = (dir: string, f: string) => JSON.parse(readFileSync(join(dir, `${f}.json`), 'utf8'));

test('scripted: save and delete actions for best, last and top-2', () => {
  const cb = new ModelCheckpoint({
    monitor: 'val_loss',
    mode: 'auto',
    minDelta: 0,
    dir: 'models',
    format: 'onnx',
    saveBest: true,
    saveLast: true,
    topK: 2,
    everyEpochs: 1,
    everySteps: 0,
  });
  const paths = (i: number) => {
    const d = cb.onEpochEnd(epochEnd(i + 1, { loss: 0 }, { loss: VAL[i] }))!;
    return [d.save!.map((s) => s.path), d.delete];
  };
  assert.deepEqual(paths(0), [['models/last.onnx', 'models/best.onnx', 'models/epoch-0001-step-6.onnx'], []]);
  assert.deepEqual(paths(1), [['models/last.onnx', 'models/best.onnx', 'models/epoch-0002-step-12.onnx'], []]);
  assert.deepEqual(paths(2), [
    ['models/last.onnx', 'models/best.onnx', 'models/epoch-0003-step-18.onnx'],
    ['models/epoch-0001-step-6.onnx'],
  ]);
  assert.deepEqual(paths(3), [['models/last.onnx'], []]);
});

test('end to end: files, sidecars, every N steps, nothing half-written left behind', async () => {
  const { result } = await fit(
    cfg({ epochs: 6, callbacks: [{ type: 'model_checkpoint', saveLast: true, topK: 2, everySteps: 4 }] }),
    { ...scripted({ valLoss: (e) => VAL[e] }), output: out() },
  );
  const dir = join(result.runDir, 'models');
  const files = readdirSync(dir).sort();
  assert.deepEqual(files, [
    'best.onnx',
    'best.onnx.json',
    'epoch-0003-step-18.onnx',
    'epoch-0003-step-18.onnx.json',
    'epoch-0005-step-30.onnx',
    'epoch-0005-step-30.onnx.json',
    'last.onnx',
    'last.onnx.json',
  ]);
  assert.deepEqual(meta(dir, 'best.onnx'), {
    monitor: 'val_loss',
    value: meta(dir, 'best.onnx').value,
    epoch: 5,
    step: 30,
  });
  assert.ok(Math.abs(meta(dir, 'best.onnx').value - 0.3) < 1e-6);
  assert.equal(meta(dir, 'last.onnx').step, 36);
  assert.ok(statSync(join(dir, 'best.onnx')).size > 100);
});

test('every N steps: last is refreshed mid-epoch', async () => {
  let dir = '';
  const seen: number[] = [];
  const { result } = await fit(
    cfg({ epochs: 1, callbacks: [{ type: 'model_checkpoint', saveBest: false, everySteps: 4 }] }),
    {
      ...scripted({}),
      output: out(),
      callbacks: [
        {
          name: 'watch',
          setup: (ctx) => {
            dir = join(ctx.runDir, 'models');
          },
          onBatchEnd: (e) => {
            if (e.step === 4) seen.push(meta(dir, 'last.onnx').step);
          },
        },
      ],
    },
  );
  assert.deepEqual(seen, [4]);
  assert.equal(meta(join(result.runDir, 'models'), 'last.onnx').step, 4);
});

test('a restart from an older checkpoint never replaces the best file with a worse model', async () => {
  const c = cfg({ epochs: 6, checkpoint: { everySteps: 0, keepLast: 10 }, callbacks: [{ type: 'model_checkpoint' }] });
  const controller = new AbortController();
  const a = await fit(c, {
    ...scripted({ valLoss: (e) => VAL[e] }),
    output: out(),
    signal: controller.signal,
    callbacks: [
      {
        name: 'abort',
        onBatchEnd: (e) => {
          if (e.step === 27) controller.abort();
        },
      },
    ],
  });
  const best = join(a.result.runDir, 'models', 'best.onnx');
  const before = { mtime: statSync(best).mtimeMs, meta: meta(join(a.result.runDir, 'models'), 'best.onnx') };
  assert.equal(before.meta.step, 18);
  // lose the newest checkpoints: resume starts after epoch 2, whose saved state knows only 0.6 as the best
  for (const f of ['step-000000018.gck', 'step-000000024.gck', 'step-000000027.gck'])
    rmSync(join(a.result.runDir, 'checkpoints', f));
  const worse = [1.0, 0.6, 0.5, 0.55, 0.45, 0.9]; // this time epoch 3 scores 0.5: better than 0.6, worse than the file's 0.4
  const b = await fit(c, { ...scripted({ valLoss: (e) => worse[e] }), resume: a.result.runDir });
  assert.equal(b.result.status, 'completed');
  assert.equal(statSync(best).mtimeMs, before.mtime);
  assert.deepEqual(meta(join(a.result.runDir, 'models'), 'best.onnx'), before.meta);
});

test('format checkpoint: best.gck is a full training checkpoint that resumes at the next epoch', async () => {
  const { loadCheckpoint } = await import('../../src/trainer/checkpoint.js');
  const { result } = await fit(
    cfg({ epochs: 4, callbacks: [{ type: 'model_checkpoint', format: 'checkpoint', monitor: 'val_loss' }] }),
    { ...scripted({ valLoss: (e) => VAL[e] }), output: out() },
  );
  const ck = loadCheckpoint(join(result.runDir, 'models', 'best.gck'));
  const trainer = ck.meta.trainer as { epoch: number; batch: number; callbacks: Record<string, unknown> };
  assert.deepEqual([ck.meta.step, trainer.epoch, trainer.batch], [18, 3, 0]);
  assert.ok(trainer.callbacks['model_checkpoint#0']);
  assert.equal(meta(join(result.runDir, 'models'), 'best.gck').epoch, 3); // epoch 3 (of 1..4) ended at step 18
});
