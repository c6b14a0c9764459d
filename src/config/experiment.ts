/**
 * The experiment schema: the one definition of the experiment file. It gives the TypeScript type
 * (`ExperimentConfig`), the defaults, the docs and the JSON Schema that `gymnosd schema` prints.
 * Components are `{ "type": "<registered name>", ...options }` and their variants come from the
 * registries (datasets, models, metrics, schedules), so adding a component touches its own module.
 */
import { arr, bool, external, int, num, obj, opt, show, str, tagged, type Infer, type Issue, type Props, type Schema } from './schema.js';
import { ConfigError } from './errors.js';
import { LOSSES, validateLoss, type LossSpec } from '../autodiff/losses/index.js';
import { OPTIMIZERS, resolveOptimizer, type OptimizerSpec } from '../autodiff/optimizers/index.js';
import { validateSessionConfig, sessionConfigKeys } from '../sessions/config.js';
import { METRIC_DEFS } from '../metrics/index.js';
import { SCHEDULE_DEFS } from '../schedules/index.js';
import { MODEL_DEFS } from '../models/factory.js';
import { datasetBlockSchema } from '../trainer/dataset-block.js';
import { CALLBACK_DEFS } from '../callbacks/index.js';
import { TRACKER_DEFS } from '../trackers/index.js';

const variants = (defs: ReadonlyArray<{ name: string; options: Props }>) => Object.fromEntries(defs.map((d) => [d.name, d.options])) as Record<string, Props>;

const componentJson = (names: string[], doc: string) => ({ type: 'object', description: doc, required: ['type'], properties: { type: { enum: names } } });

const loss = external<LossSpec>((v, path) => { validateLoss(v as LossSpec, path); return v as LossSpec; },
  componentJson([...LOSSES.keys()], 'the loss: { "type": name, ...options }'), { default: { type: 'softmax_cross_entropy' }, doc: 'the loss' });

/**
 * The largest accepted learning rate. No optimizer here trains at a rate above it (SGD's usual
 * rates are 1e-3..1, Adam's 1e-5..1e-2; even LARS-style large-batch SGD stays below 10); a larger
 * one is almost always a typo (1e10 for 1e-10) and diverges to NaN within a step or two.
 */
export const MAX_LR = 10;

const optimizer = external<OptimizerSpec>((v, path) => {
  const { lr } = resolveOptimizer(v as OptimizerSpec, path).options;
  if (lr > MAX_LR) throw new Error(`expected a learning rate <= ${MAX_LR} for ${path}.lr but got ${lr}; such a rate diverges (typical rates: 1e-4 to 1e-1${lr >= 1000 ? `; did you mean ${lr.toExponential().replace('e+', 'e-')}?` : ''})`);
  return v as OptimizerSpec;
},
  componentJson([...OPTIMIZERS.keys()], `the optimizer: { "type": name, "lr": rate (at most ${MAX_LR}), ...options }`), { default: { type: 'adam', lr: 0.001 }, doc: 'the optimizer' });

const RECOMPUTE_DOC = 'activation recomputation, trading time for memory (as torch.utils.checkpoint): "none" keeps every activation the backward pass reads; "auto" recomputes the cheap ones (elementwise, BatchNormalization, ReLU, reshapes) in the backward pass from the ones kept anyway (ResNet-20: 199 -> 52 MB of saved activations at batch 64); a list of node-name patterns (glob, /regex/ or exact) recomputes the outputs of those forward nodes';

/** `training.recompute`: "none" | "auto" | [node name patterns]. */
const recompute: Schema<'none' | 'auto' | string[]> = {
  doc: RECOMPUTE_DOC, optional: false, fallback: () => 'none',
  parse(v, path, issues) {
    if (v === 'none' || v === 'auto') return v;
    if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' && x.length > 0)) return [...v] as string[];
    issues.push({ path, message: `expected "none", "auto" or a non-empty array of node name patterns for ${path} but got ${show(v)}` });
    return undefined;
  },
  json: () => ({ description: RECOMPUTE_DOC, default: 'none', oneOf: [{ type: 'string', enum: ['none', 'auto'] }, { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 }] }),
};

/** `session`: SessionManager's block, plus `profile` naming a session profile of system.json. */
const session = external<Record<string, unknown>>((v, path) => {
  const { profile, ...rest } = v;
  if (profile !== undefined && (typeof profile !== 'string' || !profile)) throw new Error(`expected a profile name from system.json for ${path}.profile but got ${JSON.stringify(profile)}`);
  validateSessionConfig(rest, path);
  return v;
}, {
  type: 'object', additionalProperties: false, description: 'execution provider, threads and ONNX Runtime options (SessionManager)',
  properties: { profile: { type: 'string', description: 'a session profile from system.json; the keys here override it' },
    ...Object.fromEntries(Object.entries(sessionConfigKeys()).map(([k, d]) => [k, { description: d }])) },
}, { default: {}, doc: 'execution provider, threads and ONNX Runtime options' });

export const experimentSchema = obj({
  $schema: opt(str({ doc: 'ignored; lets editors find the JSON Schema (gymnosd schema > experiment.schema.json)' })),
  $comment: opt(str({ doc: 'ignored; a note for readers' })),
  experiment: obj({
    name: str({ minLength: 1, default: 'experiment', doc: 'name of the experiment; runs go to <runsDir>/<name>/<id>' }),
    tags: arr(str(), { default: [], doc: 'free-form tags saved with the run' }),
    description: opt(str({ doc: 'free-form description' })),
  }, { default: { name: 'experiment', tags: [] }, doc: 'name and tags' }),
  dataset: datasetBlockSchema,
  model: tagged(variants(MODEL_DEFS), { doc: 'the model: a zoo architecture or an .onnx file' }),
  training: obj({
    epochs: int({ min: 1, default: 10, doc: 'passes over the training data' }),
    batchSize: int({ min: 1, default: 32, doc: 'samples per batch' }),
    evalBatchSize: int({ min: 1, default: 256, doc: 'samples per validation/test batch' }),
    dropLast: bool({ default: false, doc: 'drop the last, smaller training batch of each epoch' }),
    loss,
    optimizer,
    lrSchedule: tagged(variants(SCHEDULE_DEFS), { default: { type: 'constant' }, doc: 'learning-rate schedule over optimizer steps' }),
    gradientAccumulation: int({ min: 1, default: 1, doc: 'micro-batches per optimizer step: each batch\'s gradients are added up in the graph (memory of one batch; BatchNormalization statistics per micro-batch), then one optimizer step applies their mean; an epoch\'s last group may hold fewer batches; schedules count optimizer steps; cannot be combined with stepsPerRun > 1' }),
    recompute,
    clipGradNorm: opt(num({ exclusiveMin: 0, doc: 'clip the global gradient norm to this value' })),
    clipGradValue: opt(num({ exclusiveMin: 0, doc: 'clip each gradient element to [-v, v]' })),
    terminateOnNan: bool({ default: true, doc: 'fail the run when the training loss or the weights become NaN or infinite: exit 2, state.json failed, no checkpoint or model.onnx with such weights written, earlier checkpoints kept; false trains on regardless' }),
    stepsPerRun: int({ min: 1, default: 1, doc: 'optimizer steps per ONNX Runtime call (one ONNX Loop); > 1 drops each epoch\'s remainder steps' }),
    seed: int({ min: 0, default: 0, doc: 'seed of initialization, splits, shuffling and dropout' }),
    trainable: obj({ freeze: arr(str({ minLength: 1 }), { default: [], doc: 'parameter names or glob patterns to keep fixed' }) },
      { default: { freeze: [] }, doc: 'which parameters train' }),
    metrics: opt(arr(tagged(variants(METRIC_DEFS)), { doc: 'metrics besides the loss (default: accuracy for classification losses, mse/mae/r2 otherwise)' })),
    checkpoint: obj({
      everySteps: int({ min: 0, default: 0, doc: 'also checkpoint every this many optimizer steps (0: at epoch ends only)' }),
      keepLast: int({ min: 1, default: 3, doc: 'checkpoints kept; older ones are deleted' }),
    }, { default: { everySteps: 0, keepLast: 3 }, doc: 'when checkpoints are written' }),
    callbacks: arr(tagged(variants(CALLBACK_DEFS)), { default: [], doc: 'callbacks: { "type": early_stopping|reduce_lr_on_plateau|model_checkpoint|lr_scheduler|terminate_on_nan|csv_logger|tensorboard|progress_bar|backup_and_restore, ...options }' }),
  }, { default: {} as never, doc: 'the fit loop' }),
  session,
  tracking: obj({
    trackers: arr(tagged(variants(TRACKER_DEFS)), { default: [{ type: 'metrics_jsonl' }, { type: 'metrics_csv' }], doc: 'where metrics go' }),
  }, { default: { trackers: [{ type: 'metrics_jsonl' }, { type: 'metrics_csv' }] }, doc: 'metrics outputs' }),
});

/** An experiment with every default filled (what config.json holds). */
export type ExperimentConfig = Infer<typeof experimentSchema>;

/** Validates an experiment; throws ConfigError listing every issue. */
export function parseExperiment(raw: unknown, source = 'experiment'): ExperimentConfig {
  const issues: Issue[] = [];
  // training defaults must be filled field by field when the block is absent
  const input = raw && typeof raw === 'object' && !Array.isArray(raw) && !('training' in raw) ? { ...raw, training: {} } : raw;
  const r = experimentSchema.parse(input, '', issues);
  if (!r || issues.length) throw new ConfigError(source, issues);
  return r;
}

/** The JSON Schema of the experiment file. */
export function experimentJsonSchema(): Record<string, unknown> {
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', title: 'Gymnos experiment', ...experimentSchema.json() };
}
