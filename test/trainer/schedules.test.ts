/** LR schedules against their closed forms (PyTorch's StepLR, ExponentialLR, OneCycleLR). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSchedule } from '../../src/schedules/index.js';

const at = (
  spec: { type: string } & Record<string, unknown>,
  base: number,
  steps: number[],
  perEpoch = 10,
  total = 100,
) => {
  const s = createSchedule(spec, base);
  return steps.map((step) => s({ step, stepsPerEpoch: perEpoch, totalSteps: total }));
};
const close = (a: number[], b: number[]) =>
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-12, `${i}: ${v} vs ${b[i]}`));

test('constant, step and exponential (per epoch and per step)', () => {
  assert.deepEqual(at({ type: 'constant' }, 0.1, [0, 50, 99]), [0.1, 0.1, 0.1]);
  close(at({ type: 'step', stepSize: 3, gamma: 0.5, unit: 'epoch' }, 1, [0, 29, 30, 59, 60]), [1, 1, 0.5, 0.5, 0.25]);
  close(at({ type: 'step', stepSize: 4, gamma: 0.1, unit: 'step' }, 1, [3, 4, 8]), [1, 0.1, 0.01]);
  close(at({ type: 'exponential', gamma: 0.9, unit: 'epoch' }, 2, [0, 10, 25]), [2, 1.8, 2 * 0.81]);
});

test('cosine with warmup rises linearly, peaks, and ends at minLr', () => {
  const v = at({ type: 'cosine', warmupSteps: 10, minLr: 0.01 }, 0.1, [0, 4, 9, 10, 99]);
  close(v, [0.01, 0.05, 0.1, 0.1, 0.01]);
  const mid = at({ type: 'cosine', warmupSteps: 0, minLr: 0 }, 1, [0, 99], 10, 199)[1];
  assert.ok(Math.abs(mid - 0.5) < 1e-12);
});

test('linear warmup and decay to endLr', () => {
  close(at({ type: 'linear', warmupSteps: 4, endLr: 0 }, 1, [0, 3, 4, 99]), [0.25, 1, 1, 0]);
});

test('one-cycle: starts at maxLr/divFactor, peaks at pctStart, ends at start/finalDivFactor', () => {
  const [s0, peak, last] = at(
    { type: 'one_cycle', pctStart: 0.3, divFactor: 25, finalDivFactor: 1e4 },
    0.1,
    [0, 29, 99],
  );
  close([s0, peak, last], [0.1 / 25, 0.1, 0.1 / 25 / 1e4]);
  const v = at(
    { type: 'one_cycle', maxLr: 1, pctStart: 0.3, divFactor: 25, finalDivFactor: 1e4 },
    0.1,
    Array.from({ length: 100 }, (_, i) => i),
  );
  for (let i = 1; i <= 29; i++) assert.ok(v[i] >= v[i - 1]);
  for (let i = 30; i < 100; i++) assert.ok(v[i] <= v[i - 1]);
});
