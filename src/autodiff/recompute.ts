/**
 * Activation recomputation (`training.recompute`), as torch.utils.checkpoint does it: chosen
 * forward values are not kept alive for the backward pass; the backward part of the graph gets
 * its own copies of the nodes that produce them, reading values that are kept anyway. The forward
 * originals then die at their last forward use.
 *
 * - `"auto"`: every kept activation made by a cheap, deterministic node (elementwise ops,
 *   inference-form BatchNormalization, ReLU, reshapes) whose inputs are kept anyway, small, or
 *   recomputed themselves. On a conv-BN-ReLU network only the convolution outputs stay: the
 *   centred values, BatchNorm and ReLU outputs and residual sums are recomputed.
 * - `[patterns]`: the outputs of the forward nodes whose names match (glob `*`/`?`, `/regex/` or
 *   exact), whatever they cost; their inputs are kept instead.
 *
 * The copies compute the same ops on the same inputs with the same kernels, so weights trained
 * with and without recomputation are bit-identical (test/autodiff/recompute.test.ts).
 *
 * ONNX Runtime's common-subexpression elimination would merge each copy back into its original;
 * training graphs with recomputed nodes carry RECOMPUTE_METADATA so the session turns it off.
 */
import type { Graph, Node } from '../onnx/ir.js';
import { AutodiffError } from './rule.js';
import { matchesPattern } from './trainable.js';

export type RecomputeSpec = 'none' | 'auto' | string[];

/**
 * Model metadata key set on graphs that contain recomputed nodes (value: the optimizers to disable; read by
 * src/sessions/model-options.ts).
 */
export const RECOMPUTE_METADATA = 'gymnos.disable_optimizers';
export const RECOMPUTE_DISABLED_OPTIMIZERS = 'CommonSubexpressionElimination';

/** Ops cheap enough to recompute in "auto" (one pass over their output, no reductions over it). */
const CHEAP = new Set([
  'Relu',
  'LeakyRelu',
  'Sigmoid',
  'Tanh',
  'Erf',
  'Sqrt',
  'Exp',
  'Neg',
  'Abs',
  'Clip',
  'Softplus',
  'HardSigmoid',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Max',
  'Min',
  'Where',
  'Cast',
  'Identity',
  'BatchNormalization',
  'Reshape',
  'Flatten',
  'Squeeze',
  'Unsqueeze',
  'Transpose',
]);
/** Ops whose copies would not reproduce the forward values. */
const RANDOM = new Set([
  'RandomUniform',
  'RandomUniformLike',
  'RandomNormal',
  'RandomNormalLike',
  'Bernoulli',
  'Multinomial',
  'Dropout',
]);

export interface RecomputeResult {
  /** Forward values the backward part now recomputes. */
  recomputed: string[];
  /** Nodes copied into the backward part. */
  copies: number;
}

/**
 * Rewrites `g` in place. `backwardStart`: index of the first node of the backward part (nodes
 * before it are the forward pass, the loss and the training-mode bookkeeping); `bytes`: value sizes
 * at some batch size (valueBytes), used by "auto" to tell small inputs from activations; `path`:
 * where the spec sits in the config, for errors.
 */
export function applyRecompute(
  g: Graph,
  spec: RecomputeSpec,
  backwardStart: number,
  bytes: Map<string, number>,
  path = 'training.recompute',
): RecomputeResult {
  if (spec === 'none') return { recomputed: [], copies: 0 };
  const forward = g.nodes.slice(0, backwardStart);
  const backward = g.nodes.slice(backwardStart);
  const producer = new Map<string, Node>();
  for (const n of forward) for (const o of n.outputs) if (o) producer.set(o, n);
  const graphOutputs = new Set(g.outputs.map((o) => o.name));
  const readByBackward = new Set<string>();
  for (const n of backward) for (const i of n.inputs) if (i && producer.has(i)) readByBackward.add(i);

  const chosen = new Set<string>();
  if (spec === 'auto') {
    for (const v of readByBackward) {
      const n = producer.get(v)!;
      if (n.domain === '' && CHEAP.has(n.opType) && n.outputs.length === 1 && !graphOutputs.has(v)) chosen.add(v);
    }
    pruneAuto(chosen, producer, readByBackward, graphOutputs, bytes);
  } else {
    spec.forEach((pattern, k) => {
      const hits = forward.filter(
        (n) => matchesPattern(n.name, pattern) && n.outputs.some((o) => readByBackward.has(o)),
      );
      if (hits.length === 0) {
        const names = forward.filter((n) => n.outputs.some((o) => readByBackward.has(o))).map((n) => n.name);
        throw new AutodiffError(
          `${path}[${k}]: pattern '${pattern}' matches no forward node whose output the backward pass keeps; such nodes are: ${names.slice(0, 20).join(', ')}${names.length > 20 ? `, ... (${names.length})` : ''}`,
        );
      }
      for (const n of hits) {
        if (RANDOM.has(n.opType))
          throw new AutodiffError(
            `${path}[${k}]: node '${n.name}' (${n.opType}) is random; a copy would not reproduce its output. Leave it out of the patterns`,
          );
        if (n.opType === 'Loop' || n.opType === 'If' || n.opType === 'Scan')
          throw new AutodiffError(
            `${path}[${k}]: node '${n.name}' (${n.opType}) has a subgraph and cannot be recomputed`,
          );
        for (const o of n.outputs) if (o && readByBackward.has(o) && !graphOutputs.has(o)) chosen.add(o);
      }
    });
  }
  if (chosen.size === 0) return { recomputed: [], copies: 0 };

  // copy the producing nodes in forward order; a copy reads the copies of recomputed inputs
  const renamed = new Map<string, string>();
  const copies: Node[] = [];
  for (const n of forward) {
    if (!n.outputs.some((o) => chosen.has(o))) continue;
    const outputs = n.outputs.map((o) => (o ? `${o}/recompute` : o));
    copies.push({
      ...n,
      name: `${n.name}/recompute`,
      inputs: n.inputs.map((i) => renamed.get(i) ?? i),
      outputs,
      attrs: { ...n.attrs },
    });
    n.outputs.forEach((o, i) => {
      if (o) renamed.set(o, outputs[i]);
    });
  }
  for (const n of backward) n.inputs = n.inputs.map((i) => (chosen.has(i) ? renamed.get(i)! : i));
  g.nodes.splice(backwardStart, 0, ...copies); // in place: builders hold the array
  return { recomputed: [...chosen], copies: copies.length };
}

/**
 * Keeps in `chosen` only values whose producer's inputs are free for the backward pass: constants
 * and graph inputs, small values (at most 1/8 of the output), values kept anyway, or values that
 * are themselves recomputed (a cheap intermediate the backward never read is added to `chosen`).
 */
function pruneAuto(
  chosen: Set<string>,
  producer: Map<string, Node>,
  kept: Set<string>,
  graphOutputs: Set<string>,
  bytes: Map<string, number>,
): void {
  const rejected = new Set<string>();
  for (let changed = true; changed;) {
    changed = false;
    for (const v of [...chosen]) {
      const n = producer.get(v)!;
      const size = bytes.get(v) ?? 0;
      for (const x of n.inputs) {
        if (!x || !producer.has(x) || chosen.has(x)) continue;
        if (kept.has(x) || (bytes.get(x) ?? Infinity) * 8 <= size) continue;
        const p = producer.get(x)!;
        if (
          !rejected.has(x) &&
          p.domain === '' &&
          CHEAP.has(p.opType) &&
          p.outputs.length === 1 &&
          !graphOutputs.has(x)
        ) {
          chosen.add(x);
          changed = true;
          continue;
        }
        chosen.delete(v);
        rejected.add(v);
        changed = true;
        break;
      }
    }
  }
}
