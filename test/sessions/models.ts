/** Small models for the session tests, built with the IR and encoded at opset 18, IR version 8. */
import { emptyGraph, type Graph } from '../../src/onnx/ir.js';
import { encodeModel } from '../../src/onnx/io.js';
import { tensor } from '../../src/onnx/tensor.js';

export function encode(graph: Graph): Uint8Array {
  return encodeModel({
    irVersion: 8,
    opset: new Map([['', 18]]),
    producerName: 'gymnos-test',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    graph,
  });
}

/** y = x @ W + b with W = [[1, 2, 3], [4, 5, 6]], b = [0.5, -1, 2]; x is [N, 2]. */
export function affineModel(): Uint8Array {
  const g = emptyGraph('affine');
  g.inputs.push({ name: 'x', dtype: 'float32', shape: ['N', 2] });
  g.initializers.set('W', tensor('float32', [2, 3], [1, 2, 3, 4, 5, 6]));
  g.initializers.set('b', tensor('float32', [3], [0.5, -1, 2]));
  g.nodes.push({ name: 'mm', opType: 'MatMul', domain: '', inputs: ['x', 'W'], outputs: ['xw'], attrs: {} });
  g.nodes.push({ name: 'add', opType: 'Add', domain: '', inputs: ['xw', 'b'], outputs: ['y'], attrs: {} });
  g.outputs.push({ name: 'y', dtype: 'float32', shape: ['N', 3] });
  return encode(g);
}

/** Plain TS reference of affineModel. */
export function affineReference(x: Float32Array): Float32Array {
  const W = [1, 2, 3, 4, 5, 6];
  const b = [0.5, -1, 2];
  const n = x.length / 2;
  const y = new Float32Array(n * 3);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < 3; j++) y[i * 3 + j] = x[i * 2] * W[j] + x[i * 2 + 1] * W[3 + j] + b[j];
  return y;
}

/** `depth` square MatMuls of size `n` (with a Tanh between to keep values bounded): a slow run. */
export function heavyModel(n: number, depth: number): Uint8Array {
  const g = emptyGraph('heavy');
  g.inputs.push({ name: 'x', dtype: 'float32', shape: [n, n] });
  const w = new Float32Array(n * n).map((_, i) => (((i * 7919) % 13) - 6) / (6 * n));
  g.initializers.set('W', tensor('float32', [n, n], w));
  let cur = 'x';
  for (let k = 0; k < depth; k++) {
    g.nodes.push({ name: `mm${k}`, opType: 'MatMul', domain: '', inputs: [cur, 'W'], outputs: [`m${k}`], attrs: {} });
    g.nodes.push({ name: `t${k}`, opType: 'Tanh', domain: '', inputs: [`m${k}`], outputs: [`h${k}`], attrs: {} });
    cur = `h${k}`;
  }
  g.outputs.push({ name: cur, dtype: 'float32', shape: [n, n] });
  return encode(g);
}
