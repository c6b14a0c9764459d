/**
 * Training-mode rewrites, applied to the train-step graph before autodiff:
 *
 * - BatchNormalization (inference form) normalizes with the batch statistics: mean and biased
 *   variance over all axes but 1 are computed with ReduceMean and fed to the same BN node, whose
 *   gradient rule (rules/norm.ts) recognizes the pattern and uses the closed form. The running
 *   statistics become graph inputs carried like optimizer state, updated with the ONNX momentum
 *   convention `running = running * momentum + batch * (1 - momentum)`; like PyTorch, the running
 *   variance takes the UNBIASED batch variance (times M / (M - 1), M = elements per channel) while
 *   the normalization itself uses the biased one.
 * - Dropout gets a mask computed in-graph from (seed, step, per-node salt, element index) by int64
 *   hashing, so the same (seed, step) gives the same mask in any session (bit-exact resume).
 *
 * Callers wire `stateOutputs` as graph outputs and re-run shape inference afterwards.
 */
import type { Dim, Graph, Node, ValueInfo } from '../onnx/ir.js';
import { attrFloat, nodeDependencies } from '../onnx/ir.js';
import { GraphBuilder } from '../onnx/builder.js';
import type { ShapeTable } from '../onnx/shapes/infer.js';
import { toNumbers, type DType } from '../onnx/tensor.js';
import { AutodiffError } from './rule.js';
import { batchAxes } from './rules/norm.js';

export interface TrainingRewrite {
  /** Graph inputs the rewrite added (running statistics lifted from initializers). */
  stateInputs: ValueInfo[];
  /** Updated values of carried state: `output` is the next value of graph input `input`. */
  stateOutputs: Array<{ input: string; output: string }>;
}

export interface TrainingRewriteOptions {
  /** int64 scalar graph input: the dropout seed. */
  dropoutSeedInput: string;
  /** int64 scalar graph input: the training step. */
  stepInput: string;
  /**
   * How BatchNormalization trains: 'fused' (default; batch statistics + the inference BN node with
   * a closed-form gradient) or 'primitives' (plain ReduceMean/Sub/Mul/... differentiated op by op).
   * 'fused' measured faster (see test/autodiff/training-mode.test.ts and the report).
   */
  batchNorm?: 'fused' | 'primitives';
}

const MASK31 = 2 ** 31 - 1;
// LCG multipliers/increments (odd, < 2^31 so every product of two 31-bit values stays < 2^62)
const ROUNDS: Array<[number, number, number]> = [
  [1103515245, 12345, 13],
  [1664525, 1013904223 & MASK31, 11],
  [22695477, 1, 15],
];

/** Rewrites BatchNormalization and Dropout nodes of `graph` (top level) in place for training. */
export function rewriteForTraining(graph: Graph, shapes: ShapeTable, opts: TrainingRewriteOptions): TrainingRewrite {
  const out: TrainingRewrite = { stateInputs: [], stateOutputs: [] };
  const nodes: Node[] = [];
  const dropped = new Set<string>();
  const b = new GraphBuilder(graph, 'train_mode', nodes);
  const inputNames = new Set(graph.inputs.map((v) => v.name));
  for (const name of [opts.dropoutSeedInput, opts.stepInput]) {
    if (!inputNames.has(name))
      throw new AutodiffError(`rewriteForTraining: '${name}' must be an int64 scalar graph input`);
  }
  for (const node of graph.nodes) {
    if (node.domain === '' && (node.opType === 'BatchNormalization' || node.opType === 'Dropout')) {
      node.inputs.forEach((i) => {
        if (graph.initializers.has(i)) dropped.add(i);
      });
    }
    if (node.domain === '' && node.opType === 'BatchNormalization')
      batchNorm(graph, shapes, b, node, out, opts.batchNorm ?? 'fused');
    else if (node.domain === '' && node.opType === 'Dropout') dropout(graph, shapes, b, node, opts);
    else nodes.push(node);
  }
  // keep the array's identity: builders made before the rewrite still append to the graph
  graph.nodes.splice(0, graph.nodes.length, ...nodes);
  // drop initializers only the replaced nodes read (dropout ratio, training_mode flags)
  const read = new Set(nodes.flatMap((n) => nodeDependencies(n)));
  for (const n of dropped) if (!read.has(n) && !graph.outputs.some((o) => o.name === n)) graph.initializers.delete(n);
  return out;
}

function where(n: Node): string {
  return `node '${n.name}' (${n.opType})`;
}

function batchNorm(
  graph: Graph,
  shapes: ShapeTable,
  b: GraphBuilder,
  node: Node,
  out: TrainingRewrite,
  form: 'fused' | 'primitives',
): void {
  const [x, scale, bias, runMean, runVar] = node.inputs;
  const info = shapes.info.get(x);
  if (!info?.shape)
    throw new AutodiffError(`${where(node)}: the shape of its input '${x}' is unknown; give the model inputs shapes`);
  const rank = info.shape.length;
  const dtype = info.dtype;
  const axes = batchAxes(rank);
  const eps = attrFloat(node, 'epsilon', 1e-5);
  const momentum = attrFloat(node, 'momentum', 0.9);
  const k = (v: number) => b.constant(dtype, v, []);
  const ax = b.ints(axes);
  const meanK = b.op('ReduceMean', [x, ax], { keepdims: 1 }, 'bn_mean');
  const xc = b.op('Sub', [x, meanK], {}, 'bn_centered');
  const mean = b.op('Reshape', [meanK, b.ints([-1])], {}, 'bn_batch_mean');
  let variance: string;
  if (form === 'fused') {
    variance = b.op('ReduceMean', [b.op('Mul', [xc, xc]), ax], { keepdims: 0 }, 'bn_var');
    b.emit('BatchNormalization', [x, scale, bias, mean, variance], [node.outputs[0]], {
      epsilon: { type: 'float', value: eps },
    });
  } else {
    const perCh = (t: string) =>
      rank > 2 ? b.op('Unsqueeze', [t, b.ints(Array.from({ length: rank - 2 }, (_, i) => i + 1))]) : t;
    const varK = b.op('ReduceMean', [b.op('Mul', [xc, xc]), ax], { keepdims: 1 });
    variance = b.op('Reshape', [varK, b.ints([-1])], {}, 'bn_var');
    const invstd = b.op('Reciprocal', [b.op('Sqrt', [b.op('Add', [varK, k(eps)])])]);
    const xhat = b.op('Mul', [xc, invstd]);
    b.emit('Add', [b.op('Mul', [xhat, perCh(scale)]), perCh(bias)], [node.outputs[0]]);
  }
  // elements per channel, for the unbiased running variance
  const dims = axes.map((a) => info.shape![a]);
  let unbias: string;
  if (dims.every((d) => typeof d === 'number')) {
    const m = (dims as number[]).reduce((p, d) => p * d, 1);
    unbias = k(m > 1 ? m / (m - 1) : 1);
  } else {
    const m = b.op('Cast', [b.op('ReduceProd', [b.op('Gather', [b.op('Shape', [x]), ax])], { keepdims: 0 })], {
      to: dtypeCode(dtype),
    });
    unbias = b.op('Div', [m, b.op('Max', [b.op('Sub', [m, k(1)]), k(1)])]);
  }
  const update = (running: string, batch: string, hint: string) =>
    b.op('Add', [b.op('Mul', [running, k(momentum)]), b.op('Mul', [batch, k(1 - momentum)])], {}, hint);
  const newMean = update(runMean, mean, 'bn_running_mean');
  const newVar = update(runVar, b.op('Mul', [variance, unbias]), 'bn_running_var');
  // a training-mode node's own running-statistics outputs, if the model reads them
  if (node.outputs[1]) b.emit('Identity', [newMean], [node.outputs[1]]);
  if (node.outputs[2]) b.emit('Identity', [newVar], [node.outputs[2]]);
  for (const [input, output] of [
    [runMean, newMean],
    [runVar, newVar],
  ]) {
    const t = graph.initializers.get(input);
    if (t) {
      graph.initializers.delete(input);
      const vi: ValueInfo = { name: input, dtype: t.dtype, shape: [...t.dims] };
      graph.inputs.push(vi);
      out.stateInputs.push(vi);
    }
    out.stateOutputs.push({ input, output });
  }
}

function dtypeCode(d: DType): number {
  return d === 'float64' ? 11 : d === 'float16' ? 10 : 1;
}

/** FNV-1a of a string, folded to 31 bits: the per-node salt. */
export function salt31(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h & MASK31;
}

/** One mixing round on int64 values in [0, 2^31): x = (x*A + C) mod 2^31; x ^= x >> s. */
function mix(b: GraphBuilder, x: string, [a, c, s]: [number, number, number]): string {
  const lcg = b.op('BitwiseAnd', [b.op('Add', [b.op('Mul', [x, b.int(a)]), b.int(c)]), b.int(MASK31)]);
  return b.op('BitwiseXor', [lcg, b.op('Div', [lcg, b.int(2 ** s)])]);
}

/**
 * Emits the keep-mask of a dropout with ratio `ratio` over `x`: a bool tensor shaped like x,
 * a pure function of (seed, step, salt, element index).
 */
export function dropoutKeepMask(
  b: GraphBuilder,
  x: string,
  shape: Dim[] | undefined,
  seed: string,
  step: string,
  salt: number,
  ratio: number | string,
  xdtype: DType,
): string {
  const m31 = b.int(MASK31);
  const s = b.op('BitwiseAnd', [seed, m31]);
  const t = b.op('BitwiseAnd', [step, m31]);
  let base = b.op('BitwiseAnd', [b.op('Add', [b.op('Mul', [s, b.int(ROUNDS[0][0])]), b.int(salt)]), m31]);
  base = mix(b, mix(b, base, ROUNDS[1]), ROUNDS[2]);
  base = b.op('BitwiseAnd', [b.op('Add', [base, b.op('Mul', [t, b.int(ROUNDS[1][0])])]), m31]);
  base = mix(b, mix(b, base, ROUNDS[0]), ROUNDS[1]);
  const staticShape = shape && shape.every((d) => typeof d === 'number') ? (shape as number[]) : undefined;
  const size = staticShape ? b.int(staticShape.reduce((p, d) => p * d, 1)) : b.op('Size', [x]);
  const target = staticShape ? b.ints(staticShape) : b.op('Shape', [x]);
  const idx = b.op('Reshape', [b.op('Range', [b.int(0), size, b.int(1)]), target], {}, 'dropout_index');
  // index-only rounds first: with a static shape ORT folds them into a constant, so each step
  // pays only the xor with the (seed, step, salt) base and two rounds per element
  const hIdx = mix(b, mix(b, idx, ROUNDS[0]), ROUNDS[1]);
  let h = b.op('BitwiseXor', [hIdx, base]);
  h = mix(b, mix(b, h, ROUNDS[2]), ROUNDS[0]);
  if (typeof ratio === 'number') {
    // uniform = h / 2^31 < 1 - ratio, compared exactly in integers
    return b.op('Less', [h, b.int(Math.round((1 - ratio) * 2 ** 31))], {}, 'dropout_keep');
  }
  const u = b.op('Mul', [b.op('Cast', [h], { to: dtypeCode(xdtype) }), b.constant(xdtype, 2 ** -31, [])]);
  return b.op('Less', [u, b.op('Sub', [b.constant(xdtype, 1, []), b.op('CastLike', [ratio, u])])], {}, 'dropout_keep');
}

function dropout(graph: Graph, shapes: ShapeTable, b: GraphBuilder, node: Node, opts: TrainingRewriteOptions): void {
  const x = node.inputs[0];
  const dtype = shapes.info.get(x)?.dtype ?? 'float32';
  let ratio: number | string;
  const ratioName = node.inputs[1];
  if (ratioName) {
    const t = graph.initializers.get(ratioName);
    ratio = t ? toNumbers(t)[0] : ratioName;
  } else ratio = attrFloat(node, 'ratio', 0.5);
  if (typeof ratio === 'number' && (ratio < 0 || ratio >= 1)) {
    throw new AutodiffError(`${where(node)}: dropout ratio ${ratio} must be in [0, 1)`);
  }
  const [y, maskOut] = node.outputs;
  if (ratio === 0) {
    b.emit('Identity', [x], [y]);
    if (maskOut)
      b.emit(
        'Cast',
        [
          b.op('ConstantOfShape', [b.op('Shape', [x])], {
            value: { type: 'tensor', value: { dtype: 'bool', dims: [1], data: new Uint8Array([1]) } },
          }),
        ],
        [maskOut],
        { to: 9 },
      );
    return;
  }
  const keep = dropoutKeepMask(
    b,
    x,
    shapes.info.get(x)?.shape,
    opts.dropoutSeedInput,
    opts.stepInput,
    salt31(y),
    ratio,
    dtype,
  );
  const scale =
    typeof ratio === 'number'
      ? b.constant(dtype, 1 / (1 - ratio), [])
      : b.op('Reciprocal', [b.op('Sub', [b.constant(dtype, 1, []), b.op('CastLike', [ratio, x])])]);
  const factor = b.op('Where', [keep, scale, b.constant(dtype, 0, [])], {}, 'dropout_scale');
  b.emit('Mul', [x, factor], [y]);
  if (maskOut) b.emit('Identity', [keep], [maskOut]);
}
