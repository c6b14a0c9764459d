/**
 * Exports say who made them and what they return; a Gymnos export with baked preprocessing reloads with those constants
 * frozen.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveModel } from '../../src/onnx/io.js';
import { buildMlp, buildCnn } from '../../src/models/zoo/small.js';
import { bakePreprocessing } from '../../src/datasets/preprocess/bake.js';
import { ModelManager } from '../../src/models/model-manager.js';
import { selectParameters } from '../../src/autodiff/trainable.js';
import { buildTrainingArtifacts, exportInference, initialState } from '../../src/autodiff/artifacts.js';
import { GYMNOS_VERSION } from '../../src/util/version.js';

const dir = mkdtempSync(join(tmpdir(), 'gymnos-meta-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a reloaded Gymnos export keeps its baked preprocessing constants frozen', () => {
  const mlp = buildMlp({ inputs: 3, hidden: [4], classes: 2 });
  const baked = bakePreprocessing(
    mlp,
    [{ type: 'standardize', mean: [0.5, 1, -2], std: [2, 3, 4] } as never],
    mlp.graph.inputs[0].name,
  );
  const constants = [...baked.graph.initializers.keys()].filter((n) => n.startsWith('preprocess/'));
  assert.ok(constants.length > 0);
  // without the metadata they would look like weights
  assert.ok(
    constants.some((c) => selectParameters(baked.graph).trainable.includes(c)),
    'the test needs a constant that looks trainable',
  );
  const p = join(dir, 'baked.onnx');
  saveModel(baked, p);
  const loaded = new ModelManager().load({ type: 'onnx', path: p }, { seed: 0 });
  const split = selectParameters(loaded.model.graph, loaded.trainable);
  for (const c of constants) assert.ok(!split.trainable.includes(c), `${c} must stay frozen`);
  assert.deepEqual(split.trainable.sort(), selectParameters(mlp.graph).trainable.sort());
});

test("exports carry Gymnos's producer name and version (equal to package.json), zoo outputs declare their rank", () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.equal(GYMNOS_VERSION, pkg.version);
  const cnn = buildCnn({ input: [1, 8, 8], channels: [4], classes: 10 });
  assert.deepEqual(cnn.graph.outputs[0].shape, ['N', 10]);
  const foreign = { ...cnn, producerName: 'pytorch', producerVersion: '1.13.1' };
  const art = buildTrainingArtifacts(foreign, {
    loss: { type: 'softmax_cross_entropy' },
    optimizer: { type: 'sgd', lr: 0.1 },
  });
  const out = exportInference(art, initialState(art));
  assert.equal(out.producerName, 'gymnos');
  assert.equal(out.producerVersion, pkg.version);
});
