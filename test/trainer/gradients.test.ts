/** StepRunner fetches raw gradients on request; they match a hand-derived float64 gradient. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTrainingArtifacts } from '../../src/autodiff/artifacts.js';
import { StepRunner } from '../../src/trainer/step-runner.js';
import { SessionManager } from '../../src/sessions/session-manager.js';
import { buildMlp } from '../../src/models/zoo/small.js';
import { tensor } from '../../src/onnx/tensor.js';
import { Rng } from '../../src/util/rng.js';

test('raw gradients of a linear layer under MSE equal 2/(NC) (y - t)^T x, before clipping', async () => {
  const N = 5,
    I = 4,
    C = 3;
  const model = buildMlp({ inputs: I, hidden: [], classes: C, seed: 7 });
  const art = buildTrainingArtifacts(model, {
    loss: { type: 'mse' },
    optimizer: { type: 'sgd', lr: 0.1 },
    clipGradNorm: 1e-3,
  });
  const sessions = new SessionManager({ device: 'cpu', intraOpThreads: 1 });
  try {
    const runner = new StepRunner(art, (n, b) => sessions.createSession(n, b), 0);
    const rng = new Rng(3);
    const x = Float32Array.from({ length: N * I }, () => rng.uniform(-1, 1));
    const t = Float32Array.from({ length: N * C }, () => rng.uniform(-1, 1));
    const W = Float64Array.from(runner.state.get('fc0.weight')!.data as Float32Array);
    const b = Float64Array.from(runner.state.get('fc0.bias')!.data as Float32Array);
    const batch = { inputs: { input: tensor('float32', [N, I], x) }, label: tensor('float32', [N, C], t) };
    const plain = await runner.runSteps([batch], [0.1]);
    assert.equal(plain.gradients, undefined, 'gradients are fetched only on request');
    runner.restore({ tensors: new Map(art.carried.map((c) => [c.input, c.init])), meta: {} });
    const r = await runner.runSteps([batch], [0.1], { gradients: true });
    const dW = new Float64Array(C * I);
    const db = new Float64Array(C);
    for (let n = 0; n < N; n++)
      for (let c = 0; c < C; c++) {
        let y = b[c];
        for (let i = 0; i < I; i++) y += x[n * I + i] * W[c * I + i];
        const d = (2 * (y - t[n * C + c])) / (N * C);
        db[c] += d;
        for (let i = 0; i < I; i++) dW[c * I + i] += d * x[n * I + i];
      }
    const got = r.gradients!;
    const close = (a: ArrayLike<number>, e: Float64Array) =>
      e.forEach((v, i) => assert.ok(Math.abs(a[i] - v) <= 1e-5 * Math.max(1, Math.abs(v)), `${a[i]} vs ${v}`));
    close(got.get('fc0.weight')!.data as Float32Array, dW);
    close(got.get('fc0.bias')!.data as Float32Array, db);
    assert.ok(
      Math.hypot(...dW, ...db) > 1e-3,
      'raw gradients are larger than the clipping threshold, so they were not clipped',
    );
  } finally {
    await sessions.close();
  }
});
