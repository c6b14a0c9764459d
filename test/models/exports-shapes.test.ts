/**
 * Exports with fixed or symbolic shapes (test/fixtures/exports): the `inputShapes` model option
 * makes a batch fixed at 1 symbolic again and pins symbolic H and W; one SGD step then agrees with
 * PyTorch's, and the trained export runs at several batch sizes. Without the option each fails
 * with a message that names the option.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { checkAgainstTorch, FIXTURES } from './torch-reference.js';
import { ModelManager } from '../../src/models/model-manager.js';
import { buildTrainingArtifacts } from '../../src/autodiff/artifacts.js';
import { StepRunner } from '../../src/trainer/step-runner.js';
import { tensor } from '../../src/onnx/tensor.js';
import { sessions } from './helpers.js';
import { applyInputShapes, parseInputShapes } from '../../src/models/input-shapes.js';
import { captureCli } from '../cli/capture.js';
import { A, emptyGraph } from '../../src/onnx/ir.js';

test('batch fixed at 1 (Reshape to [1, -1]) with inputShapes { x: [null, 1, 6, 6] }: steps at batch 4, 1 and 7 match PyTorch', async () => {
  const r = await checkAgainstTorch('batch1', {
    model: { inputShapes: { x: [null, 1, 6, 6] } },
    batchSizes: [1, 2, 5],
  });
  assert.deepEqual(
    r.reference.moreBatches?.map((b) => b.target.dims[0]),
    [1, 7],
  );
  assert.ok(r.maxRelError.rel <= 1e-5);
});

test('batch fixed at 1 without inputShapes: a batch of 4 fails before ONNX Runtime, naming the option', async () => {
  const loaded = new ModelManager().load({ type: 'onnx', path: join(FIXTURES, 'batch1', 'model.onnx') }, { seed: 0 });
  const art = buildTrainingArtifacts(loaded.model, {
    loss: { type: 'softmax_cross_entropy' },
    optimizer: { type: 'sgd', lr: 0.1 },
  });
  const s = sessions();
  const runner = new StepRunner(art, s.factory);
  const batch = { inputs: { x: tensor('float32', [4, 1, 6, 6]) }, label: tensor('int64', [4], [0, 1, 2, 0]) };
  await assert.rejects(
    runner.runSteps([batch], [0.1]),
    /model input 'x' takes \[1, 1, 6, 6\] but the batch has \[4, 1, 6, 6\].*inputShapes: \{ "x": \[null, 1, 6, 6\] \}/,
  );
  await runner.close();
  await s.close();
});

test('inputShapes errors name the input, the axis and the fix', () => {
  const path = join(FIXTURES, 'symbolic-hw', 'model.onnx');
  const load = (inputShapes: unknown) => new ModelManager().load({ type: 'onnx', path, inputShapes }, { seed: 0 });
  assert.throws(
    () => load({ image: [null, 3, 8, 8] }),
    /model\.inputShapes\.image: 'image' is not an input of the model; inputs are: x/,
  );
  assert.throws(() => load({ x: [null, 8, 8] }), /has rank 4 .* but 3 dims were given/);
  assert.throws(
    () => load({ x: [null, 4, 8, 8] }),
    /inputShapes\.x\[1\]: the export fixes axis 1 of 'x' at 3; it cannot be changed to 4/,
  );
  assert.throws(
    () => load({ x: [null, 3, 0, 8] }),
    /expected an integer >= 1 or null \(symbolic\) for model\.inputShapes\.x\[2\] but got 0/,
  );
});

test('symbolic H and W: training needs them pinned, and the error says how', async () => {
  const loaded = new ModelManager().load(
    { type: 'onnx', path: join(FIXTURES, 'symbolic-hw', 'model.onnx') },
    { seed: 0 },
  );
  assert.throws(
    () =>
      buildTrainingArtifacts(loaded.model, {
        loss: { type: 'softmax_cross_entropy' },
        optimizer: { type: 'sgd', lr: 0.1 },
      }),
    /GlobalAveragePool.*needs the static shape.*model option inputShapes/,
  );
});

test('symbolic H and W pinned with inputShapes { x: [null, 3, 8, 8] } matches PyTorch', async () => {
  const r = await checkAgainstTorch('symbolic-hw', { model: { inputShapes: { x: [null, 3, 8, 8] } }, batchSizes: [2] });
  assert.ok(r.maxRelError.rel <= 1e-5);
});

test('a batch the graph itself fixes (ReduceSum over axis 0) cannot be made symbolic: the error names the node', () => {
  const g = emptyGraph();
  g.inputs.push({ name: 'x', dtype: 'float32', shape: [1, 4] });
  g.initializers.set(
    'w',
    tensor(
      'float32',
      [4, 3],
      Array.from({ length: 12 }, (_, i) => i / 10),
    ),
  );
  g.nodes.push(
    { name: 'mm', opType: 'MatMul', domain: '', inputs: ['x', 'w'], outputs: ['h'], attrs: {} },
    {
      name: 'pool_batch',
      opType: 'ReduceSum',
      domain: '',
      inputs: ['h', 'ax'],
      outputs: ['y'],
      attrs: { keepdims: A.int(1) },
    },
  );
  g.initializers.set('ax', tensor('int64', [1], [0]));
  g.outputs.push({ name: 'y', dtype: 'float32', shape: [1, 3] });
  const model = {
    irVersion: 8,
    opset: new Map([['', 18]]),
    producerName: 't',
    producerVersion: '',
    domain: '',
    modelVersion: 1,
    docString: '',
    metadata: {},
    graph: g,
  };
  assert.throws(
    () => applyInputShapes(model, { x: [null, 4] }, 'model'),
    /model\.inputShapes: the batch of output 'y' stays \[1, 3\] with a symbolic input batch: node 'pool_batch' \(ReduceSum\) turns \[N, 3\] into \[1, 3\].*give 1 instead of null/,
  );
});

test('gymnosd check --input-shape pins symbolic H/W and makes a fixed batch symbolic, as the model option does', async () => {
  const hw = await captureCli([
    'check',
    join(FIXTURES, 'symbolic-hw', 'model.onnx'),
    '--input-shape',
    'x=?,3,8,8',
    '--json',
  ]);
  assert.equal(hw.code, 0, hw.err);
  assert.deepEqual(JSON.parse(hw.out).inputs[0].shape, ['N', 3, 8, 8]);
  const b1 = await captureCli([
    'check',
    join(FIXTURES, 'batch1', 'model.onnx'),
    '--input-shape',
    'x=Nx1x6x6',
    '--json',
  ]);
  assert.equal(b1.code, 0, b1.err);
  assert.deepEqual(JSON.parse(b1.out).inputs[0].shape, ['N', 1, 6, 6]);
  const bad = await captureCli(['check', join(FIXTURES, 'batch1', 'model.onnx'), '--input-shape', 'x=?,1,six,6']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /expected name=dims like x=\?,3,64,64 .* for --input-shape but got 'x=\?,1,six,6'/);
  assert.deepEqual(parseInputShapes(['x=?,3,64,64', 'mask=N,64']), { x: [null, 3, 64, 64], mask: [null, 64] });
});
