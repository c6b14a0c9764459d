/**
 * Exported graphs as they come: each exporter-shaped graph (see exporters.ts) gives the same
 * outputs in ONNX Runtime before and after conversion, loads through the ModelManager from a file
 * (external data for one), fine-tunes a few steps with falling loss (new heads, freezing, trainLast,
 * per-group learning rates), and its inference export runs in a fresh InferenceSession.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { ModelManager, type ModelSpec } from '../../src/models/model-manager.js';
import { encodeModel, saveModel } from '../../src/onnx/io.js';
import { canonicalize } from '../../src/onnx/opset.js';
import { cloneModel } from '../../src/onnx/clone.js';
import type { Model } from '../../src/onnx/ir.js';
import { randomBatch, sessions, trainSteps } from './helpers.js';
import { torchOpset9Cnn, torchOpset13Mlp, tf2onnxOpset13Cnn, paddleOpset17, torchOpset18Encoder } from './exporters.js';

const s = sessions();
const dir = mkdtempSync(join(tmpdir(), 'gymnos-exporters-'));
after(async () => {
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function ortRun(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

const toOrt = (t: { dtype: string; dims: number[]; data: unknown }) =>
  new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, t.dims);

interface Case {
  build: () => Model;
  spec: Omit<ModelSpec, 'type' | 'path'>;
  data: { inputShape: number[]; numClasses: number };
  external?: boolean;
  /** Whether the export's output is the trained logits (else probabilities or log-probabilities). */
  exportIsLogits: boolean;
  lr?: number;
  /** Required loss ratio last/first (default 0.8). */
  fall?: number;
  check?: (frozen: string[], trainable: string[]) => void;
}

const CASES: Record<string, Case> = {
  'torch.onnx opset 9 CNN (Pad/Clip/Slice/Dropout attributes, BN inference form, LogSoftmax, initializers as inputs), new 4-class head':
    {
      build: torchOpset9Cnn,
      spec: { headReplace: { classes: 4 } },
      data: { inputShape: [1, 8, 8], numClasses: 4 },
      exportIsLogits: false,
      check: (_f, t) => assert.ok(t.includes('head.weight') && t.includes('conv1.weight')),
    },
  'torch.onnx opset 13 MLP (Constant weights, decomposed LayerNorm, HardSigmoid, Gemm transB), fc1 frozen': {
    build: torchOpset13Mlp,
    spec: { freeze: ['fc1.*'] },
    data: { inputShape: [12], numClasses: 5 },
    exportIsLogits: true,
    lr: 0.05,
    check: (f, t) => {
      assert.deepEqual(f, ['fc1.weight', 'fc1.bias']);
      assert.deepEqual(t, ['ln.weight', 'ln.bias', 'fc2.weight', 'fc2.bias']);
    },
  },
  'tf2onnx opset 13 NHWC CNN (Transposes around Conv, MatMul + Add, Softmax), new 3-class head, conv at 0.1x lr': {
    build: tf2onnxOpset13Cnn,
    spec: {
      headReplace: { classes: 3, init: 'kaiming_uniform' },
      paramGroups: [{ params: ['sequential/conv2d/*'], lrScale: 0.1 }],
    },
    data: { inputShape: [8, 8, 1], numClasses: 3 },
    exportIsLogits: false,
  },
  'paddle2onnx opset 17 (Clip ReLU6, depthwise Conv, HardSwish, ReduceMean axes attribute), external data, last 2 layers train':
    {
      build: paddleOpset17,
      spec: { trainLast: 2 },
      data: { inputShape: [3, 8, 8], numClasses: 4 },
      external: true,
      exportIsLogits: true,
      lr: 0.05,
      // only the depthwise conv and the linear layer train, on 8 pooled features and random labels
      fall: 0.9,
      check: (_f, t) => assert.deepEqual(t, ['conv2d_1.w_0', 'conv2d_1.b_0', 'linear_0.w_0', 'linear_0.b_0']),
    },
  'torch.onnx opset 18 Transformer layer (LayerNormalization, MatMul + Add, Erf GELU, ReduceMean axes input), classifier at 10x lr':
    {
      build: torchOpset18Encoder,
      spec: { paramGroups: [{ params: ['classifier.*'], lrScale: 10 }] },
      data: { inputShape: [6, 8], numClasses: 3 },
      exportIsLogits: true,
    },
};

for (const [name, c] of Object.entries(CASES)) {
  test(name, async () => {
    const original = c.build();
    // 1. conversion keeps the exported graph's outputs (ONNX Runtime runs both)
    const x = randomBatch(canonicalize(cloneModel(original)), 3, 2, 1).inputs;
    const inName = Object.keys(x)[0];
    const before = await ortRun(encodeModel(original), { [inName]: toOrt(x[inName]) });
    const after_ = await ortRun(encodeModel(canonicalize(cloneModel(original))), { [inName]: toOrt(x[inName]) });
    const outName = original.graph.outputs[0].name;
    const [b, a] = [before[outName].data as Float32Array, after_[outName].data as Float32Array];
    for (let i = 0; i < b.length; i++)
      assert.ok(
        Math.abs(a[i] - b[i]) <= 1e-5 * Math.max(1, Math.abs(b[i])),
        `converted output differs at ${i}: ${a[i]} vs ${b[i]}`,
      );

    // 2. load from a file through the ModelManager
    const file = join(dir, `${name.split(' ')[0]}-${Object.keys(CASES).indexOf(name)}.onnx`);
    saveModel(original, file, c.external ? { externalThreshold: 64 } : {});
    if (c.external)
      assert.ok(
        readdirSync(dir).some(
          (f) => f !== file.split('/').pop() && f.startsWith(file.split('/').pop()!.replace('.onnx', '')),
        ),
        'external data file written',
      );
    const loaded = new ModelManager().load({ type: 'onnx', path: file, ...c.spec }, { seed: 4, datasetInfo: c.data });

    // 3. fine-tune a few steps on a fixed batch
    const batch = randomBatch(loaded.model, 16, c.data.numClasses, 9);
    const { art, runner, losses } = await trainSteps(
      loaded.model,
      {
        output: loaded.output,
        inputs: loaded.inputs,
        trainable: loaded.trainable,
        paramGroups: loaded.paramGroups,
        loss: { type: 'softmax_cross_entropy' },
        optimizer: { type: 'adam', lr: c.lr ?? 0.01 },
      },
      batch,
      10,
      s.factory,
    );
    c.check?.(art.frozen, art.trainable);
    assert.ok(
      losses[losses.length - 1] < (c.fall ?? 0.8) * losses[0],
      `loss should fall: ${losses.map((l) => l.toFixed(3)).join(' ')}`,
    );

    // 4. the export runs in a fresh InferenceSession and agrees with the eval graph
    const exported = runner.exportModel();
    for (const f of art.frozen)
      assert.deepEqual(
        exported.graph.initializers.get(f)!.data,
        loaded.model.graph.initializers.get(f)!.data,
        `frozen ${f} changed`,
      );
    const ev = await runner.evaluate(batch);
    const out = await ortRun(encodeModel(exported), { [inName]: toOrt(batch.inputs[inName]) });
    const got = out[outName];
    assert.deepEqual(got.dims, [16, c.data.numClasses]);
    const want = ev.prediction.data as Float32Array;
    const y = got.data as Float32Array;
    if (c.exportIsLogits) {
      for (let i = 0; i < want.length; i++)
        assert.ok(Math.abs(y[i] - want[i]) <= 1e-4 * Math.max(1, Math.abs(want[i])), `export differs at ${i}`);
    } else {
      // probabilities or log-probabilities of the trained logits: the same argmax per row
      const k = c.data.numClasses;
      const argmax = (v: Float32Array, r: number) => {
        let best = 0;
        for (let j = 1; j < k; j++) if (v[r * k + j] > v[r * k + best]) best = j;
        return best;
      };
      for (let r = 0; r < 16; r++) assert.equal(argmax(y, r), argmax(want, r), `row ${r}`);
    }
    await runner.close();
  });
}
