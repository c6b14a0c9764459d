/** progress_bar: epoch and step bars with ETA on a TTY, quiet otherwise. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clock, ProgressBar } from '../../src/callbacks/progress-bar.js';
import { cfg, fit, scripted, tempDir } from './helpers.js';
import type { TrainerEvent } from '../../src/trainer/events.js';

const out = tempDir('gymnos-pb-');

test('on a TTY: bars, ETA, loss, per-epoch summary lines; off a TTY: nothing', async () => {
  const tty = { isTTY: true, text: '', write(s: string) { this.text += s; return true; } };
  const pipe = { isTTY: false, text: '', write(s: string) { this.text += s; return true; } };
  let t = 0;
  const bars = [new ProgressBar({ refreshMs: 0, width: 10 }, 0, tty, () => (t += 100)), new ProgressBar({ refreshMs: 0, width: 10 }, 1, pipe)];
  await fit(cfg({ epochs: 2 }), { ...scripted({ valLoss: () => 0.5 }), output: out(), callbacks: bars });
  assert.equal(pipe.text, '');
  const plain = tty.text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
  assert.match(plain, /total \[=====>    \] epoch 1\/2 ETA 0:01\n/);
  assert.match(plain, /\[==========\] 6\/6 loss 1\.0000 lr 0\.100 \d+\.\d step\/s/);
  assert.match(plain, /epoch 1\/2 loss 1\.0000 accuracy [\d.]+ val_loss 0\.5000 val_accuracy [\d.]+ \(\d+\.\d s\)\n/);
  assert.match(plain, /epoch 2\/2 /);
});

test('clock formats ETAs', () => {
  assert.deepEqual([clock(5), clock(75), clock(3725), clock(Infinity)], ['0:05', '1:15', '1:02:05', '--:--']);
  const bar = new ProgressBar({ refreshMs: 1000, width: 10 }, 0, { isTTY: true, write: () => true });
  const e: TrainerEvent = { type: 'testEnd', step: 1, metrics: {} };
  assert.equal(bar.onEvent(e), undefined);
});
