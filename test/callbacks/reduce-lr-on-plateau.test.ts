/**
 * reduce_lr_on_plateau: scripted plateaus with patience, cooldown and min_lr; end to end, and its factor surviving
 * resume.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReduceLrOnPlateau } from '../../src/callbacks/reduce-lr-on-plateau.js';
import { cfg, epochEnd, fit, only, scripted, tempDir } from './helpers.js';

const out = tempDir('gymnos-rlr-');

test('scripted: patience, cooldown and min_lr', () => {
  const cb = new ReduceLrOnPlateau(
    { monitor: 'loss', mode: 'auto', minDelta: 0, factor: 0.5, patience: 2, cooldown: 1, minLr: 0.02 },
    0,
  );
  let lr = 0.1;
  const lrs: number[] = [];
  for (const [i, v] of [1, 1, 1, 1, 1, 1, 1, 1, 1, 1].entries()) {
    const d = cb.onEpochEnd(epochEnd(i + 1, { loss: v }, undefined, lr));
    if (d?.lrFactor !== undefined) lr = 0.1 * d.lrFactor;
    lrs.push(Number(lr.toPrecision(6)));
  }
  // reduce after 2 flat epochs; as in Keras the cooldown epoch restarts the count and, once over, counts; floored at
  // 0.02
  assert.deepEqual(lrs, [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02, 0.02, 0.02]);
  const improving = new ReduceLrOnPlateau(
    { monitor: 'loss', mode: 'auto', minDelta: 0, factor: 0.5, patience: 1, cooldown: 0, minLr: 0 },
    0,
  );
  for (const [i, v] of [3, 2, 1].entries()) assert.equal(improving.onEpochEnd(epochEnd(i + 1, { loss: v })), undefined);
});

const VAL = [1, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9];

test('end to end: the rate drops on the plateau, and the factor and counters survive resume', async () => {
  const c = cfg({ epochs: 8, callbacks: [{ type: 'reduce_lr_on_plateau', factor: 0.5, patience: 2 }] });
  const whole = await fit(c, { ...scripted({ valLoss: (e) => VAL[e] }), output: out() });
  const lrs = only(whole.events, 'epochEnd').map((e) => Number(e.lr.toPrecision(6)));
  assert.deepEqual(lrs, [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025]); // best at epoch 2; every two flat epochs, halve
  const controller = new AbortController();
  const a = await fit(c, {
    ...scripted({ valLoss: (e) => VAL[e] }),
    output: out(),
    signal: controller.signal,
    callbacks: [
      {
        name: 'abort',
        onBatchEnd: (e) => {
          if (e.step === 33) controller.abort();
        },
      },
    ],
  });
  const b = await fit(c, { ...scripted({ valLoss: (e) => VAL[e] }), resume: a.result.runDir });
  assert.equal(only(b.events, 'batchEnd')[0].lr, 0.05);
  assert.deepEqual(
    only(b.events, 'epochEnd').map((e) => Number(e.lr.toPrecision(6))),
    lrs.slice(5),
  );
});
