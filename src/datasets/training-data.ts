/**
 * `TrainingData` over the DatasetManager: the dataset block is ingested once into the Arrow cache
 * (system.json `cacheDir`), split (seeded, stratified for classification) and its preprocessing
 * fitted on the training part. Tabular data (csv, iris, digits, tabular arrow) is small and stays
 * in memory, preprocessed once (`MemorySplit`); image data streams through the native loader
 * (`NativeSplit`) from the one cache file, each split part a row selection of it, with the
 * `augment` transforms on the training part only. The run keeps the
 * split, the fitted preprocessors and dataset.json, and the exported model gets the preprocessing
 * baked in (`bake`), so it takes raw inputs.
 */
import { isAbsolute, resolve } from 'node:path';
import { DatasetManager, type PreparedDataset } from './manager.js';
import { applyPreprocess, bakePreprocessing, samplesOf, type Fitted } from './preprocess/index.js';
import type { ImageNormalizeFitted } from './preprocess/image-normalize.js';
import { MemorySplit } from './memory-batches.js';
import type { TabularDataset } from './builtin.js';
import { DatasetError } from './errors.js';
import type { ImageDataPlan } from '../native/plan.js';
import { tensor, type Tensor } from '../onnx/tensor.js';
import type { Model } from '../onnx/ir.js';
import { TRAINER_KEYS, type DatasetBlock } from './block.js';
import { NativeSplit } from './native-split.js';
import type { DataContext, TrainingData } from './data-split.js';
import { readVectorTargets } from './vector-targets.js';

/** Sample shapes of built-in sources whose features are images (the CNN quickstart reads digits as [1, 8, 8]). */
const BUILTIN_SHAPES: Record<string, number[]> = { digits: [1, 8, 8] };

/** A source path option made absolute against the experiment's directory. */
function withBase(block: DatasetBlock, baseDir: string): Record<string, unknown> {
  const out: Record<string, unknown> = Object.fromEntries(
    Object.entries(block).filter(([k]) => !(TRAINER_KEYS as readonly string[]).includes(k)),
  );
  for (const k of ['path', 'images', 'labels']) {
    const v = out[k];
    if (typeof v === 'string' && !isAbsolute(v)) out[k] = resolve(baseDir, v);
  }
  return out;
}

/** Image data trains on floats; without image_normalize the bytes are only scaled (x / 255, NCHW). */
function ensureImageNormalize(p: PreparedDataset): void {
  if (p.meta.kind !== 'image' || p.preprocessors.some((f) => f.type === 'image_normalize')) return;
  const shape = p.meta.shape!;
  const c = shape[2];
  const f: ImageNormalizeFitted = {
    type: 'image_normalize',
    shape,
    scale: 1 / 255,
    mean: new Array(c).fill(0),
    std: new Array(c).fill(1),
    layout: 'NCHW',
  };
  p.preprocessors.unshift(f);
}

/** Builds the training data a dataset block names. */
export async function createTrainingData(block: DatasetBlock, ctx: DataContext): Promise<TrainingData> {
  const manager = new DatasetManager();
  const cacheDir = ctx.cacheDir ?? resolve(ctx.baseDir, '.gymnos/cache');
  const vectors = block.targets !== undefined;
  const regression = block.task === 'regression' || vectors;
  const spec = withBase(block, ctx.baseDir);
  const p = await manager.prepare(spec, { cacheDir, seed: ctx.seed, signal: ctx.signal });
  ensureImageNormalize(p);
  const seed = p.splitSpec.seed ?? ctx.seed;
  let values: Float32Array | undefined;
  if (regression && !vectors) {
    values = Float32Array.from(p.meta.classes, Number);
    const bad = p.meta.classes.find((c) => !Number.isFinite(Number(c)));
    if (bad !== undefined)
      throw new DatasetError(
        `dataset.task is 'regression' but label value '${bad}' is not a number; regression needs a numeric label column`,
      );
  }
  const common = {
    numClasses: regression ? undefined : p.meta.classes.length,
    classes: regression ? undefined : p.meta.classes,
    saveRun: (dir: string) => manager.saveRun(dir, p),
    bake: (model: Model, inputName: string) => bakeFitted(model, p.preprocessors, inputName),
  };
  if (p.meta.kind === 'image') {
    if (vectors)
      throw new DatasetError(
        'dataset.targets needs tabular data (csv, arrow features, iris, digits); image datasets stream class labels through the native loader',
      );
    if (regression)
      throw new DatasetError("dataset.task 'regression' needs tabular data; image datasets are classified");
    const parts = manager.loaderPlanParts(p);
    const base = parts.data as ImageDataPlan;
    const loader = { threads: block.loader?.threads ?? 1, prefetch: block.loader?.prefetch };
    const plan = (part: 'train' | 'validation' | 'test', train: boolean) => ({
      // one cache file, each split a row selection of it (no per-split copies on disk)
      path: p.cacheFile,
      rows: p.split[part],
      label: parts.label,
      seed,
      batchSize: train ? ctx.batchSize : ctx.evalBatchSize,
      shuffle: train && block.shuffle,
      dropLast: train && ctx.dropLast,
      ...loader,
      data: { ...base, transforms: [...(train ? (block.augment ?? []) : []), ...(base.transforms ?? [])] },
    });
    const open = (part: 'validation' | 'test') =>
      p.split[part].length ? new NativeSplit(p.split[part].length, plan(part, false), true) : undefined;
    const train = new NativeSplit(p.split.train.length, plan('train', true), false);
    const splits = [train, open('validation'), open('test')];
    const close = async () => {
      for (const s of splits) await s?.close();
    };
    const other = splits.slice(1).find((s) => s && s.sampleShape.join() !== train.sampleShape.join());
    if (other) {
      await close();
      throw new DatasetError(
        `dataset.augment changes the sample shape to [${train.sampleShape}] but evaluation samples are [${other.sampleShape}]; keep the image size (e.g. randomCrop with size equal to the image and padding)`,
      );
    }
    return { ...common, train, validation: splits[1], test: splits[2], inputShape: train.sampleShape, close };
  }
  const d = p.data();
  if (d.kind !== 'tabular') throw new Error('unreachable');
  const x = applyPreprocess(p.preprocessors, samplesOf(d));
  const features = 'values' in x ? x.values : d.features;
  const width = features.length / d.count;
  const sampleShape = block.shape ?? BUILTIN_SHAPES[block.type] ?? [width];
  if (sampleShape.reduce((a, b) => a * b, 1) !== width)
    throw new DatasetError(
      `dataset.shape [${sampleShape}] holds ${sampleShape.reduce((a, b) => a * b, 1)} values but the samples have ${width} features`,
    );
  const ds: TabularDataset = {
    name: block.type,
    features,
    sampleShape,
    labels: d.labels,
    classes: d.classes,
    count: d.count,
  };
  let targetOf: ((samples: number[]) => Tensor) | undefined;
  let targetShape: number[] | undefined;
  if (vectors) {
    const t = readVectorTargets(block.targets!, 'dataset.targets', {
      datasetPath: spec.path as string | undefined,
      baseDir: ctx.baseDir,
      count: d.count,
      skipped: p.meta.skipped.length,
    });
    const shared = block.targets!.path === undefined ? t.names.filter((n) => d.featureNames.includes(n)) : [];
    if (shared.length)
      throw new DatasetError(
        `dataset.targets: column(s) ${shared.map((n) => `'${n}'`).join(', ')} are both features and targets; list the feature columns in dataset.features without them`,
      );
    targetShape = [t.width];
    targetOf = (samples) => {
      const out = new Float32Array(samples.length * t.width);
      samples.forEach((s, i) => out.set(t.values.subarray(s * t.width, (s + 1) * t.width), i * t.width));
      return tensor('float32', [samples.length, t.width], out);
    };
  } else if (values) {
    const v = values;
    targetOf = (samples) =>
      tensor(
        'float32',
        [samples.length],
        Float32Array.from(samples, (s) => v[d.labels[s]]),
      );
  }
  const split = (idx: number[], train: boolean) =>
    new MemorySplit(
      ds,
      idx,
      train ? ctx.batchSize : ctx.evalBatchSize,
      train && block.shuffle,
      seed,
      train && ctx.dropLast,
      targetOf,
    );
  return {
    ...common,
    train: split(p.split.train, true),
    validation: p.split.validation.length ? split(p.split.validation, false) : undefined,
    test: p.split.test.length ? split(p.split.test, false) : undefined,
    inputShape: sampleShape,
    targetShape,
  };
}

/** The fitted steps prepended to an inference model (nothing to do without them). */
function bakeFitted(model: Model, fitted: Fitted[], inputName: string): Model {
  return fitted.length ? bakePreprocessing(model, fitted, inputName) : model;
}
