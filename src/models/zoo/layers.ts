/**
 * Layer helpers for the built-in architectures: each appends standard ONNX nodes and initializes
 * its weights from a seeded generator (He/Kaiming uniform for ReLU networks, as PyTorch's
 * `kaiming_uniform_` with gain sqrt(2); biases zero; BatchNormalization scale 1, shift 0).
 */
import { A, emptyGraph, type Graph, type Model } from '../../onnx/ir.js';
import { GraphBuilder } from '../../onnx/builder.js';
import { tensor, sizeOf } from '../../onnx/tensor.js';
import { CANONICAL_IR_VERSION, CANONICAL_OPSET } from '../../onnx/opset.js';
import { Rng } from '../../util/rng.js';
import { GYMNOS_VERSION } from '../../util/version.js';
import { inferShapes } from '../../onnx/shapes/infer.js';

/** Builds a model layer by layer with named, initialized parameters. */
export class LayerBuilder {
  readonly graph: Graph;
  readonly b: GraphBuilder;
  private readonly rng: Rng;
  private index = 0;

  constructor(name: string, seed: number) {
    this.graph = emptyGraph(name);
    this.b = new GraphBuilder(this.graph, name);
    this.rng = new Rng(seed);
  }

  /** A uniformly initialized parameter in [-bound, bound] (learned positions, embeddings, ...). */
  param(name: string, dims: number[], bound: number): string {
    const data = Float32Array.from({ length: sizeOf(dims) }, () => this.rng.uniform(-bound, bound));
    this.graph.initializers.set(name, tensor('float32', dims, data));
    return name;
  }

  private constParam(name: string, dims: number[], value: number): string {
    this.graph.initializers.set(name, tensor('float32', dims, new Float32Array(sizeOf(dims)).fill(value)));
    return name;
  }

  private next(kind: string): string {
    return `${kind}${this.index++}`;
  }

  /** Fully connected layer y = x W^T + b (weights [out, in], as PyTorch stores them). */
  dense(x: string, inFeatures: number, outFeatures: number, name = this.next('fc')): string {
    const w = this.param(`${name}.weight`, [outFeatures, inFeatures], Math.sqrt(6 / inFeatures));
    const bias = this.constParam(`${name}.bias`, [outFeatures], 0);
    return this.b.op('Gemm', [x, w, bias], { transB: 1 }, name);
  }

  /** 2-D convolution, square kernel, 'same' padding when `pad` is omitted and the stride is 1. */
  conv2d(
    x: string,
    cin: number,
    cout: number,
    k: number,
    opts: { stride?: number; pad?: number; group?: number; bias?: boolean } = {},
    name = this.next('conv'),
  ): string {
    const group = opts.group ?? 1;
    const fanIn = (cin / group) * k * k;
    const w = this.param(`${name}.weight`, [cout, cin / group, k, k], Math.sqrt(6 / fanIn));
    const pad = opts.pad ?? (k - 1) / 2;
    const inputs = [x, w];
    if (opts.bias ?? true) inputs.push(this.constParam(`${name}.bias`, [cout], 0));
    return this.b.op(
      'Conv',
      inputs,
      { kernel_shape: [k, k], strides: [opts.stride ?? 1, opts.stride ?? 1], pads: [pad, pad, pad, pad], group },
      name,
    );
  }

  /** BatchNormalization (inference form; Gymnos rewrites it to training mode when training). */
  batchNorm(x: string, channels: number, name = this.next('bn')): string {
    const scale = this.constParam(`${name}.weight`, [channels], 1);
    const bias = this.constParam(`${name}.bias`, [channels], 0);
    const mean = this.constParam(`${name}.running_mean`, [channels], 0);
    const variance = this.constParam(`${name}.running_var`, [channels], 1);
    return this.b.op(
      'BatchNormalization',
      [x, scale, bias, mean, variance],
      { epsilon: A.float(1e-5), momentum: A.float(0.9) },
      name,
    );
  }

  relu(x: string): string {
    return this.b.op('Relu', [x]);
  }

  maxPool(x: string, k: number, stride = k): string {
    return this.b.op('MaxPool', [x], { kernel_shape: [k, k], strides: [stride, stride] });
  }

  dropout(x: string, ratio: number): string {
    return this.b.op('Dropout', [x, this.b.constant('float32', ratio, [])]);
  }

  flatten(x: string): string {
    return this.b.op('Flatten', [x], { axis: 1 });
  }

  add(a: string, b: string): string {
    return this.b.op('Add', [a, b]);
  }

  /** ReLU6 as ONNX exporters write it: Clip(x, 0, 6) with the bounds as inputs. */
  relu6(x: string): string {
    return this.b.op('Clip', [x, this.b.constant('float32', 0, []), this.b.constant('float32', 6, [])]);
  }

  globalAvgPool(x: string): string {
    return this.b.op('GlobalAveragePool', [x]);
  }

  /** BatchNormalization then ReLU (the usual conv block tail). */
  bnRelu(x: string, channels: number, name?: string): string {
    return this.relu(this.batchNorm(x, channels, name));
  }

  /**
   * Linear layer on the last axis of an N-D input: MatMul(x, W) + b with W stored [in, out]
   * (the layout PyTorch's exporter emits for nn.Linear on 3-D inputs), Kaiming-uniform init
   * (`gain` 1 gives PyTorch's default bound 1/sqrt(in) times sqrt(3)).
   */
  linear(x: string, inFeatures: number, outFeatures: number, name = this.next('linear'), gain = Math.SQRT2): string {
    const w = this.param(`${name}.weight`, [inFeatures, outFeatures], gain * Math.sqrt(3 / inFeatures));
    const bias = this.constParam(`${name}.bias`, [outFeatures], 0);
    return this.b.op('Add', [this.b.op('MatMul', [x, w], {}, `${name}/matmul`), bias], {}, name);
  }

  /** LayerNormalization over the last axis (scale 1, shift 0). */
  layerNorm(x: string, dim: number, name = this.next('ln'), epsilon = 1e-5): string {
    const scale = this.constParam(`${name}.weight`, [dim], 1);
    const bias = this.constParam(`${name}.bias`, [dim], 0);
    return this.b.op('LayerNormalization', [x, scale, bias], { axis: -1, epsilon: A.float(epsilon) }, name);
  }

  /** Exact GELU decomposed for opset 18: 0.5 x (1 + erf(x / sqrt 2)). */
  gelu(x: string): string {
    const b = this.b;
    const erf = b.op('Erf', [b.op('Mul', [x, b.constant('float32', Math.SQRT1_2, [])])]);
    return b.op(
      'Mul',
      [b.op('Mul', [x, b.constant('float32', 0.5, [])]), b.op('Add', [erf, b.constant('float32', 1, [])])],
      {},
      'gelu',
    );
  }

  /** Embedding lookup: Gather(table [vocab, dim], ids), table ~ U(-bound, bound). */
  embedding(ids: string, vocab: number, dim: number, name = this.next('embed'), bound = Math.sqrt(3)): string {
    const table = this.param(`${name}.weight`, [vocab, dim], bound);
    return this.b.op('Gather', [table, ids], { axis: 0 }, name);
  }

  reshape(x: string, shape: number[]): string {
    return this.b.op('Reshape', [x, this.b.ints(shape)]);
  }

  transpose(x: string, perm: number[]): string {
    return this.b.op('Transpose', [x], { perm });
  }

  /** Mean over `axes`, dropping them unless `keepdims`. */
  mean(x: string, axes: number[], keepdims = false): string {
    return this.b.op('ReduceMean', [x, this.b.ints(axes)], { keepdims: keepdims ? 1 : 0 });
  }

  /** Finishes the graph: declares the input and the output, returns the model. */
  finish(
    input: { name: string; shape: Array<number | string>; dtype?: 'float32' | 'int64' },
    output: string,
    outputName = 'logits',
  ): Model {
    this.graph.inputs = [{ name: input.name, dtype: input.dtype ?? 'float32', shape: input.shape }];
    this.b.emit('Identity', [output], [outputName]);
    // declare the output's shape (its rank at least), so exports say what they return
    const shape = inferShapes(this.graph, CANONICAL_OPSET).info.get(outputName)?.shape;
    this.graph.outputs = [{ name: outputName, dtype: 'float32', ...(shape ? { shape } : {}) }];
    return {
      irVersion: CANONICAL_IR_VERSION,
      opset: new Map([['', CANONICAL_OPSET]]),
      producerName: 'gymnos',
      producerVersion: GYMNOS_VERSION,
      domain: '',
      modelVersion: 1,
      docString: this.graph.name,
      metadata: {},
      graph: this.graph,
    };
  }
}
