/**
 * Transformer-family PyTorch exports (test/fixtures/exports): one SGD step in Gymnos agrees with
 * PyTorch's within 1e-5 relative, the trained export reloads and runs at other batch sizes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAgainstTorch } from './torch-reference.js';

test('ViT block with a class token expanded to the batch (Shape/ConstantOfShape/Equal/Where/Expand -> Concat) matches PyTorch', async () => {
  const r = await checkAgainstTorch('vit-block', { batchSizes: [1, 5] });
  assert.ok(r.maxRelError.rel <= 1e-5);
});

test('nn.TransformerEncoderLayer export matches PyTorch', async () => {
  const r = await checkAgainstTorch('transformer-encoder', { batchSizes: [2] });
  assert.ok(r.maxRelError.rel <= 1e-5);
});
