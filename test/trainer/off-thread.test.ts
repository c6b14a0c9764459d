import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTrainingArtifacts } from '../../src/autodiff/artifacts.js';
import { buildTrainingArtifactsOffThread } from '../../src/autodiff/off-thread.js';
import { encodeModel } from '../../src/onnx/io.js';
import { buildCnn } from '../../src/models/zoo/small.js';
import { isUserError } from '../../src/cli/errors.js';

const model = buildCnn({ input: [1, 8, 8], channels: [8], classes: 10, batchNorm: true, dropout: 0.1, seed: 2 });
const spec = { loss: { type: 'softmax_cross_entropy' }, optimizer: { type: 'adam', lr: 1e-3 }, accumulation: true };

test('artifacts built in a worker thread equal those built in place', async () => {
  const here = buildTrainingArtifacts(model, spec);
  const there = await buildTrainingArtifactsOffThread(model, spec);
  assert.deepEqual(encodeModel(there.trainStep), encodeModel(here.trainStep));
  assert.deepEqual(encodeModel(there.evalStep), encodeModel(here.evalStep));
  assert.deepEqual(encodeModel(there.accumulation!.applyStep), encodeModel(here.accumulation!.applyStep));
  assert.deepEqual(
    there.carried.map((c) => [c.input, c.output, c.kind, Array.from(c.init.data as Float32Array)]),
    here.carried.map((c) => [c.input, c.output, c.kind, Array.from(c.init.data as Float32Array)]),
  );
});

test('the event loop runs while the worker builds', async () => {
  let ranWhileBuilding = false;
  let done = false;
  setImmediate(() => {
    ranWhileBuilding = !done;
  });
  await buildTrainingArtifactsOffThread(model, spec);
  done = true;
  assert.ok(ranWhileBuilding, 'a setImmediate callback queued before the build should run before it finishes');
});

test('errors from the worker keep their message and code (user errors stay user errors)', async () => {
  await assert.rejects(
    () => buildTrainingArtifactsOffThread(model, { ...spec, trainable: { freeze: ['nothing*'] } }),
    (e: Error) => /pattern 'nothing\*' matches no parameter/.test(e.message) && isUserError(e),
  );
  await assert.rejects(
    () => buildTrainingArtifactsOffThread(model, { ...spec, optimizer: { type: 'adamm' } }),
    /expected one of .*'adam'.* for training\.optimizer\.type but got 'adamm'/,
  );
});
