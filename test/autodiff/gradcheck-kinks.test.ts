/**
 * gradcheck on real-model situations: ReLU kinks are reported apart from failures, zero loss and zero gradients warn,
 * the worst element is named.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyGraph, type Graph, type Model } from '../../src/onnx/ir.js';
import { tensor } from '../../src/onnx/tensor.js';
import { gradCheck } from '../../src/autodiff/gradcheck.js';
import { formatGradCheck, gradCheckPasses, modelGradCheck } from '../../src/autodiff/model-gradcheck.js';

const w = (dims: number[], v: number, step = 0.01) =>
  tensor(
    'float32',
    dims,
    Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => v + step * i),
  );

/** Relu(x - x + b1) @ W2 with b1 = 0: every pre-activation sits exactly on the ReLU kink. */
function kinkModel(): Model {
  const g = emptyGraph('kink');
  g.inputs.push({ name: 'x', dtype: 'float32', shape: ['N', 4] });
  g.initializers.set('b1', w([4], 0, 0));
  g.initializers.set('W2', w([4, 3], 0.2));
  g.initializers.set('W3', w([4, 3], -0.3, 0.05));
  g.nodes.push(
    { name: 'zero', opType: 'Sub', domain: '', inputs: ['x', 'x'], outputs: ['z0'], attrs: {} },
    { name: 'pre', opType: 'Add', domain: '', inputs: ['z0', 'b1'], outputs: ['p'], attrs: {} },
    { name: 'relu', opType: 'Relu', domain: '', inputs: ['p'], outputs: ['r'], attrs: {} },
    { name: 'mm', opType: 'MatMul', domain: '', inputs: ['r', 'W2'], outputs: ['h'], attrs: {} },
    { name: 'mm3', opType: 'MatMul', domain: '', inputs: ['x', 'W3'], outputs: ['h3'], attrs: {} },
    { name: 'sum', opType: 'Add', domain: '', inputs: ['h', 'h3'], outputs: ['y'], attrs: {} },
  );
  g.outputs.push({ name: 'y', dtype: 'float32', shape: ['N', 3] });
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

test('gradcheck: elements at ReLU kinks are reported apart from failures and the check passes', () => {
  const r = modelGradCheck(kinkModel(), { loss: { type: 'mse' }, maxElements: 4 });
  const b1 = r.params.find((p) => p.name === 'b1')!;
  assert.equal(b1.kinks.length, 4, 'every b1 element sits on the kink');
  assert.equal(b1.checked, 4);
  const w3 = r.params.find((p) => p.name === 'W3')!;
  assert.equal(w3.kinks.length, 0);
  assert.ok(w3.maxRelError < 1e-6 && w3.worstElement >= 0);
  assert.ok(gradCheckPasses(r, 1e-4));
  const text = formatGradCheck(r, 1e-4);
  assert.match(
    text,
    /ok {3}b1: .* over 0 of 4 elements; 4 at non-differentiable points \(one-sided differences disagree/,
  );
  assert.match(text, /non-differentiable points: 4 checked elements skipped/);
  assert.match(text, /worst: W[23]\[\d+\], relative error .* \(analytic .*, numeric .*\)/);
  assert.match(text, /-> PASS/);
});

test('gradcheck: an identically zero output warns and fails; a zero gradient is named', () => {
  const g: Graph = emptyGraph('zero');
  g.inputs.push({ name: 'x', dtype: 'float32', shape: [2, 4] });
  g.initializers.set('W', w([4, 3], 0.1));
  g.initializers.set('zeros', tensor('float32', [3], [0, 0, 0]));
  g.nodes.push(
    { name: 'mm', opType: 'MatMul', domain: '', inputs: ['x', 'W'], outputs: ['h'], attrs: {} },
    { name: 'kill', opType: 'Mul', domain: '', inputs: ['h', 'zeros'], outputs: ['y'], attrs: {} },
  );
  g.outputs.push({ name: 'y', dtype: 'float32' });
  const r = gradCheck({ graph: g, opset: 17, feeds: { x: w([2, 4], -0.5, 0.1) }, params: ['W'], output: 'y' });
  assert.equal(
    r.worstRelError,
    0,
    'all zero gradients agree with all zero differences: exactly the silent pass the warning is for',
  );
  assert.ok(r.zeroOutput);
  assert.ok(r.params[0].zeroGradient);
  assert.ok(!gradCheckPasses(r, 1e-4));
  const text = formatGradCheck(r, 1e-4);
  assert.match(text, /warning: the gradient of 'W' is identically zero/);
  assert.match(text, /warning: the loss is identically zero on this batch, so the check proves nothing/);
  assert.match(text, /FAIL \(identically zero loss\)/);
});
