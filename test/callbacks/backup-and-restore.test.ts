/** backup_and_restore: the backup folder is a resumable run; it goes away after a completed run. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { cfg, fit, only, scripted, tempDir } from './helpers.js';
import { runConfig } from '../../src/experiment/index.js';

const out = tempDir('gymnos-bak-');

test('an aborted run resumes from its backup folder and ends like the uninterrupted run', async () => {
  const backup = join(out(), 'backup');
  const c = cfg({ epochs: 4, callbacks: [{ type: 'backup_and_restore', backupDir: backup, everySteps: 4 }] });
  const whole = await fit(c, { ...scripted({}), output: out() });
  assert.ok(!existsSync(backup), 'a completed run deletes its backup');
  const controller = new AbortController();
  const a = await fit(c, {
    ...scripted({}),
    output: out(),
    signal: controller.signal,
    callbacks: [
      {
        name: 'abort',
        onBatchEnd: (e) => {
          if (e.step === 17) controller.abort();
        },
      },
    ],
  });
  assert.equal(a.result.status, 'aborted');
  assert.deepEqual(readdirSync(join(backup, 'checkpoints')), ['step-000000016.gck']);
  const b = await fit(runConfig(backup) as ReturnType<typeof cfg>, { ...scripted({}), resume: backup });
  assert.equal(only(b.events, 'fitStart')[0].resumed?.step, 16);
  assert.deepEqual([b.result.status, b.result.step], [whole.result.status, whole.result.step]);
  assert.ok(existsSync(join(backup, 'model.onnx')), 'the backup, resumed, is a run directory of its own');
});

test("resumed in place, the backup keeps the trainer's own checkpoints", async () => {
  const backup = join(out(), 'backup2');
  const c = cfg({
    epochs: 3,
    checkpoint: { everySteps: 0, keepLast: 3 },
    callbacks: [{ type: 'backup_and_restore', backupDir: backup }],
  });
  const controller = new AbortController();
  await fit(c, {
    ...scripted({}),
    output: out(),
    signal: controller.signal,
    callbacks: [
      {
        name: 'abort',
        onBatchEnd: (e) => {
          if (e.step === 8) controller.abort();
        },
      },
    ],
  });
  const b = await fit(runConfig(backup) as ReturnType<typeof cfg>, { ...scripted({}), resume: backup });
  assert.equal(b.result.step, 18);
  assert.deepEqual(readdirSync(join(backup, 'checkpoints')), [
    'step-000000006.gck',
    'step-000000012.gck',
    'step-000000018.gck',
  ]);
});
