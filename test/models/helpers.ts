/** Shared helpers of the model tests: sessions, random batches, a few training steps. */
import { buildTrainingArtifacts, type TrainingSpec } from '../../src/autodiff/artifacts.js';
import { StepRunner, type Batch, type SessionFactory } from '../../src/trainer/step-runner.js';
import { SessionManager } from '../../src/sessions/session-manager.js';
import type { Model } from '../../src/onnx/ir.js';
import { tensor, sizeOf, type Tensor } from '../../src/onnx/tensor.js';
import { Rng } from '../../src/util/rng.js';

/** One in-process SessionManager (no worker: the tests are short) shared by a test file. */
export function sessions(): { factory: SessionFactory; close(): Promise<void> } {
  const m = new SessionManager({ device: 'cpu', intraOpThreads: 1 }, { inWorker: false });
  let k = 0;
  return { factory: (name, bytes) => m.createSession(`${name}-${k++}`, bytes), close: () => m.close() };
}

/** A random batch for a model's first input: floats in [-1, 1] or ids in [0, vocab). */
export function randomBatch(model: Model, n: number, classes: number, seed: number, vocab = 2, input?: string): Batch {
  const rng = new Rng(seed);
  const v = input ? model.graph.inputs.find((i) => i.name === input)! : model.graph.inputs[0];
  const dims = v.shape!.map((d, i) => (typeof d === 'number' ? d : i === 0 ? n : NaN));
  const count = sizeOf(dims);
  const x: Tensor =
    v.dtype === 'int64'
      ? tensor(
          'int64',
          dims,
          BigInt64Array.from({ length: count }, () => BigInt(rng.int(vocab))),
        )
      : tensor(
          'float32',
          dims,
          Float32Array.from({ length: count }, () => rng.uniform(-1, 1)),
        );
  const label = tensor(
    'int64',
    [n],
    BigInt64Array.from({ length: n }, () => BigInt(rng.int(classes))),
  );
  return { inputs: { [v.name]: x }, label };
}

/** Builds artifacts and runs `steps` steps on one fixed batch; returns the losses and the runner. */
export async function trainSteps(
  model: Model,
  spec: TrainingSpec,
  batch: Batch,
  steps: number,
  factory: SessionFactory,
  lr?: number,
) {
  const art = buildTrainingArtifacts(model, spec);
  const runner = new StepRunner(art, factory, 7);
  const losses: number[] = [];
  const rate = lr ?? (spec.optimizer as unknown as { lr: number }).lr;
  for (let i = 0; i < steps; i++) losses.push((await runner.runSteps([batch], [rate])).losses[0]);
  return { art, runner, losses };
}
