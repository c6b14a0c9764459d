/**
 * Which initializers are trainable parameters. A float initializer with more than one element (or a
 * single-element bias or scale, see `sizeOneWeights`) is a parameter unless it only feeds slots that
 * are constants by nature (shapes, BatchNormalization running statistics, exponents, clip bounds),
 * directly or through other ops (shape-constants.ts), or the user freezes it. Frozen parameters stay
 * initializers, so ONNX Runtime can constant-fold and prepack them.
 */
import { nodeDependencies, type Graph } from '../onnx/ir.js';
import { isFloat, sizeOf } from '../onnx/tensor.js';
import { AutodiffError } from './rule.js';
import { NON_DIFFERENTIABLE } from './registry.js';
import { shapeOnlyInitializers } from './shape-constants.js';

/** Input slots that never hold trainable weights, by op. */
const CONSTANT_SLOTS: Record<string, number[]> = {
  BatchNormalization: [3, 4],
  Pow: [1],
  Clip: [1, 2],
  Reshape: [1],
  Resize: [1, 2, 3],
  Pad: [1, 2, 3],
  Slice: [1, 2, 3, 4],
  Expand: [1],
  Tile: [1],
  Dropout: [1, 2],
  ConstantOfShape: [0],
};

/** Input slots that hold a per-channel bias or scale: a single-element tensor there is still a weight. */
const BIAS_SLOTS: Record<string, number[]> = {
  Gemm: [2],
  Conv: [2],
  ConvTranspose: [2],
  BatchNormalization: [1, 2],
  InstanceNormalization: [1, 2],
  LayerNormalization: [1, 2],
};

/**
 * Single-element initializers that are weights: a bias or scale slot (the one output bias of a
 * one-logit head), or an Add onto a MatMul/Gemm result (the MatMul + Add form of a Linear layer).
 * Other single-element initializers (scales, epsilons, exponents) stay constants. Rank-0 tensors
 * are always constants.
 */
function sizeOneWeights(graph: Graph): Set<string> {
  const out = new Set<string>();
  const producer = new Map<string, string>();
  for (const n of graph.nodes) n.outputs.forEach((o) => producer.set(o, n.opType));
  for (const n of graph.nodes) {
    n.inputs.forEach((name, i) => {
      const t = graph.initializers.get(name);
      if (!t || t.dims.length === 0 || sizeOf(t.dims) !== 1) return;
      if ((BIAS_SLOTS[n.opType] ?? []).includes(i)) out.add(name);
      const other = n.inputs[1 - i];
      if (n.opType === 'Add' && n.inputs.length === 2 && ['MatMul', 'Gemm'].includes(producer.get(other) ?? ''))
        out.add(name);
    });
  }
  return out;
}

/** Running statistics (not trained, but carried and updated during training). */
export function runningStatistics(graph: Graph): Set<string> {
  const s = new Set<string>();
  for (const n of graph.nodes)
    if (n.opType === 'BatchNormalization') {
      s.add(n.inputs[3]);
      s.add(n.inputs[4]);
    }
  return s;
}

/** Matches a name against a pattern: exact name, glob with `*` and `?`, or `/regex/`. */
export function matchesPattern(name: string, pattern: string): boolean {
  if (pattern.length > 1 && pattern.startsWith('/') && pattern.endsWith('/'))
    return new RegExp(pattern.slice(1, -1)).test(name);
  if (!/[*?]/.test(pattern)) return name === pattern;
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(name);
}

export interface TrainableSelection {
  /** Glob (`*`, `?`), `/regex/` or exact names of parameters to freeze. */
  freeze?: string[];
  /** When given, only parameters matching one of these train (the rest freeze). */
  train?: string[];
}

export interface ParameterSplit {
  trainable: string[];
  frozen: string[];
  /** Float initializers that are constants by nature (never parameters). */
  constants: string[];
}

/**
 * Splits a graph's float initializers into trainable, frozen and constant. Throws on a pattern that matches nothing.
 */
export function selectParameters(
  graph: Graph,
  sel: TrainableSelection = {},
  where = 'training.trainable',
): ParameterSplit {
  const slotUse = new Map<string, { weight: boolean; constant: boolean }>();
  for (const n of graph.nodes) {
    n.inputs.forEach((name, i) => {
      if (!graph.initializers.has(name)) return;
      const u = slotUse.get(name) ?? { weight: false, constant: false };
      if ((CONSTANT_SLOTS[n.opType] ?? []).includes(i)) u.constant = true;
      else u.weight = true;
      slotUse.set(name, u);
    });
    // weights an If branch reads from the outer scope
    for (const name of nodeDependencies(n))
      if (!n.inputs.includes(name) && graph.initializers.has(name))
        slotUse.set(name, { weight: true, constant: false });
  }
  const candidates: string[] = [];
  const constants: string[] = [];
  const shapeOnly = shapeOnlyInitializers(graph, CONSTANT_SLOTS, NON_DIFFERENTIABLE);
  const single = sizeOneWeights(graph);
  for (const [name, t] of graph.initializers) {
    if (!isFloat(t.dtype)) continue;
    const u = slotUse.get(name);
    if (!u || !u.weight || (sizeOf(t.dims) <= 1 && !single.has(name)) || shapeOnly.has(name)) {
      constants.push(name);
      continue;
    }
    candidates.push(name);
  }
  const check = (patterns: string[] | undefined, key: string) => {
    for (const [i, p] of (patterns ?? []).entries()) {
      if (!candidates.some((c) => matchesPattern(c, p))) {
        throw new AutodiffError(
          `${where}.${key}[${i}]: pattern '${p}' matches no parameter; parameters are: ${candidates.join(', ') || '(none)'}`,
        );
      }
    }
  };
  check(sel.freeze, 'freeze');
  check(sel.train, 'train');
  const trainable: string[] = [];
  const frozen: string[] = [];
  for (const c of candidates) {
    const inTrain = !sel.train || sel.train.some((p) => matchesPattern(c, p));
    const isFrozen = (sel.freeze ?? []).some((p) => matchesPattern(c, p));
    (inTrain && !isFrozen ? trainable : frozen).push(c);
  }
  return { trainable, frozen, constants };
}
