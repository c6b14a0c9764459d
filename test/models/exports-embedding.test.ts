/**
 * Embedding exports trained toward float target vectors (test/fixtures/exports/embed-*): an MLP +
 * LayerNorm feature extractor with MSE, Huber and cosine-embedding losses, and with a new Linear
 * head put on its embedding output (headReplace.output). One SGD step matches PyTorch's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAgainstTorch } from './torch-reference.js';

for (const [name, loss] of [
  ['embed-mse', 'mse'],
  ['embed-huber', 'huber'],
  ['embed-cosine', 'cosine_embedding'],
]) {
  test(`embedding export toward float target vectors, ${loss}: one SGD step matches PyTorch`, async () => {
    const r = await checkAgainstTorch(name, { batchSizes: [3] });
    assert.equal(r.reference.loss, loss);
    assert.equal(r.reference.target.kind, 'float');
    assert.deepEqual(r.reference.target.dims, [5, 8]);
    // one symbolic-batch graph stepped at batch 5 and at batch 3 (embed-mse)
    if (name === 'embed-mse')
      assert.deepEqual(
        r.reference.moreBatches?.map((b) => b.target.dims),
        [[3, 8]],
      );
    assert.ok(r.maxRelError.rel <= 1e-5);
  });
}

test('a new head on the embedding output (headReplace.output) trains toward 3-wide targets like PyTorch', async () => {
  const r = await checkAgainstTorch('embed-head', {
    model: { headReplace: { output: 'emb', classes: 3 } },
    reload: { output: 'head/logits' },
  });
  assert.deepEqual(Object.keys(r.reference.init ?? {}).sort(), ['head.bias', 'head.weight']);
  assert.ok(r.maxRelError.rel <= 1e-5);
});
