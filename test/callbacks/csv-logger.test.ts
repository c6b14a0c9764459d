/** csv_logger: rows per epoch with training and validation scalars; separator and append. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cfg, fit, only, scripted, tempDir } from './helpers.js';

const out = tempDir('gymnos-csv-');

test('end to end: one row per epoch matching the epochEnd events; separator; append keeps earlier rows', async () => {
  const { result, events } = await fit(
    cfg({ epochs: 3, callbacks: [{ type: 'csv_logger', filename: 'logs/train.tsv', separator: '\t' }] }),
    { ...scripted({ valLoss: (e) => 1 - e / 10 }), output: out() },
  );
  const lines = readFileSync(join(result.runDir, 'logs/train.tsv'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split('\t'));
  assert.deepEqual(lines[0], ['epoch', 'step', 'lr', 'loss', 'accuracy', 'val_loss', 'val_accuracy']);
  const ends = only(events, 'epochEnd');
  assert.equal(lines.length, 4);
  ends.forEach((e, i) => {
    const row = lines[i + 1].map(Number);
    assert.deepEqual(row, [
      e.epoch,
      e.step,
      e.lr,
      e.train.loss,
      e.train.accuracy,
      e.validation!.loss,
      e.validation!.accuracy,
    ]);
  });
  const shared = join(out(), 'shared.csv');
  for (let i = 0; i < 2; i++)
    await fit(cfg({ epochs: 2, callbacks: [{ type: 'csv_logger', filename: shared, append: true }] }), {
      ...scripted({}),
      output: out(),
    });
  const rows = readFileSync(shared, 'utf8').trim().split('\n');
  assert.equal(rows.length, 5); // one header, 2 + 2 rows
});

test("resume keeps the rows of finished epochs and rewrites the rest: the file equals an uninterrupted run's", async () => {
  const c = cfg({ epochs: 4, callbacks: [{ type: 'csv_logger' }] });
  const whole = await fit(c, { ...scripted({ valLoss: (e) => 1 / (e + 1) }), output: out() });
  const controller = new AbortController();
  const a = await fit(c, {
    ...scripted({ valLoss: (e) => 1 / (e + 1) }),
    output: out(),
    signal: controller.signal,
    callbacks: [
      {
        name: 'abort',
        onBatchEnd: (e) => {
          if (e.step === 15) controller.abort();
        },
      },
    ],
  });
  const b = await fit(c, { ...scripted({ valLoss: (e) => 1 / (e + 1) }), resume: a.result.runDir });
  assert.equal(b.result.status, 'completed');
  const rows = (dir: string) =>
    readFileSync(join(dir, 'training.csv'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(',').slice(0, 3).join(','));
  assert.deepEqual(rows(a.result.runDir), rows(whole.result.runDir));
  assert.equal(rows(whole.result.runDir).length, 5);
});
