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

test('UNet-style net with Resize (nearest, bilinear half_pixel, bilinear align_corners) matches PyTorch under MSE', async () => {
  const r = await checkAgainstTorch('unet-resize', { batchSizes: [3] });
  assert.ok(r.maxRelError.rel <= 1e-5);
});

test('tf2onnx-style NHWC CNN (opset 13: Transposes around Conv/MaxPool, Reshape(Concat(Slice(Shape), -1)), MatMul + Add) matches PyTorch', async () => {
  const r = await checkAgainstTorch('tf2onnx-nhwc-cnn', { batchSizes: [2] });
  assert.ok(r.maxRelError.rel <= 1e-5);
});
