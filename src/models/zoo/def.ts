/**
 * What a zoo architecture module exports: a Component (config/component.ts) with its type, a
 * one-line description, its hyperparameter schema (the experiment file's schema toolkit, so
 * `gymnosd schema` documents it) and `create`, which builds the model from resolved options; plus
 * the example `gymnosd models show` builds. The zoo registry is the list of these exports.
 */
import { int, arr, opt, type ObjectOf, type Props } from '../../config/schema.js';
import type { Component } from '../../config/component.js';
import type { Model } from '../../onnx/ir.js';
import { ModelError } from '../errors.js';

/** What the data says about the model's interface (per sample, without the batch axis). */
export interface DatasetInfo {
  inputShape: number[];
  numClasses?: number;
  /** Width of the float target vectors (dataset.targets): numClasses then holds the same width, for heads. */
  targetWidth?: number;
}

export interface BuildContext {
  /** Seed of the weight initialization. */
  seed: number;
  /** When known, fills `classes` and `inputShape` the config leaves out. */
  datasetInfo?: DatasetInfo;
  /** Config path of the model block, for messages (default 'model'). */
  path?: string;
}

/**
 * A built-in architecture: a Component whose `create` builds the ONNX model from resolved
 * hyperparameters (validated once, by the registry's schema: the experiment file's `model` block,
 * or `ZOO.resolve` for raw options), plus the example `gymnosd models show` builds.
 */
// `any` default: the zoo registry holds architectures with different option types
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface ZooModel<O = any> extends Component<O, Model, BuildContext> {
  /** Data and options `gymnosd models show` uses when given none (a typical use). */
  readonly example: { inputShape: number[]; numClasses: number; options?: Record<string, unknown> };
}

/** The `classes` and `inputShape` options every classifier takes. */
export const ioOptions = {
  classes: opt(int({ min: 1, doc: 'number of classes (default: from the dataset)' })),
  inputShape: opt(
    arr(int({ min: 1 }), {
      minItems: 1,
      doc: 'per-sample input shape without the batch axis (default: from the dataset)',
    }),
  ),
  seed: opt(int({ doc: 'seed of the weight initialization (default: training.seed)' })),
};

/**
 * Defines a zoo architecture from its options schema and builder; the `seed` option (from
 * ioOptions), when set, replaces the run's seed for its weights.
 */
export function defineZooModel<P extends Props>(d: {
  type: string;
  description: string;
  options: P;
  check?(resolved: ObjectOf<P>, path: string): string | undefined;
  create(o: ObjectOf<P>, ctx: BuildContext): Model;
  example: ZooModel['example'];
}): ZooModel<ObjectOf<P>> {
  return {
    ...d,
    create: (o, ctx) => d.create(o, { ...ctx, seed: (o as { seed?: number }).seed ?? ctx.seed }),
  };
}

/** Resolves `classes` from the options or the dataset, naming the config path when neither has it. */
export function resolveClasses(o: { classes?: number }, ctx: BuildContext): number {
  const c = o.classes ?? ctx.datasetInfo?.numClasses;
  if (c === undefined)
    throw new ModelError(
      `${ctx.path ?? 'model'}.classes: not set and no dataset to take the number of classes from; set it`,
    );
  return c;
}

/**
 * Resolves the per-sample input shape from the options or the dataset, checking its rank (`rank`
 * dims, or any when undefined) and that an explicit shape agrees with the dataset.
 */
export function resolveInputShape(
  o: { inputShape?: number[] },
  ctx: BuildContext,
  what: { rank?: number; example: string; fallback?: number[] },
): number[] {
  const path = `${ctx.path ?? 'model'}.inputShape`;
  const data = ctx.datasetInfo?.inputShape;
  if (o.inputShape && data && (o.inputShape.length !== data.length || o.inputShape.some((d, i) => d !== data[i]))) {
    throw new ModelError(
      `expected the dataset's input shape [${data.join(', ')}] for ${path} but got [${o.inputShape.join(', ')}]; remove ${path} or fix it`,
    );
  }
  const shape = o.inputShape ?? data ?? what.fallback;
  if (!shape) throw new ModelError(`${path}: not set and no dataset to take it from; set it (e.g. ${what.example})`);
  if (what.rank !== undefined && shape.length !== what.rank) {
    throw new ModelError(
      `expected ${what.example} (${what.rank} dims, no batch axis) for ${path} but got [${shape.join(', ')}]${o.inputShape ? '' : ' from the dataset'}`,
    );
  }
  return shape;
}
