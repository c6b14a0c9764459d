/**
 * Training on WebGPU matches training on the CPU. The MLP (with Dropout), the CNN (BatchNorm,
 * Dropout, max pooling) and a ResNet (depth 8: three basic blocks, two with a 1x1 projection
 * shortcut) start from the same weights and take the same SGD-with-momentum steps on the same
 * batches on `webgpu` and on `cpu`; every carried tensor (weights, momentum, BatchNorm running
 * statistics) is compared afterwards.
 *
 * Dropout stays on: its masks are an integer hash of (seed, step, node, element index) computed in
 * the graph, so both providers draw the same masks exactly (a different mask would move a weight by
 * the size of its whole update, far above the tolerance).
 *
 * Tolerance: |gpu - cpu| <= 2e-4 * max|update of that tensor| + 1e-6, per element. The GPU kernels
 * sum in a different order (tiled matmuls, tree reductions), so float32 results differ by a few
 * ulps per op (~1e-7 relative), amplified through a few layers, BatchNorm's division by the batch
 * standard deviation and 3 steps of momentum. Measured here: at most 4e-6 of the update (50x
 * below the tolerance). A
 * wrong kernel (a transposed weight, a missing term) is off by the order of the update itself.
 *
 * The CNN's batch of 6 is deliberate: its weight gradients are Convs with the batch as channels,
 * which ONNX Runtime 1.30's WebGPU Conv got wrong before src/sessions/webgpu-lowering.ts.
 *
 * Software Vulkan (lavapipe) is slow: the models and batches are tiny. See webgpu-gate.ts for when
 * this test runs, skips, or fails for a missing adapter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTrainingArtifacts, type TrainingArtifacts, type TrainingSpec } from '../../src/autodiff/artifacts.js';
import { StepRunner, type Batch } from '../../src/trainer/step-runner.js';
import { SessionManager } from '../../src/sessions/session-manager.js';
import { buildCnn, buildMlp } from '../../src/models/zoo/small.js';
import { zooModel } from '../../src/models/registry.js';
import type { Model } from '../../src/onnx/ir.js';
import { tensor, type Tensor } from '../../src/onnx/tensor.js';
import { Rng } from '../../src/util/rng.js';
import { assertWebgpu, webgpuGate } from './webgpu-gate.js';

const gate = await webgpuGate();
const STEPS = 3;
const RTOL = 2e-4;
const ATOL = 1e-6;
const spec: TrainingSpec = {
  loss: { type: 'softmax_cross_entropy', label_dtype: 'int32' },
  optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9 } as TrainingSpec['optimizer'],
};

function batches(inputDims: number[], classes: number, seed: number): Batch[] {
  const rng = new Rng(seed);
  const n = inputDims.reduce((p, d) => p * d, 1);
  return Array.from({ length: STEPS }, () => ({
    inputs: {
      input: tensor(
        'float32',
        inputDims,
        Float32Array.from({ length: n }, () => rng.uniform(-1, 1)),
      ),
    },
    label: tensor(
      'int32',
      [inputDims[0]],
      Int32Array.from({ length: inputDims[0] }, () => rng.int(classes)),
    ),
  }));
}

async function train(
  art: TrainingArtifacts,
  device: 'cpu' | 'webgpu',
  data: Batch[],
): Promise<{ state: Map<string, Tensor>; losses: number[] }> {
  const m = new SessionManager({ device, intraOpThreads: 1 }, { inWorker: false });
  const runner = new StepRunner(art, (name, bytes) => m.createSession(name, bytes), 5);
  try {
    const losses: number[] = [];
    for (const b of data) losses.push(...(await runner.runSteps([b], [0.1])).losses);
    return { state: new Map(runner.state), losses };
  } finally {
    await runner.close();
    await m.close();
  }
}

/** Worst error of `gpu` against `cpu`, in units of the tolerance (<= 1 passes), per carried tensor. */
function compare(
  art: TrainingArtifacts,
  cpu: Map<string, Tensor>,
  gpu: Map<string, Tensor>,
): { worst: number; name: string; relToUpdate: number } {
  let worst = { worst: 0, name: '', relToUpdate: 0 };
  for (const c of art.carried) {
    const a = cpu.get(c.input)!.data as Float32Array;
    const b = gpu.get(c.input)!.data as Float32Array;
    const init = c.init.data as Float32Array;
    assert.equal(b.length, a.length, `${c.input}: sizes differ`);
    let update = 0;
    for (let i = 0; i < a.length; i++) update = Math.max(update, Math.abs(a[i] - init[i]));
    for (let i = 0; i < a.length; i++) {
      const err = Math.abs(a[i] - b[i]);
      const units = err / (RTOL * update + ATOL);
      if (!(units <= worst.worst))
        worst = {
          worst: Number.isNaN(units) ? Infinity : units,
          name: `${c.input}[${i}]`,
          relToUpdate: update ? err / update : err,
        };
    }
  }
  return worst;
}

const models: Array<[string, () => Model, number[], number]> = [
  [
    'MLP (Gemm, ReLU, Dropout)',
    () => buildMlp({ inputs: 20, hidden: [16], classes: 5, dropout: 0.3, seed: 2 }),
    [8, 20],
    5,
  ],
  [
    'CNN (Conv, BatchNorm, ReLU, MaxPool, Dropout)',
    () =>
      buildCnn({ input: [1, 8, 8], channels: [4, 8], classes: 4, batchNorm: true, dropout: 0.25, hidden: 16, seed: 3 }),
    [6, 1, 8, 8],
    4,
  ],
  [
    'ResNet-8 (basic blocks, projection shortcuts, global pooling)',
    () =>
      zooModel('resnet')!.build(
        { depth: 8, width: 4, inputShape: [3, 8, 8], classes: 5 } as never,
        { seed: 4 } as never,
      ),
    [4, 3, 8, 8],
    5,
  ],
];

for (const [label, build, dims, classes] of models) {
  test(`webgpu trains ${label} to the same weights as the cpu`, { skip: gate.skip }, async (t) => {
    assertWebgpu(gate);
    const art = buildTrainingArtifacts(build(), spec);
    const data = batches(dims, classes, 9);
    const cpu = await train(art, 'cpu', data);
    const gpu = await train(art, 'webgpu', data);
    for (let i = 0; i < STEPS; i++)
      assert.ok(
        Math.abs(cpu.losses[i] - gpu.losses[i]) <= 1e-4 * Math.max(1, Math.abs(cpu.losses[i])),
        `loss of step ${i + 1}: cpu ${cpu.losses[i]}, webgpu ${gpu.losses[i]}`,
      );
    assert.ok(cpu.losses[STEPS - 1] !== cpu.losses[0], 'the steps changed the model');
    const w = compare(art, cpu.state, gpu.state);
    assert.ok(
      w.worst <= 1,
      `${w.name}: webgpu differs from cpu by ${w.relToUpdate.toExponential(2)} of the tensor's update (tolerance ${RTOL})`,
    );
    t.diagnostic(`worst difference ${w.relToUpdate.toExponential(2)} of the update (${w.name})`);
  });
}
