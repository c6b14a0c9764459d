/** Streaming metrics against hand-computed values, batch-split invariance and state round trips. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../../src/onnx/tensor.js';
import { createMetrics, computeAll, type Metric } from '../../src/metrics/index.js';
import { Accuracy } from '../../src/metrics/accuracy.js';
import { TopK } from '../../src/metrics/top-k.js';
import { ConfusionMatrix } from '../../src/metrics/confusion-matrix.js';
import { PrecisionRecallF1 } from '../../src/metrics/precision-recall-f1.js';
import { MeanSquaredError } from '../../src/metrics/mse.js';
import { MeanAbsoluteError } from '../../src/metrics/mae.js';
import { R2 } from '../../src/metrics/r2.js';
import { LossMean } from '../../src/metrics/loss-mean.js';

// 6 samples, 3 classes; predicted classes: 0, 1, 2, 2, 1, 0; true: 0, 1, 1, 2, 0, 0
const logits = [
  [5, 1, 0],
  [0, 3, 1],
  [0, 1, 2],
  [1, 0, 4],
  [0, 2, 1],
  [3, 2, 1],
];
const labels = [0, 1, 1, 2, 0, 0];
const obs = (rows: number[][], ys: number[], loss = 1) => ({
  prediction: tensor('float32', [rows.length, 3], Float32Array.from(rows.flat())),
  label: tensor('int64', [ys.length], BigInt64Array.from(ys.map(BigInt))),
  loss,
  count: ys.length,
});

function feed(m: Metric, split: number) {
  m.update(obs(logits.slice(0, split), labels.slice(0, split)));
  m.update(obs(logits.slice(split), labels.slice(split)));
  return m.compute();
}

test('accuracy, top-k, confusion matrix, precision/recall/F1 match hand-computed values, however the batches split', () => {
  for (const split of [1, 3, 5]) {
    assert.deepEqual(feed(new Accuracy(), split), { accuracy: 4 / 6 });
    // top-2: sample 2 (true 1, logits 0,1,2 -> rank 2) in; sample 4 (true 0, logits 0,2,1 -> rank 3) out
    assert.deepEqual(feed(new TopK(2), split), { top2_accuracy: 5 / 6 });
    assert.deepEqual(feed(new ConfusionMatrix(3), split).confusion_matrix, [
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    const prf = feed(new PrecisionRecallF1(3), split);
    // class 0: tp 2, predicted 2, actual 3; class 1: tp 1, predicted 2, actual 2; class 2: tp 1, predicted 2, actual 1
    assert.deepEqual(prf.precision, [1, 0.5, 0.5]);
    assert.deepEqual(prf.recall, [2 / 3, 0.5, 1]);
    const f1 = [0.8, 0.5, 2 / 3];
    (prf.f1 as number[]).forEach((v, i) => assert.ok(Math.abs(v - f1[i]) < 1e-12));
    assert.ok(Math.abs((prf.f1_macro as number) - (0.8 + 0.5 + 2 / 3) / 3) < 1e-12);
    assert.equal(prf.precision_macro, 2 / 3);
  }
});

test('regression metrics: MSE, MAE, R2 against direct formulas', () => {
  const p = [1, 2, 3, 4.5],
    y = [1.5, 2, 2, 5];
  const o = (a: number[], b: number[]) => ({
    prediction: tensor('float32', [a.length, 1], Float32Array.from(a)),
    label: tensor('float32', [b.length, 1], Float32Array.from(b)),
    loss: 0,
    count: a.length,
  });
  const run = (m: Metric) => {
    m.update(o(p.slice(0, 1), y.slice(0, 1)));
    m.update(o(p.slice(1), y.slice(1)));
    return m.compute();
  };
  assert.deepEqual(run(new MeanSquaredError()), { mse: (0.25 + 0 + 1 + 0.25) / 4 });
  assert.deepEqual(run(new MeanAbsoluteError()), { mae: (0.5 + 0 + 1 + 0.5) / 4 });
  const mean = y.reduce((a, b) => a + b) / 4;
  const tot = y.reduce((s, v) => s + (v - mean) ** 2, 0);
  assert.ok(Math.abs((run(new R2()).r2 as number) - (1 - 1.5 / tot)) < 1e-12);
  assert.throws(() => new MeanSquaredError().update(o([1, 2], [1])), /prediction has 2 values but the label 1/);
});

test('loss mean weights batches by their sample count; reset clears; state/load round-trips', () => {
  const m = new LossMean();
  m.update({ ...obs(logits.slice(0, 2), labels.slice(0, 2)), loss: 1 });
  m.update({ ...obs(logits.slice(2), labels.slice(2)), loss: 4 });
  assert.deepEqual(m.compute(), { loss: (2 * 1 + 4 * 4) / 6 });
  for (const metric of createMetrics(
    [{ type: 'accuracy' }, { type: 'precision_recall_f1' }, { type: 'top_k', k: 2 }, { type: 'confusion_matrix' }],
    { numClasses: 3 },
  )) {
    metric.update(obs(logits.slice(0, 3), labels.slice(0, 3)));
    const copy = createMetrics(
      [{ type: 'accuracy' }, { type: 'precision_recall_f1' }, { type: 'top_k', k: 2 }, { type: 'confusion_matrix' }],
      { numClasses: 3 },
    ).find((x) => x.name === metric.name)!;
    copy.load(JSON.parse(JSON.stringify(metric.state())));
    metric.update(obs(logits.slice(3), labels.slice(3)));
    copy.update(obs(logits.slice(3), labels.slice(3)));
    assert.deepEqual(copy.compute(), metric.compute());
    metric.reset();
    assert.ok(
      Object.values(metric.compute()).every((v) => (typeof v === 'number' ? Number.isNaN(v) || v === 0 : true)),
    );
  }
  assert.throws(() => createMetrics([{ type: 'confusion_matrix' }], {}), /needs a classification dataset/);
  assert.equal(Object.keys(computeAll(createMetrics([], {}))).join(), 'loss');
});

test('one-hot labels count as their argmax class; K-step stacked predictions [K, B, C] flatten', () => {
  const a = new Accuracy();
  a.update({
    prediction: tensor('float32', [2, 1, 3], Float32Array.from([1, 0, 0, 0, 0, 1])),
    label: tensor('float32', [2, 3], Float32Array.from([1, 0, 0, 0, 1, 0])),
    loss: 0,
    count: 2,
  });
  assert.deepEqual(a.compute(), { accuracy: 0.5 });
});
