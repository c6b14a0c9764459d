/**
 * The library surface for callbacks: a user callback is a plain object of optional, typed hooks
 * (checked here at compile time), and the registries and report builder are exported.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as gymnos from '../../src/index.js';
import type { Callback, Decision } from '../../src/index.js';

test('a user callback is an object of typed, optional hooks', () => {
  const cb: Callback = {
    name: 'typed',
    onEpochEnd: (e) =>
      e.validation?.loss !== undefined && e.epoch > 2
        ? { stop: { reason: `val_loss ${String(e.validation.loss)}` } }
        : undefined,
    onBatchEnd: (e): Decision | void => {
      if (!Number.isFinite(e.loss)) return { stop: { reason: 'nan' } };
    },
    // @ts-expect-error a hook receives only its own event type
    onTestEnd: (e: { type: 'epochEnd' }) => void e,
  };
  assert.equal(cb.name, 'typed');
  assert.deepEqual(gymnos.CALLBACKS.types().slice(0, 3), [
    'early_stopping',
    'reduce_lr_on_plateau',
    'model_checkpoint',
  ]);
  assert.deepEqual(gymnos.TRACKERS.types(), ['metrics_jsonl', 'metrics_csv', 'tensorboard', 'mlflow']);
  assert.equal(typeof gymnos.renderReport, 'function');
  assert.equal(typeof gymnos.TrackerManager, 'function');
});
