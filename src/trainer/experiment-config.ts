/**
 * The shape of the experiment file, as the Trainer reads it: the top-level blocks, the fit loop's
 * own settings, and one slot per component kind. The slots (`{ "type": ..., ...options }` entries
 * of a registry) are filled by the composition root (src/experiment/), which knows every registry;
 * this module knows none of them, so the Trainer, callbacks and trackers can name the config type
 * without importing what is registered above them.
 */
import { arr, bool, int, num, obj, opt, show, str, type Infer, type Schema } from '../config/schema.js';
import type { ComponentSpec } from '../config/component.js';
import type { DatasetBlock } from '../datasets/block.js';

/** A resolved optimizer entry: every option filled, `lr` among them. */
export type OptimizerEntry = ComponentSpec & { lr: number };

/** One schema per component slot of the experiment file. */
export interface ExperimentSlots {
  dataset: Schema<DatasetBlock>;
  model: Schema<ComponentSpec>;
  loss: Schema<ComponentSpec>;
  optimizer: Schema<OptimizerEntry>;
  lrSchedule: Schema<ComponentSpec>;
  metric: Schema<ComponentSpec>;
  callback: Schema<ComponentSpec>;
  tracker: Schema<ComponentSpec>;
  session: Schema<Record<string, unknown>>;
}

const RECOMPUTE_DOC =
  'activation recomputation, trading time for memory (as torch.utils.checkpoint): "none" keeps every activation the backward pass reads; "auto" recomputes the cheap ones (elementwise, BatchNormalization, ReLU, reshapes) in the backward pass from the ones kept anyway (ResNet-20: 199 -> 52 MB of saved activations at batch 64); a list of node-name patterns (glob, /regex/ or exact) recomputes the outputs of those forward nodes';

/** `training.recompute`: "none" | "auto" | [node name patterns]. */
const recompute: Schema<'none' | 'auto' | string[]> = {
  doc: RECOMPUTE_DOC,
  optional: false,
  fallback: () => 'none',
  parse(v, path, issues) {
    if (v === 'none' || v === 'auto') return v;
    if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' && x.length > 0))
      return [...v] as string[];
    issues.push({
      path,
      message: `expected "none", "auto" or a non-empty array of node name patterns for ${path} but got ${show(v)}`,
    });
    return undefined;
  },
  json: () => ({
    description: RECOMPUTE_DOC,
    default: 'none',
    oneOf: [
      { type: 'string', enum: ['none', 'auto'] },
      { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
    ],
  }),
};

const DEFAULT_TRACKERS = [{ type: 'metrics_jsonl' }, { type: 'metrics_csv' }];

/** The experiment schema with the given component slots. */
export function experimentSchemaOf(s: ExperimentSlots) {
  return obj({
    $schema: opt(str({ doc: 'ignored; lets editors find the JSON Schema (gymnosd schema > experiment.schema.json)' })),
    $comment: opt(str({ doc: 'ignored; a note for readers' })),
    experiment: obj(
      {
        name: str({
          minLength: 1,
          default: 'experiment',
          doc: 'name of the experiment; runs go to <runsDir>/<name>/<id>',
        }),
        tags: arr(str(), { default: [], doc: 'free-form tags saved with the run' }),
        description: opt(str({ doc: 'free-form description' })),
      },
      { default: { name: 'experiment', tags: [] }, doc: 'name and tags' },
    ),
    dataset: s.dataset,
    model: s.model,
    training: obj(
      {
        epochs: int({ min: 1, default: 10, doc: 'passes over the training data' }),
        batchSize: int({ min: 1, default: 32, doc: 'samples per batch' }),
        evalBatchSize: int({ min: 1, default: 256, doc: 'samples per validation/test batch' }),
        dropLast: bool({ default: false, doc: 'drop the last, smaller training batch of each epoch' }),
        loss: s.loss,
        optimizer: s.optimizer,
        lrSchedule: s.lrSchedule,
        gradientAccumulation: int({
          min: 1,
          default: 1,
          doc: "micro-batches per optimizer step: each batch's gradients are added up in the graph (memory of one batch; BatchNormalization statistics per micro-batch), then one optimizer step applies their mean; an epoch's last group may hold fewer batches; schedules count optimizer steps; cannot be combined with stepsPerRun > 1",
        }),
        recompute,
        clipGradNorm: opt(num({ exclusiveMin: 0, doc: 'clip the global gradient norm to this value' })),
        clipGradValue: opt(num({ exclusiveMin: 0, doc: 'clip each gradient element to [-v, v]' })),
        terminateOnNan: bool({
          default: true,
          doc: 'fail the run when the training loss or the weights become NaN or infinite: exit 2, state.json failed, no checkpoint or model.onnx with such weights written, earlier checkpoints kept; false trains on regardless',
        }),
        stepsPerRun: int({
          min: 1,
          default: 1,
          doc: "optimizer steps per ONNX Runtime call (one ONNX Loop); > 1 drops each epoch's remainder steps",
        }),
        seed: int({ min: 0, default: 0, doc: 'seed of initialization, splits, shuffling and dropout' }),
        trainable: obj(
          {
            freeze: arr(str({ minLength: 1 }), { default: [], doc: 'parameter names or glob patterns to keep fixed' }),
          },
          { default: { freeze: [] }, doc: 'which parameters train' },
        ),
        metrics: opt(
          arr(s.metric, {
            doc: 'metrics besides the loss (default: accuracy for classification losses, mse/mae/r2 otherwise)',
          }),
        ),
        checkpoint: obj(
          {
            everySteps: int({
              min: 0,
              default: 0,
              doc: 'also checkpoint every this many optimizer steps (0: at epoch ends only)',
            }),
            keepLast: int({ min: 1, default: 3, doc: 'checkpoints kept; older ones are deleted' }),
          },
          { default: { everySteps: 0, keepLast: 3 }, doc: 'when checkpoints are written' },
        ),
        callbacks: arr(s.callback, { default: [], doc: 'callbacks, each { "type": name, ...options }' }),
      },
      { default: {} as never, doc: 'the fit loop' },
    ),
    session: s.session,
    tracking: obj(
      {
        trackers: arr(s.tracker, { default: DEFAULT_TRACKERS, doc: 'where metrics go' }),
      },
      { default: { trackers: DEFAULT_TRACKERS }, doc: 'metrics outputs' },
    ),
  });
}

/** An experiment with every default filled (what config.json holds). */
export type ExperimentConfig = Infer<ReturnType<typeof experimentSchemaOf>>;
