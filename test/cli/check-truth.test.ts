/**
 * gymnosd check tells the truth: it builds the training graph, runs a step, looks inside subgraphs, reports tied
 * initializers and probability outputs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { saveModel } from '../../src/onnx/io.js';
import { emptyGraph, A, type Graph, type Model } from '../../src/onnx/ir.js';
import { tensor } from '../../src/onnx/tensor.js';
import { selectParameters } from '../../src/autodiff/trainable.js';
import { untieInitializers } from '../../src/models/untie.js';
import { captureCli } from './capture.js';
import { ModelManager } from '../../src/models/model-manager.js';
import { buildTrainingArtifacts } from '../../src/autodiff/artifacts.js';

const dir = mkdtempSync(join(tmpdir(), 'gymnos-check-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const FIXTURES = fileURLToPath(new URL('../fixtures/exports/', import.meta.url));

function model(build: (g: Graph) => void): Model {
  const g = emptyGraph('m');
  build(g);
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
const w = (dims: number[], v = 0.1) =>
  tensor(
    'float32',
    dims,
    Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => v + 0.01 * i),
  );
const save = (name: string, m: Model) => {
  const p = join(dir, name);
  saveModel(m, p);
  return p;
};
const linear = (g: Graph, x: string, wName: string, y: string) =>
  g.nodes.push({ name: `mm_${y}`, opType: 'MatMul', domain: '', inputs: [x, wName], outputs: [y], attrs: {} });

test('check builds the training graph: a symbolic non-batch size that stops the build is exit 1, not "can train"', async () => {
  const p = save(
    'symbolic.onnx',
    model((g) => {
      g.inputs.push({ name: 'x', dtype: 'float32', shape: ['N', 2, 'H', 'W'] });
      g.initializers.set('k', w([3, 2, 3, 3]));
      g.nodes.push({
        name: 'conv',
        opType: 'Conv',
        domain: '',
        inputs: ['x', 'k'],
        outputs: ['c'],
        attrs: { pads: A.ints([1, 1, 1, 1]) },
      });
      g.nodes.push({ name: 'gap', opType: 'GlobalAveragePool', domain: '', inputs: ['c'], outputs: ['p'], attrs: {} });
      g.nodes.push({ name: 'fl', opType: 'Flatten', domain: '', inputs: ['p'], outputs: ['y'], attrs: {} });
      g.outputs.push({ name: 'y', dtype: 'float32', shape: ['N', 3] });
    }),
  );
  const r = await captureCli(['check', p]);
  assert.equal(r.code, 1, r.out + r.err);
  assert.match(r.out, /training graph: cannot be built with loss softmax_cross_entropy: .*static shape/);
  assert.match(r.out, /verdict: Gymnos cannot train this model/);
});

test('check --step: the LSTM text classifier steps with a gradient for every parameter (exit 0)', async () => {
  const r = await captureCli(['check', join(FIXTURES, 'lstm-text', 'model.onnx'), '--step']);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /training graph: built \(loss softmax_cross_entropy, 7 trainable parameter tensors\)/);
  assert.match(r.out, /one step on random inputs: loss \d/);
  assert.match(r.out, /every trainable parameter received a gradient/);
});

test('check --step: a parameter that gets no gradient is named and the exit code is 2', async () => {
  const p = save(
    'dead.onnx',
    model((g) => {
      g.inputs.push({ name: 'x', dtype: 'float32', shape: ['N', 4] });
      g.initializers.set('w1', w([4, 3]));
      g.initializers.set('dead', w([4, 3], 0.5));
      g.initializers.set('zeros', tensor('float32', [4, 3], new Float32Array(12)));
      linear(g, 'x', 'w1', 'h');
      g.nodes.push({ name: 'kill', opType: 'Mul', domain: '', inputs: ['dead', 'zeros'], outputs: ['z'], attrs: {} });
      g.nodes.push({ name: 'mm2', opType: 'MatMul', domain: '', inputs: ['x', 'z'], outputs: ['h2'], attrs: {} });
      g.nodes.push({ name: 'sum', opType: 'Add', domain: '', inputs: ['h', 'h2'], outputs: ['y'], attrs: {} });
      g.outputs.push({ name: 'y', dtype: 'float32', shape: ['N', 3] });
    }),
  );
  const r = await captureCli(['check', p, '--step']);
  assert.equal(r.code, 2, r.out + r.err);
  assert.match(r.out, /no gradient \(zero everywhere\): dead$/m);
});

test('check names unsupported ops inside If branches and trains the weights there (Silero-VAD style), not "no float parameters"', async () => {
  const branch = (name: string, op: string): Graph => {
    const b = emptyGraph(name);
    b.initializers.set(`${name}.w`, w([4, 4]));
    b.nodes.push({
      name: `${name}/mm`,
      opType: 'MatMul',
      domain: '',
      inputs: ['x', `${name}.w`],
      outputs: [`${name}/h`],
      attrs: {},
    });
    b.nodes.push({
      name: `${name}/odd`,
      opType: op,
      domain: op === 'Custom' ? 'com.example' : '',
      inputs: [`${name}/h`],
      outputs: [`${name}/out`],
      attrs: {},
    });
    b.outputs.push({ name: `${name}/out`, dtype: 'float32' });
    return b;
  };
  const p = save(
    'vad.onnx',
    model((g) => {
      g.inputs.push({ name: 'x', dtype: 'float32', shape: ['N', 4] }, { name: 'sr', dtype: 'bool', shape: [] });
      g.nodes.push({
        name: 'pick_rate',
        opType: 'If',
        domain: '',
        inputs: ['sr'],
        outputs: ['y'],
        attrs: { then_branch: A.graph(branch('b16k', 'Custom')), else_branch: A.graph(branch('b8k', 'Relu')) },
      });
      g.outputs.push({ name: 'y', dtype: 'float32', shape: ['N', 4] });
    }),
  );
  const r = await captureCli(['check', p]);
  assert.equal(r.code, 1);
  // If trains (its branch weights are hoisted into the main graph): what stops this model is the
  // unsupported op inside a branch, named with the branch it sits in
  assert.match(r.out, /node 'b16k\/odd': com\.example\.Custom \(inside If 'pick_rate' then_branch\)/);
  assert.match(r.out, /train {2}b16k\.w \[4, 4\] \(16\)\n {2}train {2}b8k\.w \[4, 4\] \(16\)/);
  assert.doesNotMatch(r.out, /no float parameters/);
});

function tiedModel(): Model {
  return model((g) => {
    g.inputs.push({ name: 'x', dtype: 'float32', shape: ['N', 4] });
    g.initializers.set('w1', w([4, 4]));
    g.initializers.set('b', w([4], 0));
    g.nodes.push({ name: 'tie', opType: 'Identity', domain: '', inputs: ['b'], outputs: ['b2'], attrs: {} });
    linear(g, 'x', 'w1', 'h');
    g.nodes.push({ name: 'add1', opType: 'Add', domain: '', inputs: ['h', 'b'], outputs: ['h1'], attrs: {} });
    linear(g, 'h1', 'w1', 'h2');
    g.nodes.push({ name: 'add2', opType: 'Add', domain: '', inputs: ['h2', 'b2'], outputs: ['z'], attrs: {} });
    g.nodes.push({
      name: 'sm',
      opType: 'Softmax',
      domain: '',
      inputs: ['z'],
      outputs: ['y'],
      attrs: { axis: A.int(1) },
    });
    g.outputs.push({ name: 'y', dtype: 'float32', shape: ['N', 4] });
  });
}

test('check reports tied initializers and a Softmax output; untieInitializers gives each reader its own copy', async () => {
  const p = save('tied.onnx', tiedModel());
  const r = await captureCli(['check', p]);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /tied initializers:\n {2}b -> b2/);
  assert.match(
    r.out,
    /warning: 1 initializer\(s\) are shared through Identity nodes .*'b' also read as 'b2'.*untieInitializers: true/,
  );
  assert.match(r.out, /warning: output 'y' is the result of Softmax node 'sm': .*train on its input 'z'/);
  const untied = await captureCli(['check', p, '--untie-initializers', '--json']);
  const rep = JSON.parse(untied.out);
  assert.deepEqual(rep.tied, []);
  assert.ok(rep.parameters.some((x: { name: string; trainable: boolean }) => x.name === 'b2' && x.trainable));
  const m = tiedModel();
  assert.deepEqual(untieInitializers(m.graph), ['b2']);
  assert.ok(!m.graph.nodes.some((n) => n.opType === 'Identity'));
  assert.notEqual(m.graph.initializers.get('b2')!.data, m.graph.initializers.get('b')!.data);
});

test('a single-element bias (one-logit head) is trainable; single-element scales stay constants', () => {
  const m = model((g) => {
    g.inputs.push({ name: 'x', dtype: 'float32', shape: ['N', 4] });
    g.initializers.set('w', w([4, 1]));
    g.initializers.set('bias', w([1]));
    g.initializers.set('gw', w([1, 4]));
    g.initializers.set('gbias', w([1]));
    g.initializers.set('scale', w([1], 2));
    linear(g, 'x', 'w', 'h');
    g.nodes.push({ name: 'add', opType: 'Add', domain: '', inputs: ['h', 'bias'], outputs: ['l'], attrs: {} });
    g.nodes.push({
      name: 'gemm',
      opType: 'Gemm',
      domain: '',
      inputs: ['x', 'gw', 'gbias'],
      outputs: ['l2'],
      attrs: { transB: A.int(1) },
    });
    g.nodes.push({ name: 'sc', opType: 'Mul', domain: '', inputs: ['l', 'scale'], outputs: ['y'], attrs: {} });
    g.outputs.push({ name: 'y', dtype: 'float32', shape: ['N', 1] }, { name: 'l2', dtype: 'float32', shape: ['N', 1] });
  });
  const s = selectParameters(m.graph);
  assert.deepEqual(s.trainable.sort(), ['bias', 'gbias', 'gw', 'w']);
  assert.ok(s.constants.includes('scale'));
});

test('a real PyTorch export with merged initializers: check names the ties, untieInitializers separates them (running statistics included)', async () => {
  const p = fileURLToPath(new URL('../fixtures/pytorch-tied.onnx', import.meta.url));
  const r = await captureCli(['check', p, '--json']);
  const rep = JSON.parse(r.out);
  const readers = new Map<string, string[]>(
    rep.tied.map((t: { initializer: string; readers: string[] }) => [t.initializer, t.readers]),
  );
  assert.ok(readers.get('0.bias')?.includes('2.bias') && readers.get('0.bias')?.includes('1.running_mean'), r.out);
  assert.ok(readers.get('1.weight')?.includes('3.weight') && readers.get('1.weight')?.includes('1.running_var'), r.out);
  const loaded = new ModelManager().load({ type: 'onnx', path: p, untieInitializers: true }, { seed: 0 });
  const art = buildTrainingArtifacts(loaded.model, {
    loss: { type: 'softmax_cross_entropy' },
    optimizer: { type: 'sgd', lr: 0.1 },
  });
  for (const n of ['0.bias', '2.bias', '1.weight', '3.weight', '1.bias', '3.bias'])
    assert.ok(art.trainable.includes(n), `${n} trains on its own`);
  const running = art.carried
    .filter((c) => c.kind === 'running')
    .map((c) => c.input)
    .sort();
  assert.deepEqual(running, ['1.running_mean', '1.running_var', '3.running_mean', '3.running_var']);
  const stepped = await captureCli(['check', p, '--untie-initializers', '--step']);
  assert.equal(stepped.code, 0, stepped.out + stepped.err);
});
