/**
 * `prepareOrtSession`: the model bytes and SessionOptions OrtBackend hands ONNX Runtime, which the
 * benchmark's raw loop must share (bench/peers/gymnos.ts) to be an honest floor.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyGraph } from '../../src/onnx/ir.js';
import { decodeModel, encodeModel } from '../../src/onnx/io.js';
import { NCHWC_DOMAIN } from '../../src/autodiff/rules/conv-nchwc.js';
import { loadOrt, prepareOrtSession, toSessionOptions } from '../../src/sessions/ort-backend.js';
import { nchwcBlockSize } from '../../src/sessions/nchwc.js';
import { validateSessionConfig } from '../../src/sessions/config.js';
import { DISABLE_OPTIMIZERS_KEY } from '../../src/sessions/model-options.js';
import type { ResolvedSessionConfig } from '../../src/sessions/types.js';

/** A Conv whose weight is a graph input (as in a training graph), with 16 channels in and out. */
function convModel(metadata: Record<string, string> = {}): Uint8Array {
  const g = emptyGraph('conv');
  g.inputs.push({ name: 'x', dtype: 'float32', shape: [2, 16, 6, 6] });
  g.inputs.push({ name: 'w', dtype: 'float32', shape: [16, 16, 3, 3] });
  g.nodes.push({
    name: 'conv',
    opType: 'Conv',
    domain: '',
    inputs: ['x', 'w'],
    outputs: ['y'],
    attrs: { pads: { type: 'ints', value: [1, 1, 1, 1] } },
  });
  g.outputs.push({ name: 'y', dtype: 'float32', shape: [2, 16, 6, 6] });
  return encodeModel({
    irVersion: 8,
    opset: new Map([['', 18]]),
    producerName: 'gymnos-test',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata,
    graph: g,
  });
}

function cpu(session: Record<string, unknown>): ResolvedSessionConfig {
  const { device: _device, ...rest } = validateSessionConfig({ device: 'cpu', ...session });
  return { ...rest, provider: 'cpu', deviceId: 0 };
}

test('prepareOrtSession: the default CPU options (no memory pattern, no spinning) and the NCHWc lowering', async () => {
  const ort = await loadOrt();
  const config = cpu({ intraOpThreads: 2 });
  const model = convModel();
  const p = await prepareOrtSession(ort, model, config);
  assert.deepEqual(p.options, toSessionOptions(config));
  assert.equal(p.options.enableMemPattern, false);
  assert.equal(p.options.intraOpNumThreads, 2);
  assert.deepEqual(p.options.extra, {
    session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } },
  });
  const lowered = decodeModel(p.model).graph.nodes.some((n) => n.domain === NCHWC_DOMAIN);
  // the lowering happens exactly where this runtime has NCHWc kernels (AVX2 / AVX-512 builds)
  assert.equal(lowered, (await nchwcBlockSize(ort)) > 0);
});

test('prepareOrtSession: the optimizers a model disables reach the options; no lowering below level all', async () => {
  const ort = await loadOrt();
  const config = cpu({ graphOptimization: 'basic' });
  const model = convModel({ [DISABLE_OPTIMIZERS_KEY]: 'CommonSubexpressionElimination, ConstantFolding' });
  const p = await prepareOrtSession(ort, model, config);
  assert.equal(p.model, model, 'the bytes pass through untouched');
  assert.deepEqual(p.options.extra?.optimization, {
    disable_specified_optimizers: 'CommonSubexpressionElimination,ConstantFolding',
  });
  assert.equal(p.options.graphOptimizationLevel, 'basic');
});
