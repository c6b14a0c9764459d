/**
 * The ModelManager's answers to bad input, each naming the config path, node or parameter; and
 * the factory the Trainer calls building every zoo type through it.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelManager } from '../../src/models/model-manager.js';
import { MODELS } from '../../src/models/factory.js';
import { optionsOf } from '../../src/config/component.js';
import { ZOO } from '../../src/models/registry.js';
import { saveModel } from '../../src/onnx/io.js';
import { buildCnn } from '../../src/models/zoo/small.js';
import { torchOpset9Cnn, paddleOpset17 } from './exporters.js';

const dir = mkdtempSync(join(tmpdir(), 'gymnos-mm-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const mm = new ModelManager();
const digits = { inputShape: [1, 8, 8], numClasses: 10 };

function file(name: string, build: () => ReturnType<typeof torchOpset9Cnn>): string {
  const p = join(dir, name);
  saveModel(build(), p);
  return p;
}

test("an unsupported op is refused with gymnosd check's answer, naming the node", () => {
  const path = file('det.onnx', () => {
    const m = paddleOpset17();
    const g = m.graph;
    const last = g.nodes[g.nodes.length - 1];
    g.nodes.push({
      name: 'my_det',
      opType: 'Det',
      domain: '',
      inputs: ['linear_0.tmp_1_sq'],
      outputs: ['det'],
      attrs: {},
    });
    g.nodes.splice(g.nodes.length - 1, 0, {
      name: 'sq',
      opType: 'MatMul',
      domain: '',
      inputs: [last.outputs[0], 'linear_0.w_0_t'],
      outputs: ['linear_0.tmp_1_sq'],
      attrs: {},
    });
    g.initializers.set('linear_0.w_0_t', { dtype: 'float32', dims: [4, 4], data: new Float32Array(16).fill(0.1) });
    g.outputs = [{ name: 'det', dtype: 'float32' }];
    return m;
  });
  assert.throws(
    () => mm.load({ type: 'onnx', path }, { seed: 1 }),
    (e: Error & { code?: string }) => {
      assert.equal(e.code, 'ERR_USER');
      assert.match(
        e.message,
        /model\.path: Gymnos cannot train .*det\.onnx as it is \(gymnosd check .* says\):\n {2}node 'my_det': Det/,
      );
      return true;
    },
  );
});

test('head replacement on an output that is not a classifier names the node and the config path', () => {
  const path = file('features.onnx', () => {
    const m = torchOpset9Cnn();
    m.graph.outputs = [{ name: '13', dtype: 'float32' }]; // the MaxPool output
    return m;
  });
  assert.throws(
    () => mm.load({ type: 'onnx', path, headReplace: { classes: 3 } }, { seed: 1 }),
    /model\.headReplace: output '13' is not produced by a classification layer \(Gemm, or MatMul \[\+ Add\] with a 2-D weight initializer\); it comes from node 'MaxPool_\d+' \(MaxPool\)\. Choose the logits with model\.output/,
  );
});

test('a freeze pattern that matches nothing is named with the parameters that exist', () => {
  const path = file('cnn9.onnx', torchOpset9Cnn);
  assert.throws(
    () =>
      mm.load(
        { type: 'onnx', path, freeze: ['conv1.*', 'backbone.*'] },
        { seed: 1, datasetInfo: { inputShape: [1, 8, 8], numClasses: 10 } },
      ),
    /model\.freeze\[1\]: pattern 'backbone\.\*' matches no parameter; parameters are: conv1\.weight, conv1\.bias, bn1\.weight, bn1\.bias, fc\.weight, fc\.bias/,
  );
  assert.throws(
    () => mm.load({ type: 'onnx', path, trainLast: 9 }, { seed: 1 }),
    /expected at most 3 \(the layers with parameters\) for model\.trainLast but got 9/,
  );
});

test('an input shape that contradicts the dataset is named, for ONNX files and zoo options', () => {
  const path = file('cnn9b.onnx', torchOpset9Cnn);
  assert.throws(
    () => mm.load({ type: 'onnx', path }, { seed: 1, datasetInfo: { inputShape: [3, 32, 32], numClasses: 10 } }),
    /model\.path: model input 'input\.1' takes \[1, 8, 8\] per sample \(64 values\) but the dataset gives \[3, 32, 32\] \(3072\)/,
  );
  assert.throws(
    () => mm.load({ type: 'onnx', path }, { seed: 1, datasetInfo: { inputShape: [1, 8, 8], numClasses: 3 } }),
    /model: output 'output' has 10 classes but the dataset has 3; set model\.headReplace: \{ "classes": 3 \}/,
  );
  assert.throws(
    () => mm.load({ type: 'resnet', inputShape: [3, 32, 32] }, { seed: 1, datasetInfo: digits }),
    /expected the dataset's input shape \[1, 8, 8\] for model\.inputShape but got \[3, 32, 32\]/,
  );
  assert.throws(
    () => mm.load({ type: 'resnet' }, { seed: 1, datasetInfo: { inputShape: [64], numClasses: 10 } }),
    /expected \[3, 32, 32\] \(3 dims, no batch axis\) for model\.inputShape but got \[64\] from the dataset/,
  );
  assert.throws(
    () => mm.load({ type: 'text_classifier', vocabSize: 10 }, { seed: 1 }),
    /model\.inputShape: not set and no dataset to take it from/,
  );
});

test('options are validated against each schema: unknown keys, bad values, unknown types', () => {
  assert.throws(
    () => mm.load({ type: 'resnet', depht: 20, widt: 8 }, { seed: 1, datasetInfo: digits }),
    /unknown key model\.depht; valid keys of model: type, depth, width, classes, inputShape, seed\n.*unknown key model\.widt \(did you mean 'width'\?\)/,
  );
  assert.throws(
    () => mm.load({ type: 'resnet', depth: 21 }, { seed: 1, datasetInfo: digits }),
    /expected a depth of the form 6n\+2 \(20, 32, 44, 56, 110\) for model\.depth but got 21/,
  );
  assert.throws(
    () =>
      mm.load(
        { type: 'transformer_encoder', vocabSize: 10, dModel: 10, heads: 4 },
        { seed: 1, datasetInfo: { inputShape: [8], numClasses: 2 } },
      ),
    /expected model\.heads to divide model\.dModel \(10\) but got 4/,
  );
  assert.throws(
    () => mm.load({ type: 'resnet20' }, { seed: 1 }),
    /expected one of 'mlp', 'cnn', .*'onnx' for model\.type but got "resnet20" \(did you mean 'resnet'\?\)/,
  );
  assert.throws(() => mm.load({ type: 'onnx' }, { seed: 1 }), /missing model\.path/);
  assert.throws(
    () => mm.load({ type: 'onnx', path: 'x.onnx', headReplace: { classes: 0 } }, { seed: 1 }),
    /expected an integer >= 1 for model\.headReplace\.classes but got 0/,
  );
});

test('the factory builds every zoo type from the dataset through the ModelManager', () => {
  const ctx = { inputShape: [3, 16, 16], outputs: 4, seed: 2, baseDir: dir };
  const seq = { inputShape: [8], outputs: 4, seed: 2, baseDir: dir };
  assert.deepEqual(MODELS.types(), [...ZOO.types(), 'onnx']);
  for (const d of MODELS.list.filter((x) => x.type !== 'onnx')) {
    const text = d.type === 'text_classifier' || d.type === 'transformer_encoder';
    // create takes resolved options (the experiment schema's result), as the Trainer hands them
    const spec = MODELS.resolve({
      type: d.type,
      ...(text ? { vocabSize: 20 } : d.type === 'resnet' ? { depth: 8 } : {}),
    });
    const built = MODELS.create(spec, text ? seq : ctx);
    assert.equal(built.model.graph.outputs[0].name, 'logits', d.type);
    assert.ok(built.loaded!.report.trainable, `${d.type}: ${built.loaded!.report.problems.join('; ')}`);
  }
  // an ONNX file with a new head: the trainer is told to train on the new logits
  const path = file('cnn-for-factory.onnx', () => buildCnn({ input: [1, 8, 8], channels: [4], classes: 10, seed: 1 }));
  const onnx = MODELS.get('onnx')!;
  const b = onnx.create(optionsOf(MODELS.resolve({ type: 'onnx', path, headReplace: { classes: 3 } })), {
    inputShape: [1, 8, 8],
    outputs: 3,
    seed: 1,
    baseDir: dir,
  });
  assert.equal(b.loaded!.head!.from, 10);
  assert.equal(b.loaded!.head!.to, 3);
  assert.deepEqual(b.model.graph.outputs[0].shape, ['N', 3]);
});

test("the factory's zoo types are the zoo's components: the same options and checks, so one schema validates them", () => {
  for (const z of ZOO.list) {
    const m = MODELS.get(z.type)!;
    assert.equal(m.description, z.description, z.type);
    assert.equal(m.options, z.options, z.type);
    assert.equal(m.check, z.check, z.type);
  }
  assert.ok(ZOO.get('transformer_encoder')!.check, 'transformer_encoder checks heads against dModel');
  // resolved once: defaults filled by the registry, and create takes the result as it is
  const spec = ZOO.resolve({ type: 'mlp', inputShape: [4], classes: 3 }, 'model');
  assert.deepEqual(spec, { type: 'mlp', hidden: [64], dropout: 0, inputShape: [4], classes: 3 });
  const loaded = mm.build(spec, { seed: 1 });
  assert.deepEqual(loaded.model.graph.outputs[0].shape, ['N', 3]);
});
