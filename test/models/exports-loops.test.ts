/**
 * Loops that are static once shapes are known (test/fixtures/exports): a torch.jit.script Python
 * loop over the time axis (an ONNX Loop whose trip count is Shape(x)[1]), trained once the time
 * axis is pinned with inputShapes, and an onnx.helper Scan over time with its weights inside the
 * body, reverse input and output directions. Both are unrolled; one SGD step matches PyTorch's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { checkAgainstTorch, FIXTURES } from './torch-reference.js';
import { checkModelFile } from '../../src/models/inspect.js';
import { ModelManager } from '../../src/models/model-manager.js';

const LOOP = join(FIXTURES, 'loop-shape', 'model.onnx');

test('Loop with a trip count from Shape(x)[1]: with the time axis pinned it unrolls and matches PyTorch', async () => {
  const r = await checkAgainstTorch('loop-shape', { model: { inputShapes: { x: [null, 5, 4] } }, batchSizes: [2, 6] });
  assert.deepEqual(
    r.reference.moreBatches?.map((b) => b.target.dims[0]),
    [2],
  ); // stepped at batch 4 and 2
  assert.ok(r.maxRelError.rel <= 1e-5);
});

test('the same Loop with a symbolic time axis stays a Loop, and check names it and the pin that fixes it', () => {
  const report = checkModelFile(LOOP);
  assert.equal(report.trainable, false);
  const loop = report.unsupported.find((u) => u.op === 'Loop');
  assert.ok(loop, JSON.stringify(report.unsupported));
  assert.ok(
    report.warnings.some((w) =>
      /Loop node '\/Loop' stays a loop: its trip count '.*' is not known before training.*inputShapes/.test(w),
    ),
    report.warnings.join('\n'),
  );
  const pinned = checkModelFile(LOOP, {}, { x: [null, 5, 4] });
  assert.equal(pinned.trainable, true, JSON.stringify([pinned.unsupported, pinned.problems]));
  assert.ok(
    !new ModelManager()
      .load({ type: 'onnx', path: LOOP, inputShapes: { x: [null, 5, 4] } }, { seed: 0 })
      .model.graph.nodes.some((n) => n.opType === 'Loop'),
  );
});

test('Scan over time with weights in its body, reverse directions: unrolled, weights shared across steps, matches PyTorch', async () => {
  const r = await checkAgainstTorch('scan-helper', { batchSizes: [3] });
  assert.ok(r.maxRelError.rel <= 1e-5);
  const loaded = new ModelManager().load(
    { type: 'onnx', path: join(FIXTURES, 'scan-helper', 'model.onnx') },
    { seed: 0 },
  );
  assert.ok(!loaded.model.graph.nodes.some((n) => n.opType === 'Scan'));
  for (const w of ['W', 'U', 'b']) assert.ok(loaded.model.graph.initializers.has(w), `${w} is one parameter`);
});
