/**
 * Graphs in the shapes real exporters emit, written node by node: names, weight storage
 * (initializers, initializers repeated as graph inputs, Constant nodes), opsets and op idioms of
 * torch.onnx (1.x at opset 9, 2.x at 13 and 18), tf2onnx (NHWC Transposes around Conv, MatMul +
 * Add, Reshape to flatten) and paddle2onnx (linear_0.w_0 names, opset 17 ReduceMean attributes).
 */
import { emptyGraph, type Attr, type Graph, type Model } from '../../src/onnx/ir.js';
import { tensor, sizeOf, type Tensor } from '../../src/onnx/tensor.js';
import { Rng } from '../../src/util/rng.js';

const A = {
  i: (value: number): Attr => ({ type: 'int', value }),
  f: (value: number): Attr => ({ type: 'float', value }),
  is: (value: number[]): Attr => ({ type: 'ints', value }),
  s: (value: string): Attr => ({ type: 'string', value }),
  t: (value: Tensor): Attr => ({ type: 'tensor', value }),
};

class Writer {
  readonly g: Graph;
  private readonly rng: Rng;
  private k = 0;
  constructor(
    name: string,
    seed: number,
    private readonly constantWeights = false,
  ) {
    this.g = emptyGraph(name);
    this.rng = new Rng(seed);
  }
  /** A weight, as an initializer or (constantWeights) as a Constant node. */
  w(name: string, dims: number[], scale = Math.sqrt(3 / (dims.length > 1 ? sizeOf(dims.slice(1)) : dims[0]))): string {
    const t = tensor(
      'float32',
      dims,
      Float32Array.from({ length: sizeOf(dims) }, () => this.rng.uniform(-scale, scale)),
    );
    return this.put(name, t);
  }
  fill(name: string, dims: number[], v: number): string {
    return this.put(name, tensor('float32', dims, new Float32Array(sizeOf(dims)).fill(v)));
  }
  i64(name: string, values: number[]): string {
    this.g.initializers.set(name, tensor('int64', [values.length], values));
    return name;
  }
  f32(name: string, v: number): string {
    this.g.initializers.set(name, tensor('float32', [], [v]));
    return name;
  }
  private put(name: string, t: Tensor): string {
    if (this.constantWeights)
      this.g.nodes.push({
        name: `Constant_${this.k++}`,
        opType: 'Constant',
        domain: '',
        inputs: [],
        outputs: [name],
        attrs: { value: A.t(t) },
      });
    else this.g.initializers.set(name, t);
    return name;
  }
  n(op: string, inputs: string[], out: string, attrs: Record<string, Attr> = {}): string {
    this.g.nodes.push({ name: `${op}_${this.k++}`, opType: op, domain: '', inputs, outputs: [out], attrs });
    return out;
  }
  model(
    opset: number,
    producer: string,
    version: string,
    ir: number,
    input: { name: string; shape: Array<number | string> },
    output: string,
  ): Model {
    this.g.inputs.unshift({ name: input.name, dtype: 'float32', shape: input.shape });
    this.g.outputs = [{ name: output, dtype: 'float32' }];
    return {
      irVersion: ir,
      opset: new Map([['', opset]]),
      producerName: producer,
      producerVersion: version,
      domain: '',
      modelVersion: 0,
      docString: '',
      metadata: {},
      graph: this.g,
    };
  }
}

/**
 * torch.onnx 1.x, opset 9: a CNN with Pad/Clip/Slice/Dropout in their attribute forms,
 * BatchNormalization in inference form, Gemm(transB=1) and LogSoftmax(axis=1); initializers are
 * also listed as graph inputs (IR 4 style). Input [batch, 1, 8, 8], output log-probabilities [batch, 10].
 */
export function torchOpset9Cnn(): Model {
  const w = new Writer('torch-jit-export', 1);
  let x = w.n('Pad', ['input.1'], '9', { pads: A.is([0, 0, 1, 1, 0, 0, 1, 1]), mode: A.s('constant'), value: A.f(0) });
  x = w.n('Conv', [x, w.w('conv1.weight', [8, 1, 3, 3]), w.w('conv1.bias', [8], 0.1)], '10', {
    kernel_shape: A.is([3, 3]),
    pads: A.is([0, 0, 0, 0]),
    strides: A.is([1, 1]),
    dilations: A.is([1, 1]),
    group: A.i(1),
  });
  x = w.n(
    'BatchNormalization',
    [
      x,
      w.fill('bn1.weight', [8], 1),
      w.fill('bn1.bias', [8], 0),
      w.fill('bn1.running_mean', [8], 0),
      w.fill('bn1.running_var', [8], 1),
    ],
    '11',
    { epsilon: A.f(1e-5), momentum: A.f(0.9) },
  );
  x = w.n('Clip', [x], '12', { min: A.f(0), max: A.f(6) });
  x = w.n('MaxPool', [x], '13', { kernel_shape: A.is([2, 2]), strides: A.is([2, 2]), pads: A.is([0, 0, 0, 0]) });
  x = w.n('Slice', [x], '14', { axes: A.is([1]), starts: A.is([0]), ends: A.is([6]) });
  x = w.n('Flatten', [x], '15', { axis: A.i(1) });
  x = w.n('Dropout', [x], '16', { ratio: A.f(0.25) });
  x = w.n('Gemm', [x, w.w('fc.weight', [10, 96]), w.w('fc.bias', [10], 0.1)], '17', {
    alpha: A.f(1),
    beta: A.f(1),
    transB: A.i(1),
  });
  w.n('LogSoftmax', [x], 'output', { axis: A.i(1) });
  const m = w.model(9, 'pytorch', '1.4', 4, { name: 'input.1', shape: ['batch_size', 1, 8, 8] }, 'output');
  // IR < 4 exporters list every initializer as a graph input too
  for (const [name, t] of m.graph.initializers) m.graph.inputs.push({ name, dtype: t.dtype, shape: [...t.dims] });
  return m;
}

/**
 * torch.onnx at opset 13, weights as Constant nodes (as `do_constant_folding=False` exports):
 * Gemm(transB=1), LayerNorm decomposed into ReduceMean/Sub/Pow/Add/Sqrt/Div/Mul/Add (the opset < 17
 * form), HardSigmoid (nn.Hardsigmoid), Unsqueeze/Squeeze with axes inputs. Input [N, 12], output [N, 5].
 */
export function torchOpset13Mlp(): Model {
  const w = new Writer('torch_jit', 2, true);
  let x = w.n('Gemm', ['input', w.w('fc1.weight', [16, 12]), w.w('fc1.bias', [16], 0.1)], '/fc1/Gemm_output_0', {
    alpha: A.f(1),
    beta: A.f(1),
    transB: A.i(1),
  });
  const mean = w.n('ReduceMean', [x], '/ln/ReduceMean_output_0', { axes: A.is([-1]), keepdims: A.i(1) });
  const d = w.n('Sub', [x, mean], '/ln/Sub_output_0');
  const v = w.n(
    'ReduceMean',
    [w.n('Pow', [d, w.f32('/ln/Constant_output_0', 2)], '/ln/Pow_output_0')],
    '/ln/ReduceMean_1_output_0',
    { axes: A.is([-1]), keepdims: A.i(1) },
  );
  const sd = w.n(
    'Sqrt',
    [w.n('Add', [v, w.f32('/ln/Constant_1_output_0', 1e-5)], '/ln/Add_output_0')],
    '/ln/Sqrt_output_0',
  );
  x = w.n(
    'Add',
    [
      w.n('Mul', [w.n('Div', [d, sd], '/ln/Div_output_0'), w.fill('ln.weight', [16], 1)], '/ln/Mul_output_0'),
      w.fill('ln.bias', [16], 0),
    ],
    '/ln/Add_1_output_0',
  );
  x = w.n('HardSigmoid', [x], '/act/HardSigmoid_output_0', { alpha: A.f(1 / 6) });
  x = w.n('Unsqueeze', [x, w.i64('/Constant_2_output_0', [1])], '/Unsqueeze_output_0');
  x = w.n('Squeeze', [x, w.i64('/Constant_3_output_0', [1])], '/Squeeze_output_0');
  w.n('Gemm', [x, w.w('fc2.weight', [5, 16]), w.w('fc2.bias', [5], 0.1)], 'output', {
    alpha: A.f(1),
    beta: A.f(1),
    transB: A.i(1),
  });
  return w.model(13, 'pytorch', '1.13.1', 7, { name: 'input', shape: ['batch', 12] }, 'output');
}

/**
 * tf2onnx at opset 13 from a Keras Sequential CNN: NHWC input, Transposes around Conv and MaxPool,
 * Conv with the bias folded in, Reshape to flatten, Dense as MatMul + Add, Softmax output.
 * Input [unk__6, 8, 8, 1], output probabilities [unk__6, 10].
 */
export function tf2onnxOpset13Cnn(): Model {
  const w = new Writer('tf2onnx', 3);
  let x = w.n('Transpose', ['input_1'], 'sequential/conv2d/BiasAdd__6:0', { perm: A.is([0, 3, 1, 2]) });
  x = w.n(
    'Conv',
    [
      x,
      w.w('sequential/conv2d/Conv2D/ReadVariableOp:0', [6, 1, 3, 3]),
      w.w('sequential/conv2d/BiasAdd/ReadVariableOp:0', [6], 0.1),
    ],
    'sequential/conv2d/BiasAdd:0',
    { kernel_shape: A.is([3, 3]), strides: A.is([1, 1]), dilations: A.is([1, 1]), pads: A.is([1, 1, 1, 1]) },
  );
  x = w.n('Relu', [x], 'sequential/conv2d/Relu:0');
  x = w.n('MaxPool', [x], 'sequential/max_pooling2d/MaxPool:0', { kernel_shape: A.is([2, 2]), strides: A.is([2, 2]) });
  x = w.n('Transpose', [x], 'sequential/max_pooling2d/MaxPool__12:0', { perm: A.is([0, 2, 3, 1]) });
  x = w.n('Reshape', [x, w.i64('const_fold_opt__20', [-1, 96])], 'sequential/flatten/Reshape:0');
  x = w.n('MatMul', [x, w.w('sequential/dense/MatMul/ReadVariableOp:0', [96, 16])], 'sequential/dense/MatMul:0');
  x = w.n(
    'Relu',
    [w.n('Add', [x, w.w('sequential/dense/BiasAdd/ReadVariableOp:0', [16], 0.1)], 'sequential/dense/BiasAdd:0')],
    'sequential/dense/Relu:0',
  );
  x = w.n('MatMul', [x, w.w('sequential/dense_1/MatMul/ReadVariableOp:0', [16, 10])], 'sequential/dense_1/MatMul:0');
  x = w.n('Add', [x, w.w('sequential/dense_1/BiasAdd/ReadVariableOp:0', [10], 0.1)], 'sequential/dense_1/BiasAdd:0');
  w.n('Softmax', [x], 'dense_1', { axis: A.i(-1) });
  return w.model(13, 'tf2onnx', '1.16.1 15c810', 7, { name: 'input_1', shape: ['unk__6', 8, 8, 1] }, 'dense_1');
}

/**
 * paddle2onnx at opset 17: Conv + BatchNormalization (inference), ReLU6 as Clip with inputs,
 * HardSwish, global pooling as ReduceMean with an axes attribute (opset < 18), Linear as MatMul + Add
 * with `linear_0.w_0` names. Input [-1, 3, 8, 8] (dim_param 'x'), output logits [-1, 4].
 */
export function paddleOpset17(): Model {
  const w = new Writer('paddle', 4);
  let x = w.n('Conv', ['x', w.w('conv2d_0.w_0', [8, 3, 3, 3])], 'conv2d_1.tmp_0', {
    kernel_shape: A.is([3, 3]),
    strides: A.is([2, 2]),
    pads: A.is([1, 1, 1, 1]),
    group: A.i(1),
    dilations: A.is([1, 1]),
  });
  x = w.n(
    'BatchNormalization',
    [
      x,
      w.fill('batch_norm_0.w_0', [8], 1),
      w.fill('batch_norm_0.b_0', [8], 0),
      w.fill('batch_norm_0.w_1', [8], 0),
      w.fill('batch_norm_0.w_2', [8], 1),
    ],
    'batch_norm_0.tmp_2',
    { epsilon: A.f(1e-5), momentum: A.f(0.9) },
  );
  x = w.n('Clip', [x, w.f32('clip_min', 0), w.f32('clip_max', 6)], 'relu6_0.tmp_0');
  x = w.n('Conv', [x, w.w('conv2d_1.w_0', [8, 1, 3, 3]), w.w('conv2d_1.b_0', [8], 0.1)], 'depthwise_conv2d_0.tmp_1', {
    kernel_shape: A.is([3, 3]),
    pads: A.is([1, 1, 1, 1]),
    group: A.i(8),
  });
  x = w.n('HardSwish', [x], 'hardswish_0.tmp_0');
  x = w.n('ReduceMean', [x], 'pool2d_0.tmp_0', { axes: A.is([2, 3]), keepdims: A.i(0) });
  x = w.n('MatMul', [x, w.w('linear_0.w_0', [8, 4])], 'linear_0.tmp_0');
  w.n('Add', [x, w.w('linear_0.b_0', [4], 0.1)], 'linear_0.tmp_1');
  return w.model(17, 'PaddlePaddle', '', 8, { name: 'x', shape: ['x', 3, 8, 8] }, 'linear_0.tmp_1');
}

/**
 * torch.onnx (2.x) at opset 18: one Transformer encoder layer on features [batch, 6, 8]:
 * LayerNormalization, nn.Linear on 3-D inputs as MatMul with a pre-transposed `onnx::MatMul_*`
 * weight + Add, heads by Reshape/Transpose, Softmax(-1), exact GELU as Div/Erf/Add/Mul/Mul,
 * mean pooling as ReduceMean with an axes input, then a Gemm classifier. Output [batch, 3].
 */
export function torchOpset18Encoder(): Model {
  const w = new Writer('main_graph', 5);
  const [T, d, h] = [6, 8, 2];
  const lin = (x: string, name: string, i: number, o: number) =>
    w.n(
      'Add',
      [
        w.n('MatMul', [x, w.w(`onnx::MatMul_${name}`, [i, o], Math.sqrt(1 / i))], `/${name}/MatMul_output_0`),
        w.w(`${name}.bias`, [o], 0.05),
      ],
      `/${name}/Add_output_0`,
    );
  const ln = (x: string, name: string) =>
    w.n(
      'LayerNormalization',
      [x, w.fill(`${name}.weight`, [d], 1), w.fill(`${name}.bias`, [d], 0)],
      `/${name}/LayerNormalization_output_0`,
      { axis: A.i(-1), epsilon: A.f(1e-5) },
    );
  const heads = (x: string, name: string, perm: number[]) =>
    w.n(
      'Transpose',
      [w.n('Reshape', [x, w.i64(`/${name}/Constant_output_0`, [0, T, h, d / h])], `/${name}/Reshape_output_0`)],
      `/${name}/Transpose_output_0`,
      { perm: A.is(perm) },
    );
  const y = ln('src', 'norm1');
  const q = heads(lin(y, 'q_proj', d, d), 'q', [0, 2, 1, 3]);
  const k = heads(lin(y, 'k_proj', d, d), 'k', [0, 2, 3, 1]);
  const v = heads(lin(y, 'v_proj', d, d), 'v', [0, 2, 1, 3]);
  const s = w.n(
    'Div',
    [w.n('MatMul', [q, k], '/attn/MatMul_output_0'), w.f32('/attn/Constant_output_0', Math.sqrt(d / h))],
    '/attn/Div_output_0',
  );
  const a = w.n(
    'MatMul',
    [w.n('Softmax', [s], '/attn/Softmax_output_0', { axis: A.i(-1) }), v],
    '/attn/MatMul_1_output_0',
  );
  const ctx = w.n(
    'Reshape',
    [
      w.n('Transpose', [a], '/attn/Transpose_output_0', { perm: A.is([0, 2, 1, 3]) }),
      w.i64('/attn/Constant_1_output_0', [0, T, d]),
    ],
    '/attn/Reshape_output_0',
  );
  let x = w.n('Add', ['src', lin(ctx, 'out_proj', d, d)], '/Add_output_0');
  const f = lin(ln(x, 'norm2'), 'linear1', d, 16);
  const erf = w.n(
    'Erf',
    [w.n('Div', [f, w.f32('/act/Constant_output_0', Math.SQRT2)], '/act/Div_output_0')],
    '/act/Erf_output_0',
  );
  const g = w.n(
    'Mul',
    [
      w.n(
        'Mul',
        [f, w.n('Add', [erf, w.f32('/act/Constant_1_output_0', 1)], '/act/Add_output_0')],
        '/act/Mul_output_0',
      ),
      w.f32('/act/Constant_2_output_0', 0.5),
    ],
    '/act/Mul_1_output_0',
  );
  x = w.n('Add', [x, lin(g, 'linear2', 16, d)], '/Add_1_output_0');
  x = w.n('ReduceMean', [x, w.i64('/pool/Constant_output_0', [1])], '/pool/ReduceMean_output_0', { keepdims: A.i(0) });
  w.n('Gemm', [x, w.w('classifier.weight', [3, d]), w.w('classifier.bias', [3], 0.05)], 'logits', {
    alpha: A.f(1),
    beta: A.f(1),
    transB: A.i(1),
  });
  return w.model(18, 'pytorch', '2.3.0', 8, { name: 'src', shape: ['batch', T, d] }, 'logits');
}
