/** lr_scheduler: a schedule from src/schedules driving the rate per step or per epoch. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfg, fit, only, scripted, tempDir } from './helpers.js';

const out = tempDir('gymnos-lrs-');

test('per epoch: step decay applied at each epoch start', async () => {
  const { events } = await fit(
    cfg({
      epochs: 3,
      callbacks: [{ type: 'lr_scheduler', interval: 'epoch', schedule: { type: 'step', stepSize: 1, gamma: 0.5 } }],
    }),
    { ...scripted({}), output: out() },
  );
  const lrs = only(events, 'batchEnd').map((e) => Number(e.lr.toPrecision(6)));
  assert.deepEqual(lrs, [...Array(6).fill(0.1), ...Array(6).fill(0.05), ...Array(6).fill(0.025)]);
});

test("per step: exponential decay by step; per epoch composed with reduce_lr_on_plateau's factor", async () => {
  const { events } = await fit(
    cfg({
      epochs: 1,
      callbacks: [
        { type: 'lr_scheduler', interval: 'step', schedule: { type: 'exponential', gamma: 0.5, unit: 'step' } },
      ],
    }),
    { ...scripted({}), output: out() },
  );
  const lrs = only(events, 'batchEnd').map((e) => e.lr);
  assert.deepEqual(
    lrs.map((x) => Number(x.toPrecision(6))),
    [0.1, 0.05, 0.025, 0.0125, 0.00625, 0.003125],
  );
  const both = await fit(
    cfg({
      epochs: 4,
      callbacks: [
        { type: 'lr_scheduler', interval: 'epoch', schedule: { type: 'step', stepSize: 2, gamma: 0.5 } },
        { type: 'reduce_lr_on_plateau', factor: 0.1, patience: 1 },
      ],
    }),
    { ...scripted({ valLoss: () => 1 }), output: out() },
  );
  assert.deepEqual(
    only(both.events, 'epochEnd').map((e) => Number(e.lr.toPrecision(6))),
    [0.1, 0.1, 0.005, 0.0005],
  );
});
