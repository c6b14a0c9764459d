/** gymnosd check / gradcheck, and the bad inputs the training-graph builder must refuse clearly. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveModel, encodeModel } from '../../src/onnx/io.js';
import { emptyGraph, A, type Model } from '../../src/onnx/ir.js';
import { tensor } from '../../src/onnx/tensor.js';
import { buildCnn, buildMlp } from '../../src/models/zoo/small.js';
import { buildTrainingArtifacts } from '../../src/autodiff/artifacts.js';
import { captureCli } from './capture.js';

const cli = (args: string[]) => captureCli(args);

const dir = mkdtempSync(join(tmpdir(), 'gymnos-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function model(build: (g: Model['graph']) => void, opset = 17): Model {
  const g = emptyGraph('m');
  build(g);
  return {
    irVersion: 8,
    opset: new Map([['', opset]]),
    producerName: 'test',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    graph: g,
  };
}

test('check: a trainable CNN lists inputs, outputs, parameters and ops and exits 0', async () => {
  const p = join(dir, 'cnn.onnx');
  saveModel(buildCnn({ input: [1, 8, 8], channels: [4], classes: 10, batchNorm: true, dropout: 0.1 }), p);
  const r = await cli(['check', p]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /input: float32 \[N, 1, 8, 8\]/);
  assert.match(r.out, /logits: float32/);
  assert.match(r.out, /train {2}conv0\.weight \[4, 1, 3, 3\] \(36\)/);
  assert.match(r.out, /running statistics: bn1\.running_mean, bn1\.running_var/);
  assert.match(r.out, /BatchNormalization x1/);
  assert.match(r.out, /verdict: Gymnos can train this model/);
  const frozen = await cli(['check', p, '--freeze', 'conv*', '--json']);
  const rep = JSON.parse(frozen.out);
  assert.equal(rep.parameters.find((x: { name: string }) => x.name === 'conv0.weight').trainable, false);
});

test('check: an unsupported op is named with its node, and the exit code is 1', async () => {
  const p = join(dir, 'unsupported.onnx');
  saveModel(
    model((g) => {
      g.inputs.push({ name: 'x', dtype: 'float32', shape: ['N', 4] });
      g.initializers.set('w', tensor('float32', [4, 4], new Float32Array(16).fill(0.1)));
      g.nodes.push({ name: 'mm', opType: 'MatMul', domain: '', inputs: ['x', 'w'], outputs: ['h'], attrs: {} });
      g.nodes.push({ name: 'my_det', opType: 'Det', domain: '', inputs: ['h'], outputs: ['y'], attrs: {} });
      g.outputs.push({ name: 'y', dtype: 'float32' });
    }),
    p,
  );
  const r = await cli(['check', p]);
  assert.equal(r.code, 1);
  assert.match(r.out, /node 'my_det': Det/);
  assert.match(r.out, /supported ops: .*Conv/);
  assert.throws(
    () =>
      buildTrainingArtifacts(
        model((g) => {
          g.inputs.push({ name: 'x', dtype: 'float32', shape: ['N', 4] });
          g.initializers.set('w', tensor('float32', [4, 4], new Float32Array(16).fill(0.1)));
          g.nodes.push({ name: 'mm', opType: 'MatMul', domain: '', inputs: ['x', 'w'], outputs: ['h'], attrs: {} });
          g.nodes.push({ name: 'my_det', opType: 'Det', domain: '', inputs: ['h'], outputs: ['y'], attrs: {} });
          g.outputs.push({ name: 'y', dtype: 'float32', shape: ['N'] });
        }),
        { loss: { type: 'mse' }, optimizer: { type: 'sgd', lr: 0.1 } },
      ),
    /cannot differentiate node 'my_det' \(Det\): no gradient rule for Det\. Supported ops: /,
  );
});

test('check: opset below 9, a truncated file and a missing file are user errors (exit 2) naming the file', async () => {
  const old = join(dir, 'old.onnx');
  writeFileSync(
    old,
    encodeModel(
      model((g) => {
        g.inputs.push({ name: 'x', dtype: 'float32', shape: [1] });
        g.nodes.push({ name: 'r', opType: 'Relu', domain: '', inputs: ['x'], outputs: ['y'], attrs: {} });
        g.outputs.push({ name: 'y', dtype: 'float32' });
      }, 8),
    ),
  );
  let r = await cli(['check', old]);
  assert.equal(r.code, 2);
  assert.match(r.err, /old\.onnx: the model uses opset 8, but Gymnos needs opset 9 or later/);
  const trunc = join(dir, 'trunc.onnx');
  const bytes = encodeModel(buildMlp({ inputs: 8, hidden: [8], classes: 2 }));
  writeFileSync(trunc, bytes.subarray(0, bytes.length - 40));
  r = await cli(['check', trunc]);
  assert.equal(r.code, 2);
  assert.match(r.err, /trunc\.onnx: .*(truncated|corrupt)/);
  r = await cli(['check', join(dir, 'missing.onnx')]);
  assert.equal(r.code, 2);
  assert.match(r.err, /missing\.onnx: cannot read the model file \(ENOENT\)/);
});

test('a graph with no float parameters is refused by check and by the artifact builder', async () => {
  const m = model((g) => {
    g.inputs.push({ name: 'x', dtype: 'float32', shape: ['N', 3] });
    g.nodes.push({ name: 'r', opType: 'Relu', domain: '', inputs: ['x'], outputs: ['y'], attrs: {} });
    g.outputs.push({ name: 'y', dtype: 'float32', shape: ['N', 3] });
  });
  const p = join(dir, 'noparams.onnx');
  saveModel(m, p);
  const r = await cli(['check', p]);
  assert.equal(r.code, 1);
  assert.match(r.out, /problem: the graph has no float parameters/);
  assert.throws(
    () => buildTrainingArtifacts(m, { loss: { type: 'mse' }, optimizer: { type: 'sgd', lr: 0.1 } }),
    /no trainable float parameters/,
  );
});

test('dynamic spatial dimensions where a rule needs them static are named', () => {
  const m = model((g) => {
    g.inputs.push({ name: 'x', dtype: 'float32', shape: ['N', 1, 'H', 'W'] });
    g.initializers.set('w', tensor('float32', [2, 1, 3, 3], new Float32Array(18).fill(0.1)));
    g.nodes.push({
      name: 'conv',
      opType: 'Conv',
      domain: '',
      inputs: ['x', 'w'],
      outputs: ['y'],
      attrs: { pads: A.ints([1, 1, 1, 1]), strides: A.ints([2, 2]) },
    });
    g.nodes.push({ name: 'gap', opType: 'GlobalAveragePool', domain: '', inputs: ['y'], outputs: ['z'], attrs: {} });
    g.nodes.push({ name: 'flat', opType: 'Flatten', domain: '', inputs: ['z'], outputs: ['f'], attrs: {} });
    g.outputs.push({ name: 'f', dtype: 'float32' });
  });
  assert.throws(
    () => buildTrainingArtifacts(m, { loss: { type: 'softmax_cross_entropy' }, optimizer: { type: 'sgd', lr: 0.1 } }),
    (e: Error) =>
      /node '(conv|gap)' \((Conv|GlobalAveragePool)\)/.test(e.message) &&
      /needs the static shape of 'y', but it is \[N, 2, \?, \?\]/.test(e.message),
  );
});

test('freezing keeps frozen parameters as initializers of the train graph; a pattern that matches nothing is an error', () => {
  const m = buildMlp({ inputs: 8, hidden: [16], classes: 3 });
  const art = buildTrainingArtifacts(m, {
    loss: { type: 'softmax_cross_entropy' },
    optimizer: { type: 'adam', lr: 0.01 },
    trainable: { freeze: ['fc0.*'] },
  });
  assert.deepEqual(art.trainable.sort(), ['fc1.bias', 'fc1.weight']);
  assert.deepEqual(art.frozen.sort(), ['fc0.bias', 'fc0.weight']);
  assert.ok(art.trainStep.graph.initializers.has('fc0.weight'));
  assert.ok(!art.trainStep.graph.inputs.some((v) => v.name === 'fc0.weight'));
  assert.ok(art.trainStep.graph.inputs.some((v) => v.name === 'fc1.weight'));
  assert.throws(
    () =>
      buildTrainingArtifacts(m, {
        loss: { type: 'softmax_cross_entropy' },
        optimizer: { type: 'adam', lr: 0.01 },
        trainable: { freeze: ['encoder.*'] },
      }),
    /training\.trainable\.freeze\[0\]: pattern 'encoder\.\*' matches no parameter; parameters are: fc0\.weight/,
  );
});

test("gradcheck: a model's generated training graph passes, and exits 0", async () => {
  const p = join(dir, 'gc.onnx');
  saveModel(buildMlp({ inputs: 6, hidden: [5], classes: 3, seed: 3 }), p);
  const r = await cli(['gradcheck', p, '--batch', '3']);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /worst relative error: .* -> PASS/);
});
