/**
 * Real PyTorch exports (test/fixtures/exports, made by scripts/fixtures/) train as they come: one
 * SGD step in Gymnos agrees with PyTorch's within 1e-5 relative, and the export reloads and runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAgainstTorch } from './torch-reference.js';

test('small CNN (torch.onnx opset 17: Conv, MaxPool, GlobalAveragePool, Gemm) matches PyTorch after one SGD step', async () => {
  const r = await checkAgainstTorch('small-cnn', { batchSizes: [1, 3] });
  assert.ok(r.maxRelError.rel <= 1e-5);
});
