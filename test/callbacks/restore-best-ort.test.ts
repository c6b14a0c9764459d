/**
 * Restore-best with real ONNX Runtime: iris trained with a learning rate blown up after epoch 3
 * so later epochs are worse; the exported model.onnx must hold, tensor for tensor, the weights of
 * the epoch with the lowest validation loss (recorded independently by a user callback).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../src/onnx/io.js';
import type { Tensor } from '../../src/onnx/tensor.js';
import { cfg, fit, tempDir } from './helpers.js';

const out = tempDir('gymnos-ort-es-');

test("ORT: model.onnx holds the best epoch's weights after the run goes bad", async () => {
  let weights: () => ReadonlyMap<string, Tensor> = () => new Map();
  const seen: Array<{ loss: number; weights: Map<string, Float32Array> }> = [];
  const c = cfg(
    { epochs: 7, seed: 3, optimizer: { type: 'sgd', lr: 0.05 }, callbacks: [{ type: 'early_stopping', patience: 20 }] },
    { session: { device: 'cpu', intraOpThreads: 1 } },
  );
  const { result } = await fit(c, {
    output: out(),
    callbacks: [
      {
        name: 'recorder',
        setup: (ctx) => {
          weights = ctx.weights;
        },
        onEpochEnd: (e) => {
          seen.push({
            loss: e.validation!.loss as number,
            weights: new Map([...weights()].map(([k, t]) => [k, Float32Array.from(t.data as Float32Array)])),
          });
          if (e.epoch === 2) return { lrFactor: 200 }; // diverge from here on
        },
      },
    ],
  });
  assert.equal(result.status, 'completed');
  const losses = seen.map((s) => s.loss);
  const best = losses.indexOf(Math.min(...losses));
  assert.ok(best < losses.length - 1, `the last epoch must not be the best (losses ${losses.join(', ')})`);
  assert.equal(result.restoredWeights?.step, (best + 1) * 6);
  const model = loadModel(result.modelPath!);
  let compared = 0;
  for (const [name, w] of seen[best].weights) {
    const t = model.graph.initializers.get(name);
    if (!t) continue;
    assert.deepEqual(Float32Array.from(t.data as Float32Array), w, name);
    assert.notDeepEqual(Float32Array.from(t.data as Float32Array), seen[seen.length - 1].weights.get(name), name);
    compared++;
  }
  assert.ok(compared >= 4, `compared ${compared} tensors`);
});
