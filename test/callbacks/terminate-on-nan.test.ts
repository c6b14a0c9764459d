/** terminate_on_nan: scripted losses, and a run whose loss turns NaN at step 8 stops there. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TerminateOnNan } from '../../src/callbacks/terminate-on-nan.js';
import { cfg, fit, only, scripted, tempDir } from './helpers.js';

const out = tempDir('gymnos-nan-');
const batch = (loss: number) => ({
  type: 'batchEnd' as const,
  epoch: 1,
  batch: 1,
  batches: 6,
  step: 1,
  samples: 16,
  loss,
  lr: 0.1,
});

test('scripted: NaN and infinities stop, finite losses do not', () => {
  const cb = new TerminateOnNan();
  assert.equal(cb.onBatchEnd(batch(1e30)), undefined);
  for (const v of [NaN, Infinity, -Infinity])
    assert.match(cb.onBatchEnd(batch(v))!.stop!.reason, new RegExp(`loss is ${v}`));
});

test('end to end: stops after the first NaN step', async () => {
  // terminateOnNan off: the run fails on a NaN by default (test/trainer/faults.test.ts); here the callback alone stops
  // it
  const { result, events } = await fit(cfg({ terminateOnNan: false, callbacks: [{ type: 'terminate_on_nan' }] }), {
    ...scripted({ trainLoss: (s) => (s >= 8 ? NaN : 1) }),
    output: out(),
  });
  assert.equal(result.status, 'stopped');
  assert.equal(result.step, 8);
  assert.equal(only(events, 'batchEnd').length, 8);
  assert.match(result.message!, /^terminate_on_nan#0: loss is NaN at step 8 \(epoch 2, batch 2\)/);
});
