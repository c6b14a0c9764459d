/** `gymnosd sweep status`'s sweep state: 'finished' once every trial has ended, else the record's. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sweepState } from '../../src/sweeps/queue.js';

test('a running sweep whose trials all ended is finished; one with a trial waiting or active is not', () => {
  const t = (...states: string[]) => states.map((state) => ({ state }));
  assert.equal(sweepState('running', t('completed', 'failed', 'removed')), 'finished');
  assert.equal(sweepState('running', t('completed', 'active')), 'running');
  assert.equal(sweepState('running', t('completed', 'waiting', 'delayed')), 'running');
  assert.equal(sweepState('running', []), 'running');
  // a stopped sweep stays stopped, however its trials ended
  assert.equal(sweepState('stopped', t('completed', 'removed')), 'stopped');
});
