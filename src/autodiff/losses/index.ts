/**
 * The loss registry, built from the loss modules (one file each). Adding a loss means adding its
 * module to LOSS_DEFS; nothing else changes.
 */
import type { GraphBuilder } from '../../onnx/builder.js';
import type { Dim } from '../../onnx/ir.js';
import type { DType } from '../../onnx/tensor.js';
import type { LossBuild, LossDef } from './loss.js';
import { OptionError, type RawOptions } from './options.js';
import { softmaxCrossEntropy } from './softmax-cross-entropy.js';
import { bceWithLogits } from './bce-with-logits.js';
import { mse } from './mse.js';
import { l1 } from './l1.js';
import { huber } from './huber.js';
import { cosineEmbedding } from './cosine-embedding.js';

export type { LossBuild, LossDef, LossInput, Reduction } from './loss.js';
export type { SoftmaxCrossEntropyOptions } from './softmax-cross-entropy.js';
export type { BceWithLogitsOptions } from './bce-with-logits.js';
export type { MseOptions } from './mse.js';
export type { L1Options } from './l1.js';
export type { HuberOptions } from './huber.js';
export type { CosineEmbeddingOptions } from './cosine-embedding.js';
export { OptionError } from './options.js';

const LOSS_DEFS: LossDef<unknown>[] = [softmaxCrossEntropy, bceWithLogits, mse, l1, huber, cosineEmbedding];

/** Losses by registered name. */
export const LOSSES: ReadonlyMap<string, LossDef<unknown>> = new Map(LOSS_DEFS.map((d) => [d.name, d]));

/** A loss as written in the experiment config: `{ "type": "<name>", ...options }`. */
export interface LossSpec extends RawOptions { type: string }

/** The registered loss named by `spec.type`, or an OptionError listing the valid names. */
export function lossDef(spec: LossSpec, where = 'loss'): LossDef<unknown> {
  const def = LOSSES.get(spec.type);
  if (!def) throw new OptionError(`expected one of ${[...LOSSES.keys()].map((n) => `'${n}'`).join(', ')} for ${where}.type but got ${JSON.stringify(spec.type)}`);
  return def;
}

/** Checks a loss spec completely (name and options) without building anything. */
export function validateLoss(spec: LossSpec, where = 'loss'): unknown {
  return lossDef(spec, where).validate(spec, where);
}

/**
 * Validates `spec` and appends its loss to the graph behind `b`. The caller adds
 * `labelInput` (and any `extraInputs`) to the graph's inputs. `where` is the config path used in
 * error messages (e.g. `training.loss`).
 */
export function buildLoss(b: GraphBuilder, spec: LossSpec, prediction: string, predictionShape: Dim[], dtype: DType, labelName: string, where = 'loss'): LossBuild {
  const def = lossDef(spec, where);
  const options = def.validate(spec, where);
  return def.build(b, options, { prediction, shape: predictionShape, dtype, label: labelName });
}
