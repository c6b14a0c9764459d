/**
 * Shared set-up for callback tests: iris on the null backend (no ONNX Runtime, milliseconds) with
 * scripted outputs. Every carried output (weights, optimizer state) of the train step is filled
 * with 1000 + the step number, so a weight tensor says which step produced it; the validation loss
 * is a scripted function of that step, so it survives resume; the train loss can be scripted per
 * step. iris: 90 training samples in batches of 16 -> 6 steps per epoch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseExperiment } from '../../src/experiment/index.js';
import { Trainer, type TrainerOptions } from '../../src/trainer/trainer.js';
import { CallbackProvider } from '../../src/callbacks/provider.js';
import type { TrainerEvent } from '../../src/trainer/events.js';
import { tensor, type Tensor } from '../../src/onnx/tensor.js';
import type { NullOutputFn } from '../../src/sessions/null-backend.js';

export const STEPS_PER_EPOCH = 6;
export const WEIGHT_BASE = 1000;

export function tempDir(prefix: string): () => string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  test.after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  return () => join(dir, `run-${n++}`);
}

export const cfg = (training: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  parseExperiment({
    experiment: { name: 'callbacks' },
    dataset: { type: 'iris', split: { validation: 0.2, test: 0.2 } },
    model: { type: 'mlp', hidden: [4] },
    training: { epochs: 6, batchSize: 16, optimizer: { type: 'sgd', lr: 0.1 }, ...training },
    ...extra,
  });

/** The step that produced the weights fed to an eval run (0 before any training). */
export function weightStep(feeds: Record<string, Tensor>): number {
  let best = 0;
  for (const [k, t] of Object.entries(feeds)) {
    if (k.startsWith('gymnos.') || t.dtype !== 'float32' || !t.data.length) continue;
    const v = Number(t.data[0]);
    if (v >= WEIGHT_BASE) best = Math.max(best, v - WEIGHT_BASE);
  }
  return best;
}

export interface Script {
  /** Validation loss after epoch e (0-based), i.e. of weights from step 6(e+1). */
  valLoss?: (epoch: number) => number;
  /** Train loss at step s (1-based). */
  trainLoss?: (step: number) => number;
}

/** Null-backend options whose outputs follow `script`. */
export function scripted(script: Script): TrainerOptions {
  const fn: NullOutputFn = (feeds, ctx) => {
    const label = feeds['gymnos.label'];
    const dims = (ctx.info.shape ?? []).map((d) => (typeof d === 'number' ? d : (label?.dims[0] ?? 1)));
    const t = tensor(ctx.info.dtype as 'float32', dims);
    const training = 'gymnos.step' in feeds;
    const step = training ? Number((feeds['gymnos.step'].data as BigInt64Array)[0]) : 0;
    let v = 0;
    if (ctx.info.name === 'gymnos.loss')
      v = training ? (script.trainLoss?.(step) ?? 1) : (script.valLoss?.(weightStep(feeds) / STEPS_PER_EPOCH - 1) ?? 1);
    else if (training && ctx.info.name !== 'gymnos.grad_norm' && !isPrediction(ctx.info.shape)) v = WEIGHT_BASE + step;
    if (t.dtype === 'int64') (t.data as BigInt64Array).fill(BigInt(Math.round(v)));
    else (t.data as Float32Array).fill(v);
    return t;
  };
  return { backend: 'null', inWorker: false, backendOptions: { outputs: new Proxy({}, { get: () => fn }) } };
}

const isPrediction = (shape?: ReadonlyArray<unknown>) => !!shape?.some((d) => typeof d !== 'number');

export async function fit(config: ReturnType<typeof cfg>, opts: TrainerOptions) {
  const events: TrainerEvent[] = [];
  const trainer = new Trainer(config, {
    callbackSource: CallbackProvider,
    ...opts,
    onEvent: (e) => {
      events.push(e);
      opts.onEvent?.(e);
    },
  });
  return { result: await trainer.fit(), events };
}

/** Events of one type. */
export const only = <K extends TrainerEvent['type']>(events: TrainerEvent[], type: K) =>
  events.filter((e) => e.type === type) as Array<Extract<TrainerEvent, { type: K }>>;

/** A scripted epochEnd event of `epoch` (1-based) for unit tests of a callback. */
export function epochEnd(
  epoch: number,
  train: Record<string, number>,
  validation?: Record<string, number>,
  lr = 0.1,
): Extract<TrainerEvent, { type: 'epochEnd' }> {
  return {
    type: 'epochEnd',
    epoch,
    epochs: 6,
    step: epoch * STEPS_PER_EPOCH,
    lr,
    train,
    validation,
    seconds: 0,
    sessionSeconds: 0,
    samples: 90,
  };
}
