/**
 * The experiment's `dataset` block: `{ "type": <registered source>, ...source options, "split",
 * "preprocess", "augment", "loader", "shuffle", "task", "shape" }`. One schema checks all of it
 * (datasets/spec.ts for the source, split and preprocess parts, plus the trainer's keys here), so
 * every issue of the block comes back at once with its path; a new source needs no change here.
 */
import { arr, bool, int, obj, oneOf, opt, type Issue, type Props, type Schema } from '../config/schema.js';
import { datasetSpecSchema, SPEC_KEYS } from './spec.js';
import { validatePlan, PlanError, type ImageTransform } from '../native/plan.js';
import { checkTargetsBlock, type TargetsBlock } from './vector-targets.js';

/** A validated dataset block (source options as given; relative paths resolve at run time). */
export interface DatasetBlock {
  type: string;
  split: { validation?: number; test?: number; stratify?: boolean; seed?: number };
  /** Reshuffle the training part every epoch (default true). */
  shuffle: boolean;
  preprocess?: Array<Record<string, unknown>>;
  /** Native image transforms applied to the training part only (before toFloat/normalize). */
  augment?: ImageTransform[];
  loader?: { threads?: number; prefetch?: number };
  /** 'regression' reads the label column's values as float targets (csv). */
  task?: 'classification' | 'regression';
  /** Float target vectors (regression, embeddings) from the dataset's file or a second file. */
  targets?: TargetsBlock;
  /** Sample shape the features are reshaped to (default: [1, 8, 8] for digits, [features] otherwise). */
  shape?: number[];
  [option: string]: unknown;
}

/** Keys the trainer handles; the rest belongs to the source (and split/preprocess to the manager). */
export const TRAINER_KEYS = ['augment', 'loader', 'shuffle', 'task', 'shape', 'targets'] as const;

const DEFAULT_SPLIT = { validation: 0.1, test: 0.2 };

const AUGMENT_DOC =
  'native image transforms on the training part only (randomCrop, randomResizedCrop, horizontalFlip, verticalFlip, rotation, colorJitter, grayscale, randomErasing, resize)';

/**
 * `augment`: the native loader's image transforms. The loader plan's checker (native/plan.ts) is
 * the one definition of the transforms, so they are checked by building the plan fragment they
 * become; its issues are given this block's path.
 */
const augment: Schema<ImageTransform[] | undefined> = {
  doc: AUGMENT_DOC,
  optional: true,
  parse(v, path, issues) {
    if (!Array.isArray(v)) {
      issues.push({ path, message: `expected an array of image transforms for ${path} but got ${JSON.stringify(v)}` });
      return undefined;
    }
    try {
      validatePlan({ path: 'x', batchSize: 1, data: { kind: 'image', column: 'image', transforms: v } });
      return v as ImageTransform[];
    } catch (e) {
      if (!(e instanceof PlanError)) throw e;
      for (const m of e.issues) issues.push({ path, message: m.replaceAll('plan.data.transforms', path) });
      return undefined;
    }
  },
  json: () => ({ type: 'array', description: AUGMENT_DOC, items: { type: 'object', required: ['type'] } }),
};

const TARGETS_DOC =
  "float target vectors, one row per sample in the source's order (regression and embedding training with mse, huber or cosine_embedding): columns of the dataset's own file, or a second CSV/Arrow file";

/**
 * `targets`: its own keys are checked here; whether the source has a file to read target columns
 * from, and a conflicting `task`, are checked with the whole block (parseDatasetBlock).
 */
const targets: Schema<TargetsBlock | undefined> = {
  doc: TARGETS_DOC,
  optional: true,
  parse(v, path, issues) {
    const before = issues.length;
    // the source's own file is looked at by parseDatasetBlock, which knows the block's `path`
    checkTargetsBlock(v, path.replace(/\.targets$/, ''), issues, 'checked with the whole block');
    return issues.length > before ? undefined : (v as TargetsBlock);
  },
  json: () => ({
    type: 'object',
    additionalProperties: false,
    description: TARGETS_DOC,
    properties: {
      path: {
        type: 'string',
        description: "the targets file (.csv with a header, or Arrow/Feather); default: the dataset's own file",
      },
      columns: {
        type: 'array',
        items: { type: 'string' },
        description: 'numeric columns that make the vector, in order (default: every column of a second file)',
      },
      column: { type: 'string', description: "one Arrow FixedSizeList column holding each row's vector" },
    },
  }),
};

/** The keys the trainer reads, beside the source's. */
const TRAINER_OPTIONS = {
  augment,
  loader: opt(
    obj(
      {
        threads: opt(int({ min: 1, max: 256, doc: 'decoding threads (default: from the CPU count)' })),
        prefetch: opt(int({ min: 1, max: 1024, doc: 'batches prepared ahead' })),
      },
      { doc: 'native loader of image data' },
    ),
  ),
  shuffle: bool({ default: true, doc: 'reshuffle the training part every epoch' }),
  task: opt(
    oneOf(['classification', 'regression'] as const, {
      doc: "regression: the label column's values are float targets (default classification)",
    }),
  ),
  shape: opt(
    arr(int({ min: 1 }), {
      minItems: 1,
      doc: 'sample shape of tabular features (default [1, 8, 8] for digits, [features] otherwise)',
    }),
  ),
  targets,
} satisfies Props;

const block = datasetSpecSchema(
  { ...SPEC_KEYS, ...TRAINER_OPTIONS },
  'the data: { "type": source, ...source options, split, preprocess, augment, loader, shuffle, task, shape, targets } (gymnosd datasets list shows the sources)',
);

/** Validates a dataset block, filling `split` (by task) and `shuffle` defaults. */
export function parseDatasetBlock(v: unknown, path: string, issues: Issue[]): DatasetBlock | undefined {
  const before = issues.length;
  const r = block.parse(v, path, issues);
  // the targets' cross-key checks read the raw block, so they are reported with its other issues
  const raw = typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  const tb = raw.targets;
  if (typeof tb === 'object' && tb !== null) {
    if (raw.task === 'classification')
      issues.push({
        path: `${path}.task`,
        message: `${path}.targets gives float target vectors, but ${path}.task is 'classification'; drop one of them`,
      });
    if ((tb as TargetsBlock).path === undefined && !(typeof raw.path === 'string' && raw.path.length > 0))
      issues.push({
        path: `${path}.targets.path`,
        message: `missing ${path}.targets.path: this dataset source has no file of its own to read target columns from; give the targets file`,
      });
  }
  if (!r || issues.length > before) return undefined;
  const split = {
    ...DEFAULT_SPLIT,
    stratify: r.task !== 'regression' && r.targets === undefined,
    ...(r.split as object | undefined),
  };
  return { ...r, split } as DatasetBlock;
}

/** The schema node of `dataset` in the experiment schema. */
export const datasetBlockSchema: Schema<DatasetBlock> = {
  doc: block.doc,
  optional: false,
  parse: parseDatasetBlock,
  json: block.json,
};
