/**
 * metrics.jsonl and metrics.csv (always written, by the run directory, which truncates them on
 * resume) parsed back and compared with the events that produced them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cfg, fit, only, scripted, tempDir } from '../callbacks/helpers.js';

const out = tempDir('gymnos-mf-');

test('jsonl rows and csv rows equal the epochEnd and testEnd events', async () => {
  const { result, events } = await fit(
    cfg({ epochs: 3, metrics: [{ type: 'accuracy' }, { type: 'confusion_matrix' }] }),
    { ...scripted({ valLoss: (e) => 0.5 + e }), output: out() },
  );
  const rows = readFileSync(join(result.runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const ends = only(events, 'epochEnd');
  assert.equal(rows.length, ends.length + 1);
  ends.forEach((e, i) =>
    assert.deepEqual(
      [rows[i].epoch, rows[i].step, rows[i].lr, rows[i].train, rows[i].validation],
      [e.epoch, e.step, e.lr, e.train, e.validation],
    ),
  );
  assert.deepEqual(rows[3].test, only(events, 'testEnd')[0].metrics);
  assert.ok(Array.isArray(rows[0].validation.confusion_matrix));
  const [head, ...lines] = readFileSync(join(result.runDir, 'metrics.csv'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','));
  ends.forEach((e, i) => {
    const row = Object.fromEntries(head.map((h, k) => [h, lines[i][k]]));
    assert.deepEqual(
      [Number(row.epoch), Number(row.step), Number(row.lr), Number(row.train_loss), Number(row.validation_loss)],
      [e.epoch, e.step, e.lr, e.train.loss, e.validation!.loss],
    );
  });
  assert.ok(!head.some((h) => h.includes('confusion')));
});
