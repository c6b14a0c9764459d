/**
 * The gradient-rule registry, built from the rule families (one file each under `rules/`).
 * Adding a family means adding it to FAMILIES; nothing else changes.
 */
import type { GradRule, GradRuleFamily } from './rule.js';
import { elementwiseFamily } from './rules/elementwise.js';
import { activationFamily } from './rules/activations.js';
import { matmulFamily } from './rules/matmul.js';
import { dropoutFamily } from './rules/dropout.js';
import { shapeFamily } from './rules/shape.js';
import { indexingFamily } from './rules/indexing.js';
import { reduceFamily } from './rules/reduce.js';
import { softmaxFamily } from './rules/softmax.js';
import { normFamily } from './rules/norm.js';
import { convFamily } from './rules/conv.js';
import { poolFamily } from './rules/pool.js';
import { resizeFamily } from './rules/resize.js';
import { controlFlowFamily } from './rules/control-flow.js';
import { recurrentFamily } from './rules/recurrent.js';
import { einsumFamily } from './rules/einsum.js';
import { cumsumFamily } from './rules/cumsum.js';

const FAMILIES: GradRuleFamily[] = [
  elementwiseFamily,
  activationFamily,
  matmulFamily,
  dropoutFamily,
  shapeFamily,
  indexingFamily,
  reduceFamily,
  softmaxFamily,
  normFamily,
  convFamily,
  poolFamily,
  resizeFamily,
  controlFlowFamily,
  recurrentFamily,
  einsumFamily,
  cumsumFamily,
];

/**
 * Ops whose outputs carry no gradient (integer/boolean results, shape queries, rounding). They may
 * appear anywhere in a trainable graph; gradients simply do not flow through them.
 */
export const NON_DIFFERENTIABLE = new Set([
  'Shape',
  'Size',
  'Range',
  'Equal',
  'Less',
  'LessOrEqual',
  'Greater',
  'GreaterOrEqual',
  'Not',
  'And',
  'Or',
  'Xor',
  'ArgMax',
  'ArgMin',
  'NonZero',
  'ConstantOfShape',
  'Floor',
  'Ceil',
  'Round',
  'Sign',
  'IsNaN',
  'IsInf',
  'OneHot',
  'EyeLike',
  'RandomUniform',
  'RandomNormal',
  'RandomUniformLike',
  'RandomNormalLike',
  'Bernoulli',
  'Mod',
  'BitShift',
  'BitwiseAnd',
  'BitwiseOr',
  'BitwiseXor',
  'BitwiseNot',
  'Constant',
]);

const RULES = new Map<string, { rule: GradRule; family: string }>();
for (const f of FAMILIES) {
  for (const [op, rule] of Object.entries(f.rules)) {
    if (RULES.has(op))
      throw new Error(`gradient rule for ${op} registered twice (${RULES.get(op)!.family}, ${f.family})`);
    RULES.set(op, { rule, family: f.family });
  }
}

/** The rule for an op, if any. */
export function gradRule(op: string): GradRule | undefined {
  return RULES.get(op)?.rule;
}

/** Every op Gymnos can differentiate, sorted. */
export function differentiableOps(): string[] {
  return [...RULES.keys()].sort();
}

/** Every op Gymnos can train through: differentiable plus pass-through ops. */
export function supportedOps(): string[] {
  return [...new Set([...RULES.keys(), ...NON_DIFFERENTIABLE])].sort();
}

/** Family name per op, for reports. */
export function ruleFamilies(): Map<string, string> {
  return new Map([...RULES].map(([op, r]) => [op, r.family]));
}

/**
 * Runs `fn` with `rule` standing in for `op`'s rule, then restores the original. For the
 * gradient-check suite's self-test (a deliberately wrong rule must be caught) and experiments.
 */
export function withRuleOverride<T>(op: string, rule: GradRule, fn: () => T): T {
  const before = RULES.get(op);
  RULES.set(op, { rule, family: 'override' });
  try {
    return fn();
  } finally {
    if (before) RULES.set(op, before);
    else RULES.delete(op);
  }
}
