/**
 * Malformed ONNX graphs are user errors naming the node and the value: a node that reads a value
 * nothing produces, an output nothing produces, a cycle, and a Conv kernel larger than its padded
 * input. Names from the file are printed escaped, never as raw control bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeModel, encodeModel, saveModel } from '../../src/onnx/io.js';
import { inferShapes } from '../../src/onnx/shapes/infer.js';
import { canonicalize } from '../../src/onnx/opset.js';
import { buildCnn } from '../../src/models/zoo/small.js';
import { inspectModel } from '../../src/models/inspect.js';
import { printable } from '../../src/util/printable.js';
import type { Model } from '../../src/onnx/ir.js';
import { captureCli } from '../cli/capture.js';

const dir = mkdtempSync(join(tmpdir(), 'gymnos-malformed-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const cnn = (): Model => buildCnn({ input: [1, 8, 8], channels: [2], classes: 3, batchNorm: true });
const userError = (re: RegExp) => (e: Error) => {
  assert.equal((e as { code?: string }).code, 'ERR_ONNX_FORMAT', e.stack);
  assert.match(e.message, re);
  assert.doesNotMatch(e.message, /[\x00-\x1f\x7f]/);
  return true;
};

test('a node reading a value that nothing produces is refused at load, naming node, op and value', () => {
  const m = cnn();
  const node = m.graph.nodes.find((n) => n.opType === 'Relu')!;
  node.name = 'relu\x07bell';
  node.inputs[0] = 'ghost\x1b[31m';
  assert.throws(
    () => decodeModel(encodeModel(m), 'bad.onnx'),
    userError(
      /^bad\.onnx: node 'relu\\x07bell' \(Relu\) reads 'ghost\\x1b\[31m', which no node, input or initializer defines; the file is corrupt or was edited: repair the graph or export the model again$/,
    ),
  );
});

test('a graph output that nothing produces, and a cycle, are refused at load', () => {
  const m = cnn();
  m.graph.outputs[0] = { ...m.graph.outputs[0], name: 'nowhere' };
  assert.throws(
    () => decodeModel(encodeModel(m), 'out.onnx'),
    userError(/^out\.onnx: graph output 'nowhere' is produced by no node, input or initializer;/),
  );
  const c = cnn();
  const relu = c.graph.nodes.find((n) => n.opType === 'Relu')!;
  const after = c.graph.nodes[c.graph.nodes.indexOf(relu) + 1];
  relu.inputs[0] = after.outputs[0];
  assert.throws(
    () => decodeModel(encodeModel(c), 'cycle.onnx'),
    userError(/^cycle\.onnx: graph has a cycle through node '.*'/),
  );
});

/** A CNN whose first Conv has a kxk kernel (weights and kernel_shape agree), on 8x8 inputs with pads 1. */
function bigKernel(k: number): Model {
  const m = cnn();
  const conv = m.graph.nodes.find((n) => n.opType === 'Conv')!;
  const w = m.graph.initializers.get(conv.inputs[1])!;
  const dims = [w.dims[0], w.dims[1], k, k];
  m.graph.initializers.set(conv.inputs[1], {
    dtype: 'float32',
    dims,
    data: new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(0.01),
  });
  conv.attrs.kernel_shape = { type: 'ints', value: [k, k] };
  return m;
}

test('a Conv kernel larger than its padded input fails shape inference naming the node', () => {
  const ok = bigKernel(9); // 8 + 1 + 1 = 10: two output positions, still valid
  canonicalize(ok, 'ok');
  assert.deepEqual(inferShapes(ok.graph, 18).info.get(ok.graph.nodes[0].outputs[0])?.shape, ['N', 2, 2, 2]);
  const m = bigKernel(11);
  canonicalize(m, 'm');
  assert.throws(
    () => inferShapes(m.graph, 18),
    userError(
      /^node '.*Conv.*' \(Conv\): the kernel \(11\) is larger than its padded input along spatial axis 0 \(8 \+ pads 1 \+ 1 = 10\); use a smaller kernel, more padding or a larger input$/,
    ),
  );
  const r = inspectModel(bigKernel(11), 'x.onnx');
  assert.equal(r.trainable, false);
  assert.match(r.problems.join('\n'), /the kernel \(11\) is larger than its padded input/);
});

test("gymnosd check and gradcheck: one-line user errors (exit 2), or check's report of the problem (exit 1)", async () => {
  const ghost = cnn();
  ghost.graph.nodes.find((n) => n.opType === 'Relu')!.inputs[0] = 'ghost\x1b]0;title\x07';
  saveModel(ghost, join(dir, 'ghost.onnx'));
  for (const cmd of ['check', 'gradcheck']) {
    const r = await captureCli([cmd, join(dir, 'ghost.onnx')]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /^gymnosd: .*ghost\.onnx: node '.*' \(Relu\) reads 'ghost\\x1b\]0;title\\x07', which no node/);
    assert.equal(r.err.split('\n').length, 2, r.err);
  }
  saveModel(bigKernel(11), join(dir, 'bigk.onnx'));
  const c = await captureCli(['check', join(dir, 'bigk.onnx')]);
  assert.equal(c.code, 1, c.err);
  assert.match(
    c.out,
    /problem: shape inference failed: node '.*' \(Conv\): the kernel \(11\) is larger than its padded input/,
  );
  const g = await captureCli(['gradcheck', join(dir, 'bigk.onnx')]);
  assert.equal(g.code, 2, g.err);
  assert.match(g.err, /^gymnosd: node '.*' \(Conv\): the kernel \(11\) is larger than its padded input[^\n]*\n$/);
});

test('printable escapes control, format and private-use characters and keeps the rest', () => {
  assert.equal(printable('plain ascii, ünïcode, 日本'), 'plain ascii, ünïcode, 日本');
  assert.equal(printable('a\x00b\x1b[2J\x7f\u0085\u202e\ue000'), 'a\\x00b\\x1b[2J\\x7f\\x85\\u{202e}\\u{e000}');
});
