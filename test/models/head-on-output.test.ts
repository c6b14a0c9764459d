/** headReplace.output: a new classification head on a chosen value of an embedding model. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveModel } from '../../src/onnx/io.js';
import { emptyGraph, type Model } from '../../src/onnx/ir.js';
import { tensor } from '../../src/onnx/tensor.js';
import { ModelManager } from '../../src/models/model-manager.js';
import { Rng } from '../../src/util/rng.js';
import { randomBatch, sessions, trainSteps } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'gymnos-head-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** x [N, 6] -> MatMul -> Tanh -> [N, 2, 4] features ('emb'): an embedding model with no classifier. */
function embeddingModel(): Model {
  const rng = new Rng(3);
  const g = emptyGraph('embed');
  g.inputs.push({ name: 'x', dtype: 'float32', shape: ['N', 6] });
  g.initializers.set(
    'proj',
    tensor(
      'float32',
      [6, 8],
      Array.from({ length: 48 }, () => rng.uniform(-0.5, 0.5)),
    ),
  );
  g.initializers.set('shape', tensor('int64', [3], [0, 2, 4]));
  g.nodes.push(
    { name: 'mm', opType: 'MatMul', domain: '', inputs: ['x', 'proj'], outputs: ['h'], attrs: {} },
    { name: 'act', opType: 'Tanh', domain: '', inputs: ['h'], outputs: ['t'], attrs: {} },
    { name: 'rs', opType: 'Reshape', domain: '', inputs: ['t', 'shape'], outputs: ['emb'], attrs: {} },
  );
  g.outputs.push({ name: 'emb', dtype: 'float32', shape: ['N', 2, 4] });
  return {
    irVersion: 8,
    opset: new Map([['', 17]]),
    producerName: 'test',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    graph: g,
  };
}

test('headReplace.output puts a new head on an embedding output; it trains and the logits become an output', async () => {
  const p = join(dir, 'embed.onnx');
  saveModel(embeddingModel(), p);
  const loaded = new ModelManager().load(
    { type: 'onnx', path: p, headReplace: { output: 'emb', classes: 3 } },
    { seed: 1 },
  );
  assert.equal(loaded.output, 'head/logits');
  assert.deepEqual(loaded.head?.params, ['head.weight', 'head.bias']);
  assert.deepEqual(loaded.model.graph.initializers.get('head.weight')!.dims, [3, 8]);
  assert.deepEqual(loaded.model.graph.outputs.find((o) => o.name === 'head/logits')?.shape, ['N', 3]);
  const s = sessions();
  try {
    const batch = randomBatch(loaded.model, 8, 3, 5);
    const { losses, runner } = await trainSteps(
      loaded.model,
      { output: loaded.output, loss: { type: 'softmax_cross_entropy' }, optimizer: { type: 'sgd', lr: 0.5 } },
      batch,
      15,
      s.factory,
    );
    await runner.close();
    assert.ok(losses[14] < losses[0] * 0.8, `loss ${losses[0]} -> ${losses[14]}`);
  } finally {
    await s.close();
  }
  assert.throws(
    () => new ModelManager().load({ type: 'onnx', path: p, headReplace: { output: 'nope', classes: 3 } }, { seed: 1 }),
    /model\.headReplace\.output: 'nope' is not a value of the model/,
  );
});
