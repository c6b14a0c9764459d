/**
 * The CallbackProvider: registry entries validated by the experiment schema, user callbacks from
 * the library API as objects of typed hooks, unique names, and the order callbacks run in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CALLBACKS } from '../../src/callbacks/index.js';
import { parseExperiment } from '../../src/experiment/index.js';
import type { Callback, TrainerEvent } from '../../src/trainer/events.js';
import { cfg, fit, scripted, tempDir } from './helpers.js';

const out = tempDir('gymnos-provider-');

test("the registry is built from the modules; the schema checks each callback's options", () => {
  assert.deepEqual(CALLBACKS.types(), [
    'early_stopping',
    'reduce_lr_on_plateau',
    'model_checkpoint',
    'lr_scheduler',
    'terminate_on_nan',
    'csv_logger',
    'tensorboard',
    'progress_bar',
    'backup_and_restore',
  ]);
  const base = { dataset: { type: 'iris' }, model: { type: 'mlp' } };
  assert.throws(
    () => parseExperiment({ ...base, training: { callbacks: [{ type: 'early_stoping' }] } }, 'x.json'),
    /expected one of 'early_stopping', .* \(did you mean 'early_stopping'\?\) for training\.callbacks\[0\]\.type but got 'early_stoping'/,
  );
  assert.throws(
    () => parseExperiment({ ...base, training: { callbacks: [{ type: 'early_stopping', patiense: 3 }] } }, 'x.json'),
    /unknown key training\.callbacks\[0\]\.patiense \(did you mean 'patience'\?\)/,
  );
  assert.throws(
    () =>
      parseExperiment({ ...base, training: { callbacks: [{ type: 'reduce_lr_on_plateau', factor: 2 }] } }, 'x.json'),
    /training\.callbacks\[0\]\.factor/,
  );
  const ok = parseExperiment({ ...base, training: { callbacks: [{ type: 'early_stopping' }] } });
  assert.deepEqual(ok.training.callbacks, [
    {
      type: 'early_stopping',
      monitor: 'val_loss',
      mode: 'auto',
      minDelta: 0,
      patience: 3,
      startFromEpoch: 0,
      restoreBestWeights: true,
    },
  ]);
});

test('user callbacks: typed hooks and onEvent both run, setup sees the context, decisions apply', async () => {
  const calls: string[] = [];
  const user: Callback = {
    name: 'mine',
    setup: (ctx) => {
      calls.push(`setup ${ctx.metrics.join(',')} ${ctx.stepsPerEpoch}/${ctx.totalSteps} ${ctx.baseLr}`);
    },
    onFitStart: (e) => {
      calls.push(`fitStart ${e.epochs}`);
    },
    onEpochEnd: (e) => {
      calls.push(`epochEnd ${e.epoch}`);
      if (e.epoch === 2) return { stop: { reason: 'two is enough' } };
    },
    onEvent: (e: TrainerEvent) => {
      if (e.type === 'fitEnd') calls.push(`fitEnd ${e.result.status}`);
    },
  };
  const { result } = await fit(cfg({ epochs: 5 }), { ...scripted({}), output: out(), callbacks: [user] });
  assert.equal(result.message, 'mine: two is enough');
  assert.deepEqual(calls, [
    'setup loss,accuracy,val_loss,val_accuracy 6/30 0.1',
    'fitStart 5',
    'epochEnd 1',
    'epochEnd 2',
    'fitEnd stopped',
  ]);
});

test('two callbacks with one name are refused (their saved state would collide)', async () => {
  await assert.rejects(
    fit(cfg(), { ...scripted({}), output: out(), callbacks: [{ name: 'a' }, { name: 'a' }] }),
    /two callbacks are named 'a'/,
  );
});
