/**
 * TensorBoard gradient histograms from a real ONNX Runtime run: the Trainer fetches the raw
 * gradients of each epoch's last step only when a tracker asks, and they match a recomputation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { train } from '../../src/experiment/train.js';
import { parseEvent, readRecords } from './tfevents-reader.js';

test('tensorboard writes gradients/<param> histograms at each epoch end, one value per parameter element', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gymnos-gradhist-'));
  try {
    const run = train(
      {
        experiment: { name: 'gradhist' },
        dataset: { type: 'iris', split: { test: 0.2, validation: 0 }, preprocess: [{ type: 'standardize' }] },
        model: { type: 'mlp', hidden: [8] },
        training: { epochs: 2, batchSize: 16, seed: 1, optimizer: { type: 'adam', lr: 0.01 }, clipGradNorm: 0.5 },
        session: { device: 'cpu', intraOpThreads: 1 },
        tracking: { trackers: [{ type: 'tensorboard', hparams: false }] },
      },
      { output: join(dir, 'run') },
    );
    for await (const _ of run) {
      /* drain */
    }
    const r = await run.result;
    assert.equal(r.status, 'completed', r.message);
    const tb = join(dir, 'run', 'tensorboard');
    const file = readdirSync(tb).find((f) => f.includes('tfevents'))!;
    const events = readRecords(readFileSync(join(tb, file))).map(parseEvent);
    const grads = events.flatMap((e) =>
      e.values.filter((v) => v.tag?.startsWith('gradients/')).map((v) => ({ step: e.step, ...v })),
    );
    const tags = [...new Set(grads.map((g) => g.tag))].sort();
    assert.deepEqual(tags, [
      'gradients/fc0.bias',
      'gradients/fc0.weight',
      'gradients/fc1.bias',
      'gradients/fc1.weight',
    ]);
    assert.equal(new Set(grads.map((g) => g.step)).size, 2, 'one set per epoch');
    const w = grads.find((g) => g.tag === 'gradients/fc0.weight')!;
    assert.equal(w.histo!.num, 8 * 4);
    assert.ok((w.histo!.sumSquares ?? 0) > 0, 'gradients are not all zero');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
