/**
 * NativeSplit, the DataSplit of image data: an evaluation split keeps its one loader open across
 * passes (validation after every epoch does not reopen it) and every pass yields the same batches;
 * a training split continues from epoch to epoch and reopens only at a cursor it did not stop at.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseExperiment, parseSystem } from '../../src/experiment/index.js';
import { createTrainingData, NativeSplit, type DataSplit, type TrainingData } from '../../src/datasets/index.js';
import { Trainer } from '../../src/trainer/trainer.js';
import { tempDir } from './fixtures.js';
// @ts-expect-error plain ESM script without types
import { makeShapes } from '../../scripts/make-shapes.mjs';

const t = tempDir('gymnos-native-split-');
test.after(() => t.cleanup());
const system = parseSystem({ cacheDir: 'cache', runsDir: 'runs' }, 'test', t.dir);

const config = (epochs: number) =>
  parseExperiment({
    experiment: { name: 'shapes' },
    dataset: {
      type: 'image_folder',
      path: 'shapes',
      size: [12, 12],
      split: { validation: 0.25, test: 0.25 },
      augment: [{ type: 'horizontalFlip' }],
    },
    model: { type: 'cnn', channels: [2], hidden: 4 },
    training: { epochs, batchSize: 4, evalBatchSize: 3, seed: 5, optimizer: { type: 'sgd', lr: 0.01 } },
  });

const data = (epochs: number) =>
  createTrainingData(config(epochs).dataset, {
    batchSize: 4,
    evalBatchSize: 3,
    seed: 5,
    dropLast: false,
    baseDir: t.dir,
    cacheDir: system.cacheDir,
  });

/** Every batch of one pass: labels and a digest of the features. */
async function pass(split: DataSplit, epoch = 0, from = 0): Promise<string[]> {
  const out: string[] = [];
  for await (const b of split.batches(epoch, from)) {
    const f = b.features.data as Float32Array;
    out.push(
      `${[...(b.target.data as BigInt64Array)].join(',')}|${f.length}|${f.reduce((a, x, i) => a + x * ((i % 7) + 1), 0).toFixed(3)}`,
    );
    b.release?.();
  }
  return out;
}

test('an evaluation split serves every pass from its one open loader, with the same batches', async () => {
  await makeShapes(join(t.dir, 'shapes'), { perClass: 8, size: 12, seed: 2 });
  const d = await data(1);
  try {
    const val = d.validation as NativeSplit;
    assert.ok(val instanceof NativeSplit);
    const first = await pass(val);
    assert.equal(first.length, val.batchCount);
    assert.ok(first.length > 1);
    for (let i = 0; i < 3; i++) assert.deepEqual(await pass(val), first);
    assert.equal(val.opens, 1);
    // a pass broken off early leaves the loader mid-epoch: the next full pass reopens it once, same batches
    for await (const b of val.batches(0, 0)) {
      b.release?.();
      break;
    }
    assert.deepEqual(await pass(val), first);
    assert.equal(val.opens, 2);
    // the training split continues across epochs without reopening; a cursor it did not stop at reopens
    const train = d.train as NativeSplit;
    const e0 = await pass(train, 0);
    const e1 = await pass(train, 1);
    assert.equal(train.opens, 1);
    assert.notDeepEqual(e1, e0, 'epoch 1 is reshuffled');
    assert.deepEqual(await pass(train, 1, 2), e1.slice(2));
    assert.equal(train.opens, 2);
  } finally {
    await d.close?.();
  }
});

test('the Trainer validates after every epoch without reopening the validation loader', async () => {
  const d: TrainingData = await data(3);
  const r = await new Trainer(config(3), {
    system,
    baseDir: t.dir,
    data: d,
    backend: 'null',
    inWorker: false,
    output: join(t.dir, 'run'),
  }).fit();
  assert.equal(r.status, 'completed');
  assert.equal(r.epochs, 3);
  assert.deepEqual(
    [(d.train as NativeSplit).opens, (d.validation as NativeSplit).opens, (d.test as NativeSplit).opens],
    [1, 1, 1],
  );
});
