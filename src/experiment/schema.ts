/**
 * The experiment schema, composed: the Trainer's experiment shape (trainer/experiment-config.ts)
 * with one slot per component kind filled from its registry. This is the one place that knows
 * every registry, so adding a component touches only its own module and its registry's list.
 */
import { obj, opt, str, type Issue, type Schema } from '../config/schema.js';
import { ConfigError } from '../config/errors.js';
import type { ComponentSpec } from '../config/component.js';
import { LOSSES } from '../autodiff/losses/index.js';
import { OPTIMIZERS } from '../autodiff/optimizers/index.js';
import { sessionOptionsUnfilled } from '../sessions/config.js';
import { METRICS } from '../metrics/index.js';
import { SCHEDULES } from '../schedules/index.js';
import { MODELS } from '../models/factory.js';
import { datasetBlockSchema } from '../datasets/block.js';
import { experimentSchemaOf, type ExperimentConfig, type ExperimentSlots } from '../trainer/experiment-config.js';
import { CALLBACKS } from '../callbacks/index.js';
import { TRACKERS } from '../trackers/index.js';

export type { ExperimentConfig } from '../trainer/experiment-config.js';

/**
 * `session`: the SessionManager's options plus `profile` naming a session profile of system.json.
 * Only the keys written are kept: the profile is merged under them at run time, then the
 * SessionManager fills the defaults (shown in the schema).
 */
const session = obj(
  {
    profile: opt(str({ minLength: 1, doc: 'a session profile from system.json; the keys here override it' })),
    ...sessionOptionsUnfilled(),
  },
  {
    default: {},
    doc: 'execution provider, threads and ONNX Runtime options (SessionManager); defaults are filled when the run starts',
  },
) as Schema<Record<string, unknown>>;

/** The slots of the experiment file, each from its registry. */
export const SLOTS: ExperimentSlots = {
  dataset: datasetBlockSchema,
  model: MODELS.schema({ doc: 'the model: a zoo architecture or an .onnx file' }),
  loss: LOSSES.schema({ default: { type: 'softmax_cross_entropy' }, doc: 'the loss: { "type": name, ...options }' }),
  optimizer: OPTIMIZERS.schema({
    default: { type: 'adam' },
    doc: 'the optimizer: { "type": name, "lr": rate, ...options }',
  }) as ExperimentSlots['optimizer'],
  lrSchedule: SCHEDULES.schema({ default: { type: 'constant' }, doc: 'learning-rate schedule over optimizer steps' }),
  metric: METRICS.schema({ doc: 'a metric: { "type": name, ...options }' }),
  callback: CALLBACKS.schema({ doc: 'a callback: { "type": name, ...options }' }),
  tracker: TRACKERS.schema({ doc: 'a tracker: { "type": name, ...options }' }),
  session,
};

export const experimentSchema = experimentSchemaOf(SLOTS);

/** Every registry, by the config path its entries sit at (for `gymnosd schema` and the registry test). */
export const REGISTRIES = {
  model: MODELS,
  'training.loss': LOSSES,
  'training.optimizer': OPTIMIZERS,
  'training.lrSchedule': SCHEDULES,
  'training.metrics[]': METRICS,
  'training.callbacks[]': CALLBACKS,
  'tracking.trackers[]': TRACKERS,
} as const;

/** Validates an experiment; throws ConfigError listing every issue. */
export function parseExperiment(raw: unknown, source = 'experiment'): ExperimentConfig {
  const issues: Issue[] = [];
  // training defaults must be filled field by field when the block is absent
  const input =
    raw && typeof raw === 'object' && !Array.isArray(raw) && !('training' in raw) ? { ...raw, training: {} } : raw;
  const r = experimentSchema.parse(input, '', issues);
  if (!r || issues.length) throw new ConfigError(source, issues);
  return r;
}

/** The JSON Schema of the experiment file. */
export function experimentJsonSchema(): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Gymnos experiment',
    ...experimentSchema.json(),
  };
}

export type { ComponentSpec };
