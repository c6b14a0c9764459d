/**
 * `evaluate(target, opts)`: metrics of a trained model on a dataset split. The target is a run
 * directory (its newest checkpoint, and by default its own dataset and session settings), an
 * .onnx file or a model in memory. The data comes through the dataset pipeline as in training
 * (cache, split, fitted preprocessing) and the model runs through the SessionManager.
 * `gymnosd evaluate` prints the result.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ExperimentConfig } from '../trainer/experiment-config.js';
import { ConfigError } from '../config/errors.js';
import { readJsonFile } from '../config/files.js';
import type { Issue } from '../config/schema.js';
import { parseSystem, type SystemConfig } from '../config/system.js';
import { BAKED_PREPROCESSING_KEY } from '../datasets/preprocess/bake.js';
import { METRICS, computeAll, createMetrics } from '../metrics/index.js';
import { decodeModel, encodeModel, loadModel } from '../onnx/io.js';
import type { Model } from '../onnx/ir.js';
import { SessionManager, type SessionManagerOptions } from '../sessions/session-manager.js';
import { parseDatasetBlock } from '../datasets/block.js';
import { createTrainingData, FeedAdapter } from '../datasets/index.js';
import { exportFromRun, runConfig } from '../experiment/run-config.js';
import { UserError } from '../util/errors.js';
import { dataInput } from './predict.js';

export type SplitName = 'test' | 'validation' | 'train';

/** Samples per batch without a run to take training.evalBatchSize from (its default). */
const DEFAULT_EVAL_BATCH = 256;

export interface EvaluateOptions {
  /**
   * The data: a dataset source type ('digits'), a dataset block (`{ "type": ..., ...options }`),
   * a JSON string of one, or the path of an experiment file (its dataset and training.seed).
   * Default: the run's own dataset (required for a model file).
   */
  data?: string | Record<string, unknown>;
  /** Which part of the data (default 'test'). */
  split?: SplitName;
  /** The `session` block; default: the run's (unless it names a device profile), else `{ device: 'cpu' }`. */
  session?: unknown;
  sessionOptions?: SessionManagerOptions;
  /**
   * Metrics as in `training.metrics` (default: accuracy, precision/recall/F1 and the confusion matrix, or MSE, MAE and
   * R² for regression).
   */
  metrics?: Array<{ type: string } & Record<string, unknown>>;
  /** Where relative dataset paths resolve (default: the working directory). */
  baseDir?: string;
  /** system.json settings (the dataset cache); default: the defaults under `baseDir`. */
  system?: SystemConfig;
  signal?: AbortSignal;
}

export interface EvaluateResult {
  /** The run directory or model file evaluated (absolute), or 'model' for one in memory. */
  model: string;
  split: SplitName;
  samples: number;
  metrics: Record<string, unknown>;
}

interface DataChoice {
  block: unknown;
  seed: number;
  source: string;
}

/** The dataset block and split seed `data` names, falling back to the run's. */
function chooseData(data: EvaluateOptions['data'], run: ExperimentConfig | undefined): DataChoice {
  if (data === undefined) {
    if (!run)
      throw new UserError(
        'evaluating a model file needs data: a dataset type (digits), a JSON dataset block, or an experiment file (--data)',
      );
    return { block: run.dataset, seed: run.training.seed, source: 'the run' };
  }
  const seed = run?.training.seed ?? 0;
  if (typeof data !== 'string') return { block: data, seed, source: 'data' };
  if (data.trim().startsWith('{')) {
    try {
      return { block: JSON.parse(data), seed, source: 'data' };
    } catch {
      throw new UserError(`data: not valid JSON: ${data}`);
    }
  }
  if (existsSync(data) && statSync(data).isFile()) {
    // an experiment file: its dataset with its seed (the split depends on it)
    const raw = readJsonFile(data) as { dataset?: unknown; training?: { seed?: unknown } };
    const s = raw.training?.seed ?? 0;
    if (!Number.isInteger(s) || (s as number) < 0)
      throw new ConfigError(data, [
        { path: 'training.seed', message: `expected an integer >= 0 for training.seed but got ${JSON.stringify(s)}` },
      ]);
    return { block: raw.dataset, seed: s as number, source: data };
  }
  return { block: { type: data }, seed, source: 'data' };
}

/** Loads the model to evaluate: a run's (preprocessing not baked: its data comes preprocessed) or a file's. */
async function targetModel(
  target: string | Model,
  baseDir: string,
): Promise<{ model: Model; run?: ExperimentConfig; label: string }> {
  if (typeof target !== 'string') return { model: decodeModel(encodeModel(target)), label: 'model' };
  if (existsSync(target) && statSync(target).isDirectory()) {
    const run = runConfig(target);
    return { model: (await exportFromRun(target, baseDir, { bake: false })).model, run, label: resolve(target) };
  }
  const model = loadModel(target);
  const baked = model.metadata[BAKED_PREPROCESSING_KEY];
  if (baked) {
    throw new UserError(
      `${target} has its preprocessing baked in (${(JSON.parse(baked) as string[]).join(', ')}): it takes raw inputs, while --data feeds preprocessed ones; evaluate the run directory instead (gymnosd evaluate <run-dir> [--data ...]), or run the model on raw inputs with gymnosd predict`,
    );
  }
  return { model, label: resolve(target) };
}

/** Metrics of `target` (a run directory, an .onnx file or a model) on a split of `opts.data`. */
export async function evaluate(target: string | Model, opts: EvaluateOptions = {}): Promise<EvaluateResult> {
  const baseDir = opts.baseDir ?? process.cwd();
  const split = opts.split ?? 'test';
  const { model, run, label } = await targetModel(target, baseDir);
  const choice = chooseData(opts.data, run);
  const issues: Issue[] = [];
  const block = parseDatasetBlock(choice.block, 'dataset', issues);
  if (!block) throw new ConfigError(choice.source, issues);
  const sys = opts.system ?? parseSystem({}, 'defaults', baseDir);
  // the session settings are checked before any data is read (the worker starts with the first session)
  const runSession = run?.session && !('profile' in run.session) ? run.session : undefined;
  const sessions = new SessionManager(opts.session ?? runSession ?? { device: 'cpu' }, opts.sessionOptions);
  const batch = run?.training.evalBatchSize ?? DEFAULT_EVAL_BATCH;
  let data: Awaited<ReturnType<typeof createTrainingData>> | undefined;
  try {
    data = await createTrainingData(block, {
      batchSize: batch,
      evalBatchSize: batch,
      seed: choice.seed,
      dropLast: false,
      cacheDir: sys.cacheDir,
      baseDir,
      signal: opts.signal,
    });
    const part = data[split];
    if (!part) throw new UserError(`the dataset has no ${split} split (set dataset.split.${split})`);
    const input = dataInput(model, label);
    const output = model.graph.outputs[0];
    const feed = new FeedAdapter(input, { name: 'label', dtype: 'int64', shape: ['N'] });
    feed.check(data.inputShape, data.numClasses);
    const specs =
      opts.metrics ??
      (data.numClasses
        ? [{ type: 'accuracy' }, { type: 'precision_recall_f1' }, { type: 'confusion_matrix' }]
        : [{ type: 'mse' }, { type: 'mae' }, { type: 'r2' }]);
    for (const [i, m] of specs.entries()) {
      if (!METRICS.has(m.type))
        throw new UserError(`metrics[${i}].type: expected one of ${METRICS.types().join(', ')} but got '${m.type}'`);
    }
    // createMetrics puts the loss mean first; evaluate has no loss
    const metrics = createMetrics(specs, { numClasses: data.numClasses }).slice(1);
    const s = await sessions.createSession('evaluate', encodeModel(model));
    for await (const b of part.batches(0, 0)) {
      opts.signal?.throwIfAborted();
      const out = await s.run(feed.batch([b]).inputs, [output.name], { signal: opts.signal });
      for (const m of metrics)
        m.update({ prediction: out[output.name], label: b.target, loss: NaN, count: b.target.dims[0] });
      b.release?.();
    }
    return { model: label, split, samples: part.size, metrics: computeAll(metrics) };
  } finally {
    await sessions.close();
    await data?.close?.();
  }
}
