/**
 * The TensorFlow.js peer workloads of bench/compare.ts still run: three steps of the MLP and
 * LeNet workloads give finite losses (ResNet-20 is left to the benchmark: seconds per step), and the wasm backend's registered Conv2DBackpropFilter
 * fallback matches the cpu backend's own kernel. Catches bit-rot in the benchmark's peers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initTfjs, runTfjsWorkload } from '../../bench/peers/tfjs.js';
import { forwardFlopsPerSample } from '../../bench/peak.js';
import { workloadModel } from '../../bench/peers/gymnos.js';

// the benchmark asserts that the loss falls; three steps (requireFall: false) only check that each workload runs
const finite = (r: { firstLoss: number; lastLoss: number }) => Number.isFinite(r.firstLoss) && Number.isFinite(r.lastLoss);

// TF.js cpu takes seconds per LeNet step: it runs the MLP here, the wasm test runs both
test('TF.js cpu: 3 steps of the MLP workload give a finite loss', async () => {
  const setup = await initTfjs('cpu');
  for (const w of ['mlp'] as const) {
    const r = await runTfjsWorkload(setup, w, { warmup: 0, epochs: 1, steps: 3, requireFall: false });
    assert.ok(finite(r), `${w}: ${JSON.stringify(r)}`);
  }
});

test('TF.js wasm: the Conv2DBackpropFilter fallback equals the cpu kernel; 3 steps of the MLP and LeNet workloads give finite losses', async () => {
  const x = tf.tensor4d(Float32Array.from({ length: 2 * 9 * 9 * 3 }, (_, i) => Math.sin(i)), [2, 9, 9, 3]);
  const w = tf.tensor4d(Float32Array.from({ length: 3 * 3 * 3 * 4 }, (_, i) => Math.cos(i)), [3, 3, 3, 4]);
  const grads = () => [1, 2].map((s) => Array.from(tf.grad((k: tf.Tensor) => tf.conv2d(x, k as tf.Tensor4D, s as 1 | 2, 'same').square().sum())(w).dataSync()));
  await tf.setBackend('cpu');
  const want = grads();
  const setup = await initTfjs('wasm', 1);
  assert.ok(setup.notes.some((n) => n.includes('Conv2DBackpropFilter')), 'expected the wasm backend to lack Conv2DBackpropFilter (note it if a tfjs release adds it)');
  const got = grads();
  for (let s = 0; s < 2; s++) for (let i = 0; i < want[s].length; i++) assert.ok(Math.abs(got[s][i] - want[s][i]) <= 1e-3 * Math.max(1, Math.abs(want[s][i])), `stride ${s + 1}, element ${i}: ${got[s][i]} vs ${want[s][i]}`);
  for (const wl of ['mlp', 'lenet'] as const) {
    const r = await runTfjsWorkload(setup, wl, { warmup: 0, epochs: 1, steps: 3, requireFall: false });
    assert.ok(finite(r), `${wl}: ${JSON.stringify(r)}`);
  }
});

test('FLOP count of the MLP workload is 2 x (784*256 + 256*128 + 128*10) per sample', async () => {
  assert.equal(forwardFlopsPerSample(await workloadModel('mlp')).flops, 2 * (784 * 256 + 256 * 128 + 128 * 10));
});
