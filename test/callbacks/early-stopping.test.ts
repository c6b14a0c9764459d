/**
 * early_stopping: the scripted patience logic (min_delta, baseline, start_from_epoch, mode), and
 * end-to-end on the null backend: the run ends with the best epoch's weights however it ends
 * (patience, last epoch, another callback's stop, an abort), resume keeps its counters, and a
 * monitor that does not exist fails before the first batch listing those that do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EarlyStopping } from '../../src/callbacks/early-stopping.js';
import { loadModel } from '../../src/onnx/io.js';
import { cfg, epochEnd, fit, only, scripted, STEPS_PER_EPOCH, tempDir, WEIGHT_BASE } from './helpers.js';

const out = tempDir('gymnos-es-');
const es = (o: Record<string, unknown> = {}) =>
  new EarlyStopping({
    monitor: 'val_loss',
    mode: 'auto',
    minDelta: 0,
    patience: 2,
    startFromEpoch: 0,
    restoreBestWeights: true,
    ...o,
  });

/** Feeds val_loss values; returns the epoch index whose decision stopped (or -1). */
function drive(cb: EarlyStopping, values: number[], key = 'val_loss'): number {
  for (const [i, v] of values.entries()) {
    const d = cb.onEpochEnd(
      key.startsWith('val_') ? epochEnd(i + 1, { loss: 0 }, { [key.slice(4)]: v }) : epochEnd(i + 1, { [key]: v }),
    );
    if (d?.stop) return i;
  }
  return -1;
}

test('patience counts epochs without improvement; min_delta, baseline, start_from_epoch, mode', () => {
  assert.equal(drive(es(), [1, 0.9, 0.95, 0.91]), 3);
  assert.equal(drive(es(), [1, 0.9, 0.95, 0.8, 0.85, 0.86]), 5);
  assert.equal(drive(es({ minDelta: 0.05 }), [1, 0.97, 0.96]), 2); // improvements under min_delta do not count
  assert.equal(drive(es({ baseline: 0.5 }), [0.9, 0.8]), 1); // never beat the baseline
  assert.equal(drive(es({ startFromEpoch: 3 }), [1, 2, 3, 4, 5, 6]), 5);
  assert.equal(drive(es({ monitor: 'val_accuracy' }), [0.5, 0.6, 0.55, 0.58], 'val_accuracy'), 3); // auto: max
  assert.equal(drive(es({ monitor: 'val_accuracy', mode: 'min' }), [0.5, 0.6, 0.7], 'val_accuracy'), 2);
  assert.equal(drive(es(), [1, NaN, NaN]), 2); // NaN is never an improvement
  const cb = es();
  cb.onEpochEnd(epochEnd(1, { loss: 0 }, { loss: 1 }));
  assert.deepEqual(cb.onEpochEnd(epochEnd(2, { loss: 0 }, { loss: 0.5 })), {
    snapshot: { tag: 'early_stopping#0', restoreAtEnd: true },
  });
  assert.deepEqual(cb.onEpochEnd(epochEnd(3, { loss: 0 }, { loss: 0.7 })), {});
});

const VAL = [1.0, 0.6, 0.4, 0.7, 0.8, 0.9, 0.95, 0.97]; // best after epoch 3 (index 2): step 18
const valLoss = (e: number) => VAL[e] ?? 1;

/** Distinct values of the exported model's multi-element float initializers. */
function exportedWeightSteps(path: string): Set<number> {
  const m = loadModel(path);
  const out = new Set<number>();
  for (const t of m.graph.initializers.values())
    if (t.dtype === 'float32' && t.data.length > 1 && Number(t.data[0]) >= WEIGHT_BASE)
      out.add(Number(t.data[0]) - WEIGHT_BASE);
  return out;
}

test('patience stop ends with the best weights (model.onnx and the result say which)', async () => {
  const { result, events } = await fit(cfg({ epochs: 8, callbacks: [{ type: 'early_stopping', patience: 2 }] }), {
    ...scripted({ valLoss }),
    output: out(),
  });
  assert.equal(result.status, 'stopped');
  assert.match(
    result.message!,
    /^early_stopping#0: val_loss did not improve for 2 epoch\(s\) \(best 0\.4 at epoch 3\)/,
  );
  assert.equal(only(events, 'epochEnd').length, 5);
  assert.deepEqual(result.restoredWeights, { tag: 'early_stopping#0', step: 3 * STEPS_PER_EPOCH });
  assert.deepEqual([...exportedWeightSteps(result.modelPath!)], [18]);
  const log = readFileSync(join(result.runDir, 'gymnos.log'), 'utf8');
  assert.match(log, /weights restored/);
});

test("restore-best however training ends: last epoch, another callback's stop, an abort", async () => {
  const last = await fit(cfg({ epochs: 5, callbacks: [{ type: 'early_stopping', patience: 10 }] }), {
    ...scripted({ valLoss }),
    output: out(),
  });
  assert.equal(last.result.status, 'completed');
  assert.deepEqual([...exportedWeightSteps(last.result.modelPath!)], [18]);

  const other = await fit(cfg({ epochs: 8, callbacks: [{ type: 'early_stopping', patience: 10 }] }), {
    ...scripted({ valLoss }),
    output: out(),
    callbacks: [{ name: 'stopper', onEpochEnd: (e) => (e.epoch === 3 ? { stop: { reason: 'user' } } : undefined) }],
  });
  assert.equal(other.result.message, 'stopper: user');
  assert.deepEqual([...exportedWeightSteps(other.result.modelPath!)], [18]);

  const controller = new AbortController();
  const aborted = await fit(cfg({ epochs: 8, callbacks: [{ type: 'early_stopping', patience: 10 }] }), {
    ...scripted({ valLoss }),
    output: out(),
    signal: controller.signal,
    callbacks: [
      {
        name: 'abort',
        onBatchEnd: (e) => {
          if (e.step === 27) controller.abort();
        },
      },
    ],
  });
  assert.equal(aborted.result.status, 'aborted');
  assert.deepEqual(aborted.result.restoredWeights, { tag: 'early_stopping#0', step: 18 });
  assert.deepEqual([...exportedWeightSteps(aborted.result.modelPath!)], [18]);
  // the abort checkpoint keeps the current weights: resume continues from step 27, not 18
  const resumed = await fit(cfg(), { ...scripted({ valLoss }), resume: aborted.result.runDir });
  assert.equal(only(resumed.events, 'fitStart')[0].resumed?.step, 27);
  assert.equal(only(resumed.events, 'batchEnd')[0].step, 28);
  assert.deepEqual([...exportedWeightSteps(resumed.result.modelPath!)], [18]); // the copy came back from the checkpoint
});

test('resume restores the wait counter: the resumed run stops where the uninterrupted one does', async () => {
  const c = cfg({ epochs: 8, callbacks: [{ type: 'early_stopping', patience: 3 }] });
  const whole = await fit(c, { ...scripted({ valLoss }), output: out() });
  const controller = new AbortController();
  const a = await fit(c, {
    ...scripted({ valLoss }),
    output: out(),
    signal: controller.signal,
    callbacks: [
      {
        name: 'abort',
        onBatchEnd: (e) => {
          if (e.step === 26) controller.abort();
        },
      },
    ],
  });
  const b = await fit(c, { ...scripted({ valLoss }), resume: a.result.runDir });
  assert.deepEqual(
    [b.result.status, b.result.step, b.result.message],
    [whole.result.status, whole.result.step, whole.result.message],
  );
  assert.equal(whole.result.step, 6 * STEPS_PER_EPOCH);
});

test('a monitor the run does not produce fails before the first batch, listing those it does', async () => {
  const o = out();
  await assert.rejects(
    fit(cfg({ callbacks: [{ type: 'early_stopping', monitor: 'val_acc' }] }), { ...scripted({}), output: o }),
    /expected one of 'loss', 'accuracy', 'val_loss', 'val_accuracy' for training\.callbacks\[0\]\.monitor but got 'val_acc'/,
  );
  await assert.rejects(
    fit(
      cfg(
        { callbacks: [{ type: 'early_stopping' }] },
        { dataset: { type: 'iris', split: { validation: 0, test: 0.2 } } },
      ),
      { ...scripted({}), output: out() },
    ),
    /got 'val_loss' \(this run has no validation split/,
  );
  const state = JSON.parse(readFileSync(join(o, 'state.json'), 'utf8'));
  assert.deepEqual([state.status, state.step], ['failed', 0]);
});
