/**
 * The optimizer registry, built from the optimizer modules (one file each). Adding an optimizer
 * means adding its module to the list; its options schema documents and validates it everywhere.
 */
import { Registry, type ComponentSpec } from '../../config/component.js';
import type { OptimizerDef, ResolvedOptimizer } from './optimizer.js';
import { sgd } from './sgd.js';
import { adam } from './adam.js';
import { adamw } from './adamw.js';
import { rmsprop } from './rmsprop.js';
import { adagrad } from './adagrad.js';

export type {
  OptimizerBuild,
  OptimizerDef,
  OptimizerState,
  ParamUpdate,
  ResolvedOptimizer,
  UpdateContext,
} from './optimizer.js';
export { MAX_LR } from './optimizer.js';
export type { SgdOptions } from './sgd.js';
export type { AdamOptions } from './adam.js';
export type { RmspropOptions } from './rmsprop.js';
export type { AdagradOptions } from './adagrad.js';
export {
  buildUpdates,
  planFlatGroups,
  hasUnitAxis,
  mulByScalar,
  FLAT_MAX_ELEMENTS,
  MAX_GROUP_MEMBERS,
  type UpdateInputs,
  type UpdateLayout,
} from './flat.js';
export { clipGradNorm, clipGradValue, type ClipNormResult } from './clip.js';

/** Optimizers by registered type. */
export const OPTIMIZERS = new Registry<OptimizerDef>('optimizer', [sgd, adam, adamw, rmsprop, adagrad]);

/**
 * An optimizer as written in the experiment config: `{ "type": "<name>", ...options }` (resolved: every option filled).
 */
export type OptimizerSpec = ComponentSpec;

/** Validates a raw spec (throws a ConfigError listing every issue) and makes its optimizer. */
export function resolveOptimizer(spec: unknown, where = 'optimizer'): ResolvedOptimizer {
  return OPTIMIZERS.create(OPTIMIZERS.resolve(spec, where), undefined, where);
}

/** The optimizer of an already resolved spec (from the parsed experiment): no validation. */
export function optimizerOf(spec: OptimizerSpec, where = 'optimizer'): ResolvedOptimizer {
  return OPTIMIZERS.create(spec, undefined, where);
}
