/**
 * The optimizer registry, built from the optimizer modules (one file each). Adding an optimizer
 * means adding its module to OPTIMIZER_DEFS; nothing else changes.
 */
import type { GraphBuilder } from '../../onnx/builder.js';
import { OptionError, type RawOptions } from '../losses/options.js';
import type { OptimizerBuild, OptimizerDef, ParamUpdate, UpdateContext } from './optimizer.js';
import { sgd } from './sgd.js';
import { adam } from './adam.js';
import { adamw } from './adamw.js';
import { rmsprop } from './rmsprop.js';
import { adagrad } from './adagrad.js';

export type { OptimizerBuild, OptimizerDef, OptimizerState, ParamUpdate, UpdateContext } from './optimizer.js';
export type { SgdOptions } from './sgd.js';
export type { AdamOptions } from './adam.js';
export type { RmspropOptions } from './rmsprop.js';
export type { AdagradOptions } from './adagrad.js';
export { clipGradNorm, clipGradValue, type ClipNormResult } from './clip.js';

type AnyOptimizer = OptimizerDef<{ lr: number; weightDecay: number }>;

const OPTIMIZER_DEFS: AnyOptimizer[] = [sgd, adam, adamw, rmsprop, adagrad];

/** Optimizers by registered name. */
export const OPTIMIZERS: ReadonlyMap<string, AnyOptimizer> = new Map(OPTIMIZER_DEFS.map((d) => [d.name, d]));

/** An optimizer as written in the experiment config: `{ "type": "<name>", ...options }`. */
export interface OptimizerSpec extends RawOptions { type: string }

/** An optimizer with checked options, ready to emit updates. */
export interface ResolvedOptimizer {
  def: AnyOptimizer;
  /** Options with defaults filled (`lr` is the base learning rate, `weightDecay` the default decay). */
  options: { lr: number; weightDecay: number };
  /** Emits the update of one parameter. */
  build(b: GraphBuilder, p: ParamUpdate, ctx: UpdateContext): OptimizerBuild;
}

/** Looks up and validates `spec`; throws OptionError naming the key or listing valid names. */
export function resolveOptimizer(spec: OptimizerSpec, where = 'optimizer'): ResolvedOptimizer {
  const def = OPTIMIZERS.get(spec.type);
  if (!def) throw new OptionError(`expected one of ${[...OPTIMIZERS.keys()].map((n) => `'${n}'`).join(', ')} for ${where}.type but got ${JSON.stringify(spec.type)}`);
  const options = def.validate(spec, where);
  return { def, options, build: (b, p, ctx) => def.build(b, options, p, ctx) };
}
