/**
 * The experiment's `dataset` block: `{ "type": <registered source>, ...source options, "split",
 * "preprocess", "augment", "loader", "shuffle", "task", "shape" }`. The source's own `validate`
 * checks its options (through the DatasetManager), so a new source needs no change here. Errors
 * keep the JSON path the source reports (e.g. `dataset.split.test`).
 */
import { nearest, show, type Issue, type JsonSchema, type Schema } from '../config/schema.js';
import { DatasetManager } from '../datasets/manager.js';
import { SOURCES } from '../datasets/sources/index.js';
import { PREPROCESSORS } from '../datasets/preprocess/index.js';
import { validatePlan, type ImageTransform } from '../native/plan.js';
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
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The JSON path a dataset message names ("for dataset.x.y", "unknown key dataset.x", "dataset.x: ..."). */
function pathOf(message: string, fallback: string): string {
  const m = /(?:for|unknown key|key) (dataset[\w.[\]]*)/.exec(message) ?? /^(dataset[\w.[\]]*):/.exec(message);
  return m ? m[1].replace(/\.$/, '') : fallback;
}

/** A source's unknown-key message, completed with the keys every dataset block takes. */
function withBlockKeys(message: string, path: string): string {
  const m = new RegExp(`^unknown key ${path.replace(/[.[\]]/g, '\\$&')}\\.(\\w+); valid keys: (.*)$`).exec(message);
  if (!m) return message;
  const valid = [...m[2].split(', '), 'split', 'preprocess', ...TRAINER_KEYS];
  const near = nearest(m[1], valid);
  return `unknown key ${path}.${m[1]}${near ? ` (did you mean '${near}'?)` : ''}; valid keys of ${path}: ${valid.join(', ')}`;
}

function checkTrainerKeys(v: Record<string, unknown>, path: string, issues: Issue[]): void {
  const fail = (key: string, what: string) => issues.push({ path: `${path}.${key}`, message: `expected ${what} for ${path}.${key} but got ${JSON.stringify(v[key])}` });
  if (v.shuffle !== undefined && typeof v.shuffle !== 'boolean') fail('shuffle', 'true or false');
  if (v.task !== undefined && v.task !== 'classification' && v.task !== 'regression') fail('task', "'classification' or 'regression'");
  if (v.targets !== undefined) checkTargetsBlock(v.targets, path, issues, v.path);
  if (v.targets !== undefined && v.task === 'classification') issues.push({ path: `${path}.task`, message: `${path}.targets gives float target vectors, but ${path}.task is 'classification'; drop one of them` });
  if (v.shape !== undefined && !(Array.isArray(v.shape) && v.shape.length > 0 && v.shape.every((d) => Number.isInteger(d) && d > 0))) fail('shape', 'a non-empty array of positive integers');
  if (v.loader !== undefined) {
    const l = v.loader;
    const ok = (x: unknown, hi: number) => x === undefined || (Number.isInteger(x) && (x as number) >= 1 && (x as number) <= hi);
    if (!isObj(l) || Object.keys(l).some((k) => k !== 'threads' && k !== 'prefetch') || !ok(l.threads, 256) || !ok(l.prefetch, 1024)) fail('loader', '{ threads?: 1..256, prefetch?: 1..1024 }');
  }
  if (v.augment !== undefined) {
    if (!Array.isArray(v.augment)) { fail('augment', 'an array of image transforms'); return; }
    try {
      validatePlan({ path: 'x', batchSize: 1, data: { kind: 'image', column: 'image', transforms: v.augment } });
    } catch (e) {
      for (const m of (e as { issues?: string[] }).issues ?? [(e as Error).message]) {
        const msg = m.replace(/plan\.data\.transforms/g, `${path}.augment`);
        issues.push({ path: pathOf(msg, `${path}.augment`), message: msg });
      }
    }
  }
}

/** Validates a dataset block, filling `split` and `shuffle` defaults. */
export function parseDatasetBlock(v: unknown, path: string, issues: Issue[]): DatasetBlock | undefined {
  if (!isObj(v)) {
    issues.push({ path, message: v === undefined ? `missing ${path}: expected an object { "type": ${[...SOURCES.keys()].map((k) => `'${k}'`).join(' | ')}, ... }` : `expected an object { "type": ... } for ${path} but got ${JSON.stringify(v)}` });
    return undefined;
  }
  const before = issues.length;
  const names = [...SOURCES.keys()];
  if (!SOURCES.has(v.type as string)) {
    const near = typeof v.type === 'string' ? nearest(v.type, names) : undefined;
    const choices = `one of ${names.map((n) => `'${n}'`).join(', ')}`;
    issues.push({ path: `${path}.type`, message: v.type === undefined ? `missing ${path}.type: expected ${choices}`
      : `expected ${choices}${near ? ` (did you mean '${near}'?)` : ''} for ${path}.type but got ${show(v.type)}` });
    return undefined;
  }
  checkTrainerKeys(v, path, issues);
  const sourcePart = Object.fromEntries(Object.entries(v).filter(([k]) => !(TRAINER_KEYS as readonly string[]).includes(k)));
  try {
    new DatasetManager().resolve(sourcePart, path);
  } catch (e) {
    for (const m of (e as Error).message.split('\n').map((s) => s.replace(/^\s*-\s*/, '')).filter((s) => s && !/^invalid|problems?:$/.test(s))) {
      issues.push({ path: pathOf(m, path), message: withBlockKeys(m, path) });
    }
  }
  if (issues.length > before) return undefined;
  const split = { ...DEFAULT_SPLIT, stratify: v.task !== 'regression' && v.targets === undefined, ...(v.split as object | undefined) };
  return { ...v, split, shuffle: (v.shuffle as boolean | undefined) ?? true } as DatasetBlock;
}

function jsonSchema(): JsonSchema {
  return {
    type: 'object', required: ['type'],
    description: 'the data: { "type": source, ...source options, split, preprocess, augment, loader } (gymnosd datasets list shows the sources)',
    properties: {
      type: { enum: [...SOURCES.keys()], description: 'the dataset source' },
      split: { type: 'object', description: 'train/validation/test split: fractions (< 1) or counts; seed (default training.seed); stratify', default: { ...DEFAULT_SPLIT, stratify: true } },
      preprocess: { type: 'array', description: `preprocessors fitted on the training part and baked into model.onnx: ${[...PREPROCESSORS.keys()].join(', ')}`, items: { type: 'object', required: ['type'] } },
      augment: { type: 'array', description: 'native image transforms on the training part only (randomCrop, randomResizedCrop, horizontalFlip, verticalFlip, rotation, colorJitter, grayscale, randomErasing, resize)', items: { type: 'object', required: ['type'] } },
      loader: { type: 'object', description: 'native loader of image data', properties: { threads: { type: 'integer', minimum: 1 }, prefetch: { type: 'integer', minimum: 1 } }, additionalProperties: false },
      shuffle: { type: 'boolean', default: true, description: 'reshuffle the training part every epoch' },
      task: { enum: ['classification', 'regression'], default: 'classification', description: "regression: the label column's values are float targets" },
      targets: {
        type: 'object', additionalProperties: false,
        description: "float target vectors, one row per sample in the source's order (regression and embedding training with mse, huber or cosine_embedding): columns of the dataset's own file, or a second CSV/Arrow file",
        properties: {
          path: { type: 'string', description: "the targets file (.csv with a header, or Arrow/Feather); default: the dataset's own file" },
          columns: { type: 'array', items: { type: 'string' }, description: 'numeric columns that make the vector, in order (default: every column of a second file)' },
          column: { type: 'string', description: 'one Arrow FixedSizeList column holding each row\'s vector' },
        },
      },
      shape: { type: 'array', items: { type: 'integer', minimum: 1 }, description: 'sample shape of tabular features (default [1, 8, 8] for digits)' },
    },
  };
}

/** The schema node of `dataset` in the experiment schema. */
export const datasetBlockSchema: Schema<DatasetBlock> = {
  doc: 'the data: { "type": name, ...options }',
  optional: false,
  parse: parseDatasetBlock,
  json: jsonSchema,
};
