/**
 * One numbering everywhere: epochs and batches count from 1, `step` is optimizer steps done. A short
 * run (iris on the null backend: 6 batches, so 6 steps, per epoch) is read back from every place a
 * user sees an epoch number (events, metrics.jsonl, metrics.csv, csv_logger, state.json, the
 * report's chart data, model_checkpoint's file names) and each is checked against the arithmetic
 * of the schedule: epoch e ends at step 6e. Then a run aborted mid-epoch and at an epoch boundary,
 * and its resume, must say the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderReport, readRun } from '../../src/report/html.js';
import { cfg, fit, only, scripted, STEPS_PER_EPOCH, tempDir } from '../callbacks/helpers.js';

const out = tempDir('gymnos-numbering-');
const N = STEPS_PER_EPOCH;
const config = (epochs: number) =>
  cfg({
    epochs,
    checkpoint: { everySteps: 0, keepLast: 5 },
    callbacks: [
      { type: 'csv_logger', filename: 'log.csv' },
      { type: 'model_checkpoint', monitor: 'val_loss', saveBest: false, topK: 5, everyEpochs: 2 },
    ],
  });
const read = (dir: string, f: string) => readFileSync(join(dir, f), 'utf8');
const jsonl = (dir: string) =>
  read(dir, 'metrics.jsonl')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { kind: string; epoch: number; step: number });
const csvCol = (dir: string, f: string, col: string) => {
  const [head, ...rows] = read(dir, f)
    .trim()
    .split('\n')
    .map((l) => l.split(','));
  return rows.map((r) => Number(r[head.indexOf(col)]));
};

test('events, metrics.jsonl, metrics.csv, csv_logger, state.json, checkpoints and the report agree', async () => {
  const { result, events } = await fit(config(3), {
    ...scripted({ valLoss: (e) => [0.9, 0.5, 0.7][e] }),
    output: out(),
  });
  const dir = result.runDir;
  assert.deepEqual(
    only(events, 'epochStart').map((e) => [e.epoch, e.step, e.batch]),
    [
      [1, 0, 0],
      [2, N, 0],
      [3, 2 * N, 0],
    ],
  );
  const batches = only(events, 'batchEnd');
  assert.deepEqual(
    batches.slice(0, 2).map((e) => [e.epoch, e.batch, e.step]),
    [
      [1, 1, 1],
      [1, 2, 2],
    ],
  );
  assert.deepEqual(
    batches.slice(-1).map((e) => [e.epoch, e.batch, e.batches, e.step]),
    [[3, N, N, 3 * N]],
  );
  // every batchEnd: step = (epoch - 1) * N + batch, and the samples add up to the split's 90
  batches.forEach((e) => assert.equal(e.step, (e.epoch - 1) * N + e.batch));
  assert.equal(
    batches.filter((e) => e.epoch === 1).reduce((n, e) => n + e.samples, 0),
    90,
  );
  const ends = only(events, 'epochEnd');
  assert.deepEqual(
    ends.map((e) => [e.epoch, e.epochs, e.step, e.samples]),
    [
      [1, 3, N, 90],
      [2, 3, 2 * N, 90],
      [3, 3, 3 * N, 90],
    ],
  );
  assert.deepEqual(
    only(events, 'validationEnd').map((e) => e.epoch),
    [1, 2, 3],
  );
  assert.deepEqual(
    only(events, 'checkpointSaved').map((e) => e.position),
    [1, 2, 3].map((e) => ({ epoch: e, batch: N, step: e * N })),
  );
  assert.deepEqual(only(events, 'stop')[0].position, { epoch: 3, batch: N, step: 3 * N });

  assert.deepEqual(
    jsonl(dir).map((r) => [r.kind, r.epoch, r.step]),
    [
      ['epoch', 1, N],
      ['epoch', 2, 2 * N],
      ['epoch', 3, 3 * N],
      ['test', 3, 3 * N],
    ],
  );
  assert.deepEqual(csvCol(dir, 'metrics.csv', 'epoch'), [1, 2, 3, 3]);
  assert.deepEqual(csvCol(dir, 'log.csv', 'epoch'), [1, 2, 3]);
  const state = JSON.parse(read(dir, 'state.json'));
  assert.deepEqual([state.status, state.epoch, state.batch, state.step], ['completed', 3, N, 3 * N]);
  // everyEpochs: 2 considers epoch 2 only (of 1..3); its file is named by that epoch
  assert.deepEqual(
    readdirSync(join(dir, 'models')).filter((f) => f.endsWith('.onnx')),
    [`epoch-0002-step-${2 * N}.onnx`],
  );
  const meta = JSON.parse(read(dir, `models/epoch-0002-step-${2 * N}.onnx.json`));
  assert.deepEqual([meta.epoch, meta.step], [2, 2 * N]);
  const html = renderReport(readRun(dir));
  const chart = /<figure class="chart" id="chart-loss">([\s\S]*?)<\/figure>/.exec(html)![1];
  const xs = [...chart.matchAll(/data-series="train loss">[\s\S]*?<\/g>/g)][0][0]
    .match(/data-x="(\d+)"/g)!
    .map((m) => Number(m.slice(8, -1)));
  assert.deepEqual(xs, [1, 2, 3]);
});

test('an abort mid-epoch and at an epoch boundary: state.json, stop, resume events and files agree', async () => {
  for (const [abortAt, expected] of [
    [8, { epoch: 2, batch: 2, step: 8 }],
    [2 * N, { epoch: 2, batch: N, step: 2 * N }],
  ] as const) {
    const controller = new AbortController();
    const a = await fit(config(3), {
      ...scripted({ valLoss: (e) => [0.9, 0.5, 0.7][e] }),
      output: out(),
      signal: controller.signal,
      callbacks: [
        {
          name: 'abort',
          onBatchEnd: (e) => {
            if (e.step === abortAt) controller.abort();
          },
        },
      ],
    });
    assert.equal(a.result.status, 'aborted');
    const state = JSON.parse(read(a.result.runDir, 'state.json'));
    assert.deepEqual({ epoch: state.epoch, batch: state.batch, step: state.step }, expected);
    assert.deepEqual(only(a.events, 'stop')[0].position, expected);
    assert.deepEqual(only(a.events, 'checkpointSaved').slice(-1)[0].position, expected);
    const b = await fit(config(3), { ...scripted({ valLoss: (e) => [0.9, 0.5, 0.7][e] }), resume: a.result.runDir });
    const start = only(b.events, 'fitStart')[0];
    assert.deepEqual({ ...start.resumed, checkpoint: undefined }, { ...expected, checkpoint: undefined });
    const first = only(b.events, 'batchEnd')[0];
    assert.equal(first.step, expected.step + 1);
    assert.equal(first.step, (first.epoch - 1) * N + first.batch);
    if (expected.batch < N)
      assert.deepEqual(only(b.events, 'epochStart')[0], {
        type: 'epochStart',
        epoch: 2,
        step: 8,
        batches: N,
        batch: 2,
      });
    assert.deepEqual(
      only(b.events, 'epochEnd').map((e) => e.epoch),
      expected.batch < N ? [2, 3] : [3],
    );
    assert.deepEqual(
      jsonl(a.result.runDir).map((r) => [r.kind, r.epoch, r.step]),
      [
        ['epoch', 1, N],
        ['epoch', 2, 2 * N],
        ['epoch', 3, 3 * N],
        ['test', 3, 3 * N],
      ],
    );
    assert.deepEqual(csvCol(a.result.runDir, 'metrics.csv', 'epoch'), [1, 2, 3, 3]);
    assert.deepEqual(csvCol(a.result.runDir, 'log.csv', 'epoch'), [1, 2, 3]);
  }
});
