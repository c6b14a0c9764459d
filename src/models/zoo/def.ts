/**
 * What a zoo architecture module exports: its name, a one-line description, its hyperparameter
 * schema (the same schema builder as the experiment file, so `gymnosd schema` documents it), a
 * validator that returns typed options, and a builder. The registry is the list of these exports.
 */
import { int, arr, obj, opt, type Issue, type ObjectOf, type Props } from '../../config/schema.js';
import { ConfigError } from '../../config/errors.js';
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

/** A built-in architecture, registered by construction. */
export interface ZooModel<O = unknown> {
  readonly name: string;
  readonly describe: string;
  /** Hyperparameter schema (without `type`). */
  readonly options: Props;
  /** Checks raw options at config path `path`; unknown keys and bad values throw a ConfigError naming each. */
  validate(options: unknown, path: string): O;
  build(options: O, ctx: BuildContext): Model;
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

/** Defines a zoo model from its schema and builder; `validate` comes from the schema. */
export function defineZooModel<P extends Props>(d: {
  name: string;
  describe: string;
  options: P;
  build(o: ObjectOf<P>, ctx: BuildContext): Model;
  example: ZooModel['example'];
}): ZooModel<ObjectOf<P>> {
  const schema = obj(d.options);
  return {
    name: d.name,
    describe: d.describe,
    options: d.options,
    example: d.example,
    build: (o, ctx) => d.build(o, { ...ctx, seed: (o as { seed?: number }).seed ?? ctx.seed }),
    validate(options: unknown, path: string): ObjectOf<P> {
      const issues: Issue[] = [];
      const v = schema.parse(options ?? {}, path, issues);
      if (v === undefined || issues.length) throw new ConfigError(`model '${d.name}'`, issues);
      return v;
    },
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
