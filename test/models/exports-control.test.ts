/**
 * Control-flow exports (test/fixtures/exports): an If on a data condition (torch.jit.script) with
 * each branch's Linear weights stored inside the branch, taking either branch, and an If on a
 * constant condition. Branch weights are found and trained; one SGD step matches PyTorch's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { checkAgainstTorch, FIXTURES } from './torch-reference.js';
import { checkModelFile } from '../../src/models/inspect.js';

test('If on a data condition, then branch taken: branch weights train, untaken branch unchanged, as in PyTorch', async () => {
  const r = await checkAgainstTorch('if-data-then', { batchSizes: [2] });
  assert.ok(r.maxRelError.rel <= 1e-5);
});

test('If on a data condition, else branch taken (Relu + Linear inside the branch) matches PyTorch', async () => {
  const r = await checkAgainstTorch('if-data-else');
  assert.ok(r.maxRelError.rel <= 1e-5);
});

test('If on a constant condition is inlined: the taken branch trains, the dead branch is dropped', async () => {
  const r = await checkAgainstTorch('if-constant');
  assert.ok(r.maxRelError.rel <= 1e-5);
});

test('gymnosd check finds the weights inside If branches and calls the model trainable', () => {
  const report = checkModelFile(join(FIXTURES, 'if-data-then', 'model.onnx'));
  assert.deepEqual(
    report.parameters
      .filter((p) => p.trainable)
      .map((p) => p.name)
      .sort(),
    ['fc_in.bias', 'fc_in.weight', 'neg.bias', 'neg.weight', 'pos.bias', 'pos.weight'],
  );
  assert.equal(report.trainable, true, JSON.stringify(report.problems));
});
