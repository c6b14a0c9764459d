/**
 * Does the trainer ever wait for data? The native loader streams an MNIST-shaped Arrow file
 * (28x28x1 uint8, random crop with padding + normalize) into the MLP and CNN train steps of
 * bench/train-step.ts, run through the SessionManager's worker thread. Reports the time spent
 * awaiting `next()` as a share of the epoch (target: under 5%).
 *
 *   node --import tsx bench/data-wait.ts [--images 6400] [--threads 1]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Field,
  FixedSizeList,
  Int32,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Uint8,
  makeData,
  tableToIPC,
} from 'apache-arrow';
import { NativeLoader } from '../src/native/loader.js';
import { buildTrainingArtifacts } from '../src/autodiff/artifacts.js';
import { StepRunner } from '../src/trainer/step-runner.js';
import { SessionManager } from '../src/sessions/session-manager.js';
import { buildMlp } from '../src/models/zoo/small.js';
import { lenetLike } from './train-step.js';
import type { Model } from '../src/onnx/ir.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};

function writeMnistLike(path: string, rows: number): void {
  const width = 28 * 28;
  const img = new FixedSizeList(width, new Field('item', new Uint8(), false));
  const schema = new Schema([
    new Field('image', img, false, new Map([['gymnos.shape', '[28,28,1]']])),
    new Field('label', new Int32(), false),
  ]);
  const px = new Uint8Array(rows * width);
  let x = 12345;
  for (let i = 0; i < px.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    px[i] = x >>> 24;
  }
  const labels = Int32Array.from({ length: rows }, (_, i) => i % 10);
  const batch = new RecordBatch(
    schema,
    makeData({
      type: new Struct(schema.fields),
      length: rows,
      nullCount: 0,
      children: [
        makeData({
          type: img,
          length: rows,
          nullCount: 0,
          child: makeData({ type: new Uint8(), length: rows * width, data: px }),
        }),
        makeData({ type: new Int32(), length: rows, nullCount: 0, data: labels }),
      ],
    }),
  );
  writeFileSync(path, tableToIPC(new Table(schema, [batch]), 'file'));
}

export interface DataWaitResult {
  workload: string;
  batch: number;
  epochMs: number;
  waitMs: number;
  waitShare: number;
  stepMs: number;
}

async function measure(
  workload: string,
  model: Model,
  flat: boolean,
  file: string,
  batch: number,
  threads: number,
): Promise<DataWaitResult> {
  const art = buildTrainingArtifacts(model, {
    loss: { type: 'softmax_cross_entropy', label_dtype: 'int32' },
    optimizer: { type: 'adam', lr: 1e-3 },
  });
  const sessions = new SessionManager({ device: 'cpu', intraOpThreads: 1 });
  const runner = new StepRunner(art, (n, b) => sessions.createSession(n, b), 0);
  await runner.open();
  // one loader for the whole run, as the trainer keeps it: it prefetches across epoch boundaries;
  // epoch 0 warms up, epoch 1 is measured
  const loader = NativeLoader.open({
    path: file,
    batchSize: batch,
    dropLast: true,
    seed: 1,
    threads,
    epochs: 2,
    data: {
      kind: 'image',
      column: 'image',
      transforms: [
        { type: 'randomCrop', size: 28, padding: 2 },
        { type: 'toFloat' },
        { type: 'normalize', mean: [0.5], std: [0.25] },
      ],
    },
    label: { column: 'label' },
  });
  let wait = 0;
  let step = 0;
  let t0 = 0;
  for (;;) {
    const w0 = performance.now();
    const b = await loader.next();
    const waited = performance.now() - w0;
    if (!b) break;
    if (b.epoch === 1 && b.index === 0) t0 = w0;
    if (b.epoch === 1) wait += waited;
    const dims = flat ? [b.size, 784] : b.shape;
    const s0 = performance.now();
    await runner.runSteps(
      [
        {
          inputs: { input: { dtype: 'float32', dims, data: b.data } },
          label: { dtype: 'int32', dims: [b.size], data: b.labels as Int32Array },
        },
      ],
      [1e-3],
    );
    if (b.epoch === 1) step += performance.now() - s0;
    b.release();
  }
  const result = { epochMs: performance.now() - t0, waitMs: wait, stepMs: step };
  loader.close();
  await runner.close();
  await sessions.close();
  return { workload, batch, ...result, waitShare: result.waitMs / result.epochMs };
}

export async function benchDataWait(images = 6400, threads = 1): Promise<DataWaitResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'gymnos-wait-'));
  try {
    const file = join(dir, 'mnist-like.arrow');
    writeMnistLike(file, images);
    return [
      await measure(
        'MLP 784-256-128-10',
        buildMlp({ inputs: 784, hidden: [256, 128], classes: 10 }),
        true,
        file,
        128,
        threads,
      ),
      await measure('LeNet-style CNN', lenetLike(), false, file, 64, threads),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export { writeMnistLike };
if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await benchDataWait(arg('images', 6400), arg('threads', 1))) {
    console.log(
      `${r.workload}, batch ${r.batch}: epoch ${r.epochMs.toFixed(0)} ms, awaiting next() ${r.waitMs.toFixed(1)} ms (${(100 * r.waitShare).toFixed(2)}%), train steps ${r.stepMs.toFixed(0)} ms`,
    );
  }
}
