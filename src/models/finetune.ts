/**
 * Fine-tuning edits on a canonical model: replacing the classification head for a new number of
 * classes, and choosing the parameters of the last layers. Errors name the node, the value and
 * the config path to change.
 */
import { type Graph, type Model, type Node, producers, consumers, attrInt } from '../onnx/ir.js';
import { inferShapes } from '../onnx/shapes/infer.js';
import { tensor } from '../onnx/tensor.js';
import { selectParameters } from '../autodiff/trainable.js';
import { Rng } from '../util/rng.js';
import { ModelError } from './errors.js';
import { BAKED_PREPROCESSING_KEY } from '../datasets/preprocess/bake.js';

export interface HeadReplaceOptions {
  classes: number;
  /** Weight init: Xavier/Glorot uniform (default) or Kaiming/He uniform; the bias starts at zero. */
  init?: 'xavier_uniform' | 'kaiming_uniform';
  /** Parameter name prefix of the new layer ('head': head.weight, head.bias). */
  name?: string;
  /**
   * Put a new head on this value (an embedding or feature output, [N, D] or [N, ...] flattened)
   * instead of replacing the classification layer that produces the model's output.
   */
  output?: string;
}

export interface HeadReplacement {
  /** The node whose weights were replaced. */
  node: string;
  /** Old and new number of classes (for a head added on a value: that value's features). */
  from: number;
  to: number;
  /** The value to train on: the new logits (before any Softmax the graph applies). */
  logits: string;
  params: string[];
}

/** Ops between the logits and a graph output that keep one value per class. */
const PASS_THROUGH = new Set(['Identity', 'Softmax', 'LogSoftmax', 'Sigmoid', 'Flatten', 'Squeeze', 'Reshape']);

interface Head {
  node: Node;
  weight: string;
  transposed: boolean;
  bias?: { node: Node; slot: number; name: string };
  logits: string;
}

/** Finds the dense layer producing `output`: Gemm, or MatMul (+ Add) with a 2-D initializer weight. */
function findHead(g: Graph, output: string, path: string): Head {
  const prod = producers(g);
  let v = output;
  let n = prod.get(v);
  while (n && PASS_THROUGH.has(n.opType)) {
    v = n.inputs[0];
    n = prod.get(v);
  }
  const is2d = (name: string | undefined) => !!name && g.initializers.get(name)?.dims.length === 2;
  const is1d = (name: string | undefined) => !!name && g.initializers.get(name)?.dims.length === 1;
  if (n?.opType === 'Gemm' && is2d(n.inputs[1]) && attrInt(n, 'transA', 0) === 0) {
    const head: Head = { node: n, weight: n.inputs[1], transposed: attrInt(n, 'transB', 0) === 1, logits: v };
    if (is1d(n.inputs[2])) head.bias = { node: n, slot: 2, name: n.inputs[2] };
    return head;
  }
  if (n?.opType === 'Add') {
    const side = n.inputs.findIndex((i) => is1d(i));
    const mm = prod.get(n.inputs[1 - side]);
    if (side >= 0 && mm?.opType === 'MatMul' && is2d(mm.inputs[1])) {
      return {
        node: mm,
        weight: mm.inputs[1],
        transposed: false,
        bias: { node: n, slot: side, name: n.inputs[side] },
        logits: v,
      };
    }
  }
  if (n?.opType === 'MatMul' && is2d(n.inputs[1]))
    return { node: n, weight: n.inputs[1], transposed: false, logits: v };
  const from = n ? `node '${n.name}' (${n.opType})` : 'a graph input or initializer';
  throw new ModelError(
    `${path}.headReplace: output '${output}' is not produced by a classification layer (Gemm, or MatMul [+ Add] with a 2-D weight initializer); it comes from ${from}. Choose the logits with ${path}.output, or drop ${path}.headReplace`,
  );
}

function freshName(g: Graph, name: string): string {
  let out = name;
  for (let i = 1; g.initializers.has(out); i++) out = `${name}_${i}`;
  return out;
}

/**
 * Adds a new classification layer (Flatten when needed, then Gemm) on top of `o.output`; its
 * logits become a graph output. For embedding models, whose output is a feature vector.
 */
function addHead(
  model: Model,
  o: HeadReplaceOptions & { output: string },
  seed: number,
  path: string,
): HeadReplacement {
  const g = model.graph;
  const opset = model.opset.get('') ?? 18;
  const info = inferShapes(g, opset).info.get(o.output);
  if (!info) {
    throw new ModelError(
      `${path}.headReplace.output: '${o.output}' is not a value of the model; outputs are: ${g.outputs.map((v) => v.name).join(', ')}`,
    );
  }
  const shape = info.shape;
  const features =
    shape && shape.length >= 2
      ? shape
          .slice(1)
          .reduce<number | undefined>((a, d) => (a !== undefined && typeof d === 'number' ? a * d : undefined), 1)
      : undefined;
  if (!shape || features === undefined) {
    throw new ModelError(
      `${path}.headReplace.output: '${o.output}' must have a batch axis and static feature sizes ([N, D] or [N, ...]), but its shape is ${shape ? `[${shape.join(', ')}]` : 'unknown'}`,
    );
  }
  const prefix = o.name ?? 'head';
  const rng = new Rng(seed);
  const bound =
    (o.init ?? 'xavier_uniform') === 'xavier_uniform' ? Math.sqrt(6 / (features + o.classes)) : Math.sqrt(6 / features);
  const wName = freshName(g, `${prefix}.weight`);
  const bName = freshName(g, `${prefix}.bias`);
  g.initializers.set(
    wName,
    tensor(
      info.dtype,
      [o.classes, features],
      Array.from({ length: o.classes * features }, () => rng.uniform(-bound, bound)),
    ),
  );
  g.initializers.set(bName, tensor(info.dtype, [o.classes], new Array<number>(o.classes).fill(0)));
  let x = o.output;
  if (shape.length !== 2) {
    x = `${prefix}/flat`;
    g.nodes.push({
      name: `${prefix}/flatten`,
      opType: 'Flatten',
      domain: '',
      inputs: [o.output],
      outputs: [x],
      attrs: { axis: { type: 'int', value: 1 } },
    });
  }
  const logits = `${prefix}/logits`;
  g.nodes.push({
    name: `${prefix}/gemm`,
    opType: 'Gemm',
    domain: '',
    inputs: [x, wName, bName],
    outputs: [logits],
    attrs: { transB: { type: 'int', value: 1 } },
  });
  g.outputs.push({ name: logits, dtype: info.dtype, shape: [shape[0], o.classes] });
  return { node: `${prefix}/gemm`, from: features, to: o.classes, logits, params: [wName, bName] };
}

/**
 * Replaces the classifier producing `output` with a new, freshly initialized one for `o.classes`
 * classes; with `o.output`, adds a new head on that value instead (see `addHead`).
 */
export function replaceHead(
  model: Model,
  output: string,
  o: HeadReplaceOptions,
  seed: number,
  path = 'model',
): HeadReplacement {
  if (o.output !== undefined) return addHead(model, { ...o, output: o.output }, seed, path);
  const g = model.graph;
  const head = findHead(g, output, path);
  const w = g.initializers.get(head.weight)!;
  const [fanIn, from] = head.transposed ? [w.dims[1], w.dims[0]] : [w.dims[0], w.dims[1]];
  const rng = new Rng(seed);
  const bound =
    (o.init ?? 'xavier_uniform') === 'xavier_uniform' ? Math.sqrt(6 / (fanIn + o.classes)) : Math.sqrt(6 / fanIn);
  const dims = head.transposed ? [o.classes, fanIn] : [fanIn, o.classes];
  const uses = consumers(g);
  const dropIfUnused = (name: string) => {
    if ((uses.get(name) ?? []).length <= 1 && !g.inputs.some((i) => i.name === name)) g.initializers.delete(name);
  };
  dropIfUnused(head.weight);
  const prefix = o.name ?? 'head';
  const wName = freshName(g, `${prefix}.weight`);
  g.initializers.set(
    wName,
    tensor(
      w.dtype,
      dims,
      Array.from({ length: dims[0] * dims[1] }, () => rng.uniform(-bound, bound)),
    ),
  );
  head.node.inputs[1] = wName;
  if (head.bias) dropIfUnused(head.bias.name);
  const bName = freshName(g, `${prefix}.bias`);
  g.initializers.set(bName, tensor(w.dtype, [o.classes], new Array<number>(o.classes).fill(0)));
  if (head.bias) head.bias.node.inputs[head.bias.slot] = bName;
  else if (head.node.opType === 'Gemm') head.node.inputs[2] = bName;
  else {
    // MatMul without bias: give the new head one
    const mmOut = head.node.outputs[0];
    const raw = `${mmOut}/nobias`;
    head.node.outputs[0] = raw;
    g.nodes.splice(g.nodes.indexOf(head.node) + 1, 0, {
      name: `${prefix}/bias_add`,
      opType: 'Add',
      domain: '',
      inputs: [raw, bName],
      outputs: [mmOut],
      attrs: {},
    });
  }
  // shapes downstream of the head changed: recompute the declared output shapes
  g.valueInfo.clear();
  const table = inferShapes(g, model.opset.get('') ?? 18);
  for (const out of g.outputs) out.shape = table.info.get(out.name)?.shape ?? undefined;
  return { node: head.node.name, from, to: o.classes, logits: head.logits, params: [wName, bName] };
}

/**
 * The trainable parameters of the last `n` layers, counted back from the end of the graph. A layer
 * is a node that reads parameters, with a following bias Add (MatMul + Add) counted in it.
 */
export function lastLayerParameters(g: Graph, n: number, path = 'model'): string[] {
  const params = new Set(selectParameters(g).trainable);
  const layers: string[][] = [];
  const layerOf = new Map<string, string[]>();
  const prod = producers(g);
  for (const node of g.nodes) {
    const ps = node.inputs.filter((i) => params.has(i));
    if (!ps.length) continue;
    // a bias Add after MatMul/Conv (tf2onnx, paddle2onnx, torch on 3-D inputs) joins that layer
    const from = prod.get(node.inputs.find((i) => !params.has(i)) ?? '');
    const joined =
      node.opType === 'Add' && ps.length === 1 && g.initializers.get(ps[0])!.dims.length === 1 && from
        ? layerOf.get(from.name)
        : undefined;
    if (joined) {
      joined.push(...ps);
      continue;
    }
    layers.push(ps);
    layerOf.set(node.name, ps);
  }
  if (n > layers.length)
    throw new ModelError(
      `expected at most ${layers.length} (the layers with parameters) for ${path}.trainLast but got ${n}`,
    );
  return [...new Set(layers.slice(layers.length - n).flat())];
}

/**
 * The constants of preprocessing Gymnos baked into an exported model (standardization means and
 * scales, label maps): initializers under `preprocess/` and `postprocess/` in a model whose
 * metadata says preprocessing was baked. They are data, not weights: reloading such an export to
 * train it again keeps them frozen. Returns those that would otherwise count as parameters.
 */
export function bakedPreprocessingConstants(model: Model): string[] {
  if (!model.metadata[BAKED_PREPROCESSING_KEY]) return [];
  return selectParameters(model.graph).trainable.filter(
    (n) => n.startsWith('preprocess/') || n.startsWith('postprocess/'),
  );
}
