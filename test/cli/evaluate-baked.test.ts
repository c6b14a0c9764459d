/** `gymnosd evaluate` refuses a model with baked preprocessing when it would feed preprocessed data. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureCli } from './capture.js';
import { loadModel } from '../../src/onnx/io.js';
import { BAKED_PREPROCESSING_KEY } from '../../src/datasets/preprocess/bake.js';

test('a run whose model.onnx bakes standardize: the run directory evaluates, the bare file is refused with the remedy', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gymnos-eval-baked-'));
  try {
    const exp = join(dir, 'exp.json');
    writeFileSync(
      exp,
      JSON.stringify({
        experiment: { name: 'baked' },
        dataset: { type: 'iris', split: { test: 0.2, validation: 0 }, preprocess: [{ type: 'standardize' }] },
        model: { type: 'mlp', hidden: [8] },
        training: { epochs: 2, batchSize: 16, seed: 1, optimizer: { type: 'adam', lr: 0.01 } },
      }),
    );
    writeFileSync(join(dir, 'logging.json'), JSON.stringify({ console: { level: 'silent' } }));
    const out = join(dir, 'run');
    const r = await captureCli(['train', exp, '--output', out, '--logging', join(dir, 'logging.json')]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(loadModel(join(out, 'model.onnx')).metadata[BAKED_PREPROCESSING_KEY]), ['standardize']);
    const ok = await captureCli(['evaluate', out]);
    assert.equal(ok.code, 0, ok.err);
    const refused = await captureCli(['evaluate', join(out, 'model.onnx'), '--data', exp]);
    assert.equal(refused.code, 2);
    assert.match(
      refused.err,
      /has its preprocessing baked in \(standardize\): it takes raw inputs.*evaluate the run directory instead/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
