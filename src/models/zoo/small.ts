/** Small built-in architectures used by the quickstart, the tests and the benchmarks. */
import type { Model } from '../../onnx/ir.js';
import { LayerBuilder } from './layers.js';

export interface MlpOptions {
  inputs: number;
  hidden: number[];
  classes: number;
  dropout?: number;
  seed?: number;
}

/** Multi-layer perceptron: Gemm + ReLU (+ Dropout) per hidden layer, then a Gemm to the classes. */
export function buildMlp(o: MlpOptions): Model {
  const l = new LayerBuilder('mlp', o.seed ?? 1);
  let x = 'input';
  let width = o.inputs;
  for (const h of o.hidden) {
    x = l.relu(l.dense(x, width, h));
    if (o.dropout) x = l.dropout(x, o.dropout);
    width = h;
  }
  return l.finish({ name: 'input', shape: ['N', o.inputs] }, l.dense(x, width, o.classes));
}

export interface CnnOptions {
  /** Input [channels, height, width]. */
  input: [number, number, number];
  /** Output channels of each 3x3 conv block (conv, [batchnorm], relu, maxpool 2). */
  channels: number[];
  classes: number;
  batchNorm?: boolean;
  dropout?: number;
  /** Hidden width of a dense layer before the classifier (0: none). */
  hidden?: number;
  seed?: number;
}

/** A LeNet-style CNN: 3x3 'same' conv blocks with 2x2 max pooling, then dense layers. */
export function buildCnn(o: CnnOptions): Model {
  const l = new LayerBuilder('cnn', o.seed ?? 1);
  let [c, h, w] = o.input;
  let x = 'input';
  for (const out of o.channels) {
    x = l.conv2d(x, c, out, 3, { bias: !o.batchNorm });
    if (o.batchNorm) x = l.batchNorm(x, out);
    x = l.maxPool(l.relu(x), 2);
    c = out;
    h = Math.floor(h / 2);
    w = Math.floor(w / 2);
  }
  x = l.flatten(x);
  let width = c * h * w;
  if (o.dropout) x = l.dropout(x, o.dropout);
  if (o.hidden) {
    x = l.relu(l.dense(x, width, o.hidden));
    width = o.hidden;
  }
  return l.finish({ name: 'input', shape: ['N', ...o.input] }, l.dense(x, width, o.classes));
}
