/**
 * Inputs that used to be accepted silently or answered with a misleading message: each now gives
 * a user error (or, for a batch larger than the data, a warning) that names the file, JSON path or
 * split, the numbers involved and the remedy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { DatasetManager } from '../../src/datasets/manager.js';
import { splitIndices } from '../../src/datasets/split.js';
import { parseExperiment } from '../../src/experiment/index.js';
import { checkBatching } from '../../src/trainer/setup.js';
import { Trainer } from '../../src/trainer/trainer.js';
import { tempDir, imageFolder } from './fixtures.js';

const t = tempDir('gymnos-messages-');
test.after(t.cleanup);
const cacheDir = t.path('cache');
const prepare = (spec: unknown) => new DatasetManager().prepare(spec, { cacheDir });
const userError =
  (message: RegExp | string, code = 'ERR_DATASET') =>
  (e: Error) => {
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    assert.equal((e as { code?: string }).code, code);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  };

test('an image folder too small to leave training images names the split, the counts and the remedy', async () => {
  const root = t.path('tiny');
  await imageFolder(root, ['a', 'b', 'c'], 1);
  // stratified rounding: one test image per class of one takes every image
  await assert.rejects(
    prepare({ type: 'image_folder', path: root, split: { test: 0.5, stratify: true } }),
    userError(
      "dataset.split asks for validation 0 (0 samples) and test 0.5 (2 samples); stratified per class (3 classes of 1, 1, 1 samples), rounding leaves no training samples out of the dataset's 3; lower dataset.split.validation or dataset.split.test, set dataset.split.stratify to false, or add samples",
    ),
  );
  await assert.rejects(
    prepare({ type: 'image_folder', path: root, split: { validation: 1, test: 2 } }),
    userError(
      "dataset.split asks for validation 1 (1 samples) and test 2 (2 samples), which leaves no training samples out of the dataset's 3; lower dataset.split.validation or dataset.split.test, or add samples",
    ),
  );
  assert.throws(
    () => splitIndices(4, { validation: 2, test: 2 }),
    userError(/leaves no training samples out of the dataset's 4/),
  );
});

test('validation + test fractions summing to 1 or more are a config error naming dataset.split', () => {
  const cfg = (split: object) => ({ dataset: { type: 'iris', split }, model: { type: 'mlp' } });
  assert.throws(
    () => parseExperiment(cfg({ validation: 0.5, test: 0.6 }), 'e.json'),
    userError(
      'e.json: expected fractions summing to less than 1 for dataset.split.validation and dataset.split.test but got 0.5 + 0.6 = 1.1, which leaves no training samples; lower one of them',
      'ERR_CONFIG',
    ),
  );
  assert.throws(
    () => parseExperiment(cfg({ validation: 0.5, test: 0.5 }), 'e.json'),
    userError(/got 0\.5 \+ 0\.5 = 1,/, 'ERR_CONFIG'),
  );
  parseExperiment(cfg({ validation: 0.4, test: 0.5 }), 'e.json');
});

test('a one-row CSV is told it has too few rows, not that a classifier needs two classes', async () => {
  const path = t.path('one.csv');
  writeFileSync(path, 'x,y\n1,2.5\n');
  await assert.rejects(
    prepare({ type: 'csv', path, label: 'y' }),
    userError(
      /^dataset .* has only one sample: too few rows to split into training, validation and test parts; add samples$/,
    ),
  );
});

test('duplicate CSV column names: the file, the column and both positions', async () => {
  const path = t.path('dup.csv');
  writeFileSync(path, 'a,label,b,a\n1,x,2,3\n4,y,5,6\n');
  await assert.rejects(
    prepare({ type: 'csv', path, label: 'label' }),
    userError(`${path}:1: the header names column 'a' twice (columns 1 and 4); rename one of them`),
  );
});

test('a truncated or corrupt Arrow file is named as such, with no internal text', async () => {
  const table = tableFromArrays({
    a: Float32Array.from({ length: 64 }, (_, i) => i),
    b: Float32Array.from({ length: 64 }, (_, i) => -i),
    label: Int32Array.from({ length: 64 }, (_, i) => i % 2),
  });
  const bytes = tableToIPC(table, 'file');
  const good = t.path('good.arrow');
  writeFileSync(good, bytes);
  const ok = await prepare({ type: 'arrow', path: good, features: ['a', 'b'], label: 'label' });
  assert.equal(ok.meta.count, 64);
  for (const cut of [bytes.length - 1, Math.floor(bytes.length / 2), 20]) {
    const path = t.path(`cut${cut}.arrow`);
    writeFileSync(path, bytes.subarray(0, cut));
    await assert.rejects(
      prepare({ type: 'arrow', path, features: ['a', 'b'], label: 'label' }),
      userError(
        `'${path}' is truncated (${cut} bytes, and no Arrow footer at its end); export it again (pyarrow.feather.write_feather(table, path, compression="uncompressed"))`,
      ),
    );
  }
  // a stream cut inside its schema message
  const stream = tableToIPC(table, 'stream');
  const path = t.path('cut.arrows');
  writeFileSync(path, stream.subarray(0, 40));
  await assert.rejects(
    prepare({ type: 'arrow', path, features: ['a', 'b'], label: 'label' }),
    userError(
      /^'.*cut\.arrows' is truncated or corrupt \(not a readable Arrow IPC or Feather v2 file: message 1 \(at byte 0\) claims \d+ bytes of metadata, beyond the end of the data\); export it again/,
    ),
  );
});

test('absurd learning rates and thread counts are config errors with the allowed range', () => {
  const cfg = {
    dataset: { type: 'iris' },
    model: { type: 'mlp' },
    training: { optimizer: { type: 'sgd', lr: 1e10 } },
    session: { intraOpThreads: 1000 },
  };
  assert.throws(
    () => parseExperiment(cfg, 'e.json'),
    (e: Error) => {
      assert.equal((e as { code?: string }).code, 'ERR_CONFIG');
      assert.match(
        e.message,
        /expected a learning rate <= 10 for training\.optimizer\.lr but got 10000000000; such a rate diverges \(typical rates: 1e-4 to 1e-1; did you mean 1e-10\?\)/,
      );
      assert.match(
        e.message,
        /expected an integer of at most 256 for session\.intraOpThreads but got 1000 \(this machine has \d+ logical CPUs/,
      );
      return true;
    },
  );
  parseExperiment(
    { ...cfg, training: { optimizer: { type: 'sgd', lr: 10 } }, session: { intraOpThreads: 256 } },
    'e.json',
  );
});

test('a batch larger than the training split: a warning (one smaller batch, as Keras does), an error when nothing would train', () => {
  const base = { batchSize: 200, dropLast: false, stepsPerRun: 1, gradientAccumulation: 1 };
  assert.deepEqual(checkBatching({ ...base, batchSize: 100 }, 105), []);
  assert.deepEqual(checkBatching(base, 105), [
    'training.batchSize is 200 but the training split has only 105 samples: each epoch is one batch of 105 (as in Keras and PyTorch Lightning); lower training.batchSize to silence this',
  ]);
  assert.throws(
    () => checkBatching({ ...base, dropLast: true }, 105),
    userError(
      'experiment: training.batchSize is 200 but the training split has only 105 samples, and training.dropLast drops the incomplete batch: no step would run; lower training.batchSize to at most 105, set training.dropLast to false or use more data',
      'ERR_CONFIG',
    ),
  );
  assert.throws(
    () => checkBatching({ ...base, batchSize: 30, stepsPerRun: 4 }, 105),
    userError(
      /training\.stepsPerRun \(4\) runs only whole groups of 120 samples: no step would run; lower training\.batchSize to at most 26, lower training\.stepsPerRun or use more data$/,
      'ERR_CONFIG',
    ),
  );
});

test('the trainer refuses a dropLast batch larger than the data before writing a model', async () => {
  const cfg = parseExperiment(
    {
      dataset: { type: 'iris' },
      model: { type: 'mlp', hidden: [4] },
      training: { epochs: 1, batchSize: 500, dropLast: true },
    },
    'e.json',
  );
  const output = t.path('run-droplast');
  await assert.rejects(
    new Trainer(cfg, { output, backend: 'null' }).fit(),
    userError(/training\.batchSize is 500 but the training split has only 105 samples/, 'ERR_CONFIG'),
  );
});
