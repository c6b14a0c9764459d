/**
 * The tensorboard tracker: CRC32C against published test vectors, and event files of a run read
 * back with an independent reader (./tfevents-reader.ts) and compared with the events that made
 * them: per-step loss and rate, per-epoch metrics, weight histograms, hyperparameters. No Python
 * `tensorboard` package is available here, so TensorBoard's own loader was not run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { crc32c, frameRecord, maskedCrc32c } from '../../src/trackers/tfrecord.js';
import { histogram } from '../../src/trackers/tensorboard.js';
import { crc32cBitwise, parseEvent, parseHParams, readRecords, type Event } from './tfevents-reader.js';
import { cfg, fit, only, scripted, tempDir } from '../callbacks/helpers.js';

const out = tempDir('gymnos-tb-');

test('CRC32C: RFC 3720 / iSCSI test vectors, the bitwise reader agrees, masking', () => {
  const vectors: Array<[Uint8Array, number]> = [
    [Buffer.from('123456789'), 0xe3069283],
    [new Uint8Array(32), 0x8a9136aa],
    [new Uint8Array(32).fill(0xff), 0x62a8ab43],
    [Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
    [Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
  ];
  for (const [b, want] of vectors) {
    assert.equal(crc32c(b), want);
    assert.equal(crc32cBitwise(b), want);
  }
  const c = crc32c(Buffer.from('x'));
  assert.equal(maskedCrc32c(Buffer.from('x')), ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0);
  const rec = frameRecord(Buffer.from('hello'));
  assert.deepEqual(
    readRecords(rec).map((r) => r.toString()),
    ['hello'],
  );
  rec[13] ^= 1;
  assert.throws(() => readRecords(rec), /bad data CRC/);
});

test('histogram: counts, edges and moments', () => {
  const h = histogram([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 5);
  assert.deepEqual(h.bucket, [2, 2, 2, 2, 2]);
  assert.deepEqual(h.bucketLimit, [1.8, 3.6, 5.4, 7.2, 9]);
  assert.deepEqual([h.min, h.max, h.num, h.sum, h.sumSquares], [0, 9, 10, 45, 285]);
  assert.deepEqual(histogram([2, 2]).bucket, [2]);
});

function readDir(dir: string, count = 1): Event[] {
  const files = readdirSync(dir)
    .filter((f) => f.includes('tfevents'))
    .sort((x, y) => Number(x.split('.').pop()) - Number(y.split('.').pop()));
  assert.equal(files.length, count);
  return files.flatMap((f) => readRecords(readFileSync(join(dir, f))).map(parseEvent));
}

test("a run's event file read back equals its events: scalars, learning rate, histograms, hparams", async () => {
  const { result, events } = await fit(
    cfg(
      { epochs: 3 },
      { tracking: { trackers: [{ type: 'metrics_jsonl' }, { type: 'metrics_csv' }, { type: 'tensorboard' }] } },
    ),
    { ...scripted({ valLoss: (e) => 1 / (e + 1), trainLoss: (s) => 2 - s / 10 }), output: out() },
  );
  const tb = readDir(join(result.runDir, 'tensorboard'));
  assert.equal(tb[0].fileVersion, 'brain.Event:2');
  const scalars = new Map<string, Map<number, number>>();
  for (const e of tb)
    for (const v of e.values)
      if (v.simpleValue !== undefined) {
        if (!scalars.has(v.tag!)) scalars.set(v.tag!, new Map());
        scalars.get(v.tag!)!.set(e.step, v.simpleValue);
      }
  const f32 = (x: number) => Math.fround(x);
  for (const b of only(events, 'batchEnd')) {
    assert.equal(scalars.get('batch/loss')!.get(b.step), f32(b.loss));
    assert.equal(scalars.get('batch/lr')!.get(b.step), f32(b.lr));
  }
  assert.equal(scalars.get('batch/loss')!.size, 18);
  for (const e of only(events, 'epochEnd')) {
    for (const [k, v] of Object.entries(e.train))
      if (typeof v === 'number') assert.equal(scalars.get(`train/${k}`)!.get(e.step), f32(v), k);
    for (const [k, v] of Object.entries(e.validation!))
      if (typeof v === 'number') assert.equal(scalars.get(`validation/${k}`)!.get(e.step), f32(v), k);
    assert.equal(scalars.get('epoch/lr')!.get(e.step), f32(e.lr));
  }
  const test = only(events, 'testEnd')[0];
  assert.equal(scalars.get('test/loss')!.get(test.step), f32(test.metrics.loss as number));
  // histograms: every weight at every epoch end; the scripted weights are all 1000 + step
  const histos = tb.flatMap((e) =>
    e.values.filter((v) => v.histo && v.tag!.startsWith('weights/')).map((v) => ({ step: e.step, ...v })),
  );
  assert.ok(histos.length >= 3 * 2);
  for (const h of histos) {
    assert.equal(h.histo!.min, 1000 + h.step);
    assert.equal(h.histo!.max, 1000 + h.step);
    assert.equal(h.histo!.sum, (1000 + h.step) * h.histo!.num!);
    assert.deepEqual(h.histo!.bucket, [h.histo!.num]);
  }
  const updates = tb.flatMap((e) =>
    e.values.filter((v) => v.tag!.startsWith('updates/')).map((v) => ({ step: e.step, ...v })),
  );
  assert.ok(updates.some((u) => u.step === 12 && u.histo!.min === 6 && u.histo!.max === 6)); // 1012 - 1006
  // hparams: experiment, session start with the resolved config, session end with success
  const plugin = tb
    .flatMap((e) => e.values.filter((v) => v.pluginName === 'hparams'))
    .map((v) => ({ tag: v.tag, ...parseHParams(v.pluginContent!) }));
  assert.deepEqual(
    plugin.map((p) => [p.tag, p.kind]),
    [
      ['_hparams_/experiment', 'experiment'],
      ['_hparams_/session_start_info', 'start'],
      ['_hparams_/session_end_info', 'end'],
    ],
  );
  assert.ok(plugin[0].hparamNames!.includes('training.optimizer.lr'));
  assert.deepEqual(
    [
      plugin[1].hparams!['training.epochs'],
      plugin[1].hparams!['training.optimizer.type'],
      plugin[1].hparams!['training.dropLast'],
      plugin[1].hparams!['model.hidden'],
    ],
    [3, 'sgd', false, '[4]'],
  );
  assert.equal(plugin[2].status, 1);
});

test('the tensorboard callback writes the same file; options: logDir, everySteps, no histograms', async () => {
  const { result } = await fit(
    cfg({
      epochs: 2,
      callbacks: [{ type: 'tensorboard', logDir: 'tb', everySteps: 3, histograms: false, hparams: false }],
    }),
    { ...scripted({}), output: out() },
  );
  const tb = readDir(join(result.runDir, 'tb'));
  const steps = tb.filter((e) => e.values.some((v) => v.tag === 'batch/loss')).map((e) => e.step);
  assert.deepEqual(steps, [3, 6, 9, 12]);
  assert.ok(!tb.some((e) => e.values.some((v) => v.histo || v.pluginName)));
});

test('a resumed run adds a file that starts with SessionLog START at the resume step', async () => {
  const c = cfg({ epochs: 3, callbacks: [{ type: 'tensorboard', hparams: false, histograms: false }] });
  const controller = new AbortController();
  const a = await fit(c, {
    ...scripted({}),
    output: out(),
    signal: controller.signal,
    callbacks: [
      {
        name: 'abort',
        onBatchEnd: (e) => {
          if (e.step === 9) controller.abort();
        },
      },
    ],
  });
  await fit(c, { ...scripted({}), resume: a.result.runDir });
  const tb = readDir(join(a.result.runDir, 'tensorboard'), 2);
  const start = tb.findIndex((e) => e.sessionLogStatus !== undefined);
  assert.deepEqual([tb[start].sessionLogStatus, tb[start].step, tb[start - 1].fileVersion], [1, 9, 'brain.Event:2']);
  const after = tb
    .slice(start)
    .filter((e) => e.values.some((v) => v.tag === 'batch/loss'))
    .map((e) => e.step);
  assert.deepEqual(after, [10, 11, 12, 13, 14, 15, 16, 17, 18]);
});
