/**
 * ASHA: rung placement, the top-1/eta decision (checked against sorting the values), and the
 * callback's stop decision as trials reach a rung one after another.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ashaCallback, ashaDecision, MemoryRungStore, rungs } from '../../src/sweeps/asha.js';
import type { TrainerEvent } from '../../src/trainer/events.js';

test('rungs sit at minEpochs * eta^k below the last epoch', () => {
  assert.deepEqual(rungs({ eta: 3, minEpochs: 1 }, 27), [1, 3, 9]);
  assert.deepEqual(rungs({ eta: 2, minEpochs: 1 }, 2), [1]);
  assert.deepEqual(rungs({ eta: 2, minEpochs: 2 }, 9), [2, 4, 8]);
  assert.deepEqual(rungs({ eta: 3, minEpochs: 1 }, 1), []);
});

test('only the top floor(n/eta) continue; fewer than eta values all continue; NaN never does', () => {
  const vals = [0.9, 0.7, 0.8, 0.6, 0.95, 0.5];
  const sorted = [...vals].sort((a, b) => b - a);
  for (const v of vals) {
    const d = ashaDecision(vals, v, 3, 'max');
    assert.equal(d.keep, 2);
    assert.equal(d.promote, sorted.indexOf(v) < 2, `value ${v}`);
  }
  assert.equal(ashaDecision([0.1, 0.2, 0.3], 0.1, 3, 'min').promote, true);
  assert.equal(ashaDecision([0.1, 0.2, 0.3], 0.2, 3, 'min').promote, false);
  assert.equal(ashaDecision([0.1, 0.9], 0.1, 3, 'max').promote, true);
  assert.equal(ashaDecision([0.1, 0.2, NaN], NaN, 3, 'min').promote, false);
  assert.equal(ashaDecision([NaN, 0.2, 0.3], 0.2, 3, 'min').promote, true);
});

const epochEnd = (epoch: number, acc: number): Extract<TrainerEvent, { type: 'epochEnd' }> => ({
  type: 'epochEnd',
  epoch,
  epochs: 4,
  step: epoch * 10,
  samples: 10,
  lr: 0.1,
  train: { loss: 1 },
  validation: { accuracy: acc },
  seconds: 0,
  sessionSeconds: 0,
});

test('the callback stops a trial that is not in the top 1/eta at its rung, and only at rungs', async () => {
  const store = new MemoryRungStore();
  const make = (trial: string) =>
    ashaCallback({ eta: 2, minEpochs: 1, metric: 'val_accuracy', mode: 'max', maxEpochs: 4, trial, store });
  const arrivals: Array<[string, number, boolean]> = [
    ['a', 0.5, true],
    ['b', 0.4, false],
    ['c', 0.9, true],
    ['d', 0.45, false],
  ];
  for (const [trial, acc, survives] of arrivals) {
    const cb = make(trial);
    assert.equal(await cb.onEpochEnd!(epochEnd(3, acc)), undefined, 'epoch 3 is no rung');
    const d = await cb.onEpochEnd!(epochEnd(1, acc));
    assert.equal(d === undefined, survives, `${trial} at ${acc}`);
    if (!survives) {
      assert.match(
        String((d as { stop: { reason: string } }).stop.reason),
        /ASHA: val_accuracy .* at the epoch-1 rung/,
      );
      assert.equal(cb.pruned?.epoch, 1);
    }
  }
  // the same trial recorded again (a resumed run) does not count twice
  assert.deepEqual((await store.record(1, 'a', 0.5)).length, 4);
});
