/**
 * The loss registry, built from the loss modules (one file each). Adding a loss means adding its
 * module to the list; its options schema documents and validates it everywhere.
 */
import type { GraphBuilder } from '../../onnx/builder.js';
import type { Dim } from '../../onnx/ir.js';
import type { DType } from '../../onnx/tensor.js';
import { Registry, type ComponentSpec } from '../../config/component.js';
import type { LossBuild, LossDef } from './loss.js';
import { softmaxCrossEntropy } from './softmax-cross-entropy.js';
import { bceWithLogits } from './bce-with-logits.js';
import { mse } from './mse.js';
import { l1 } from './l1.js';
import { huber } from './huber.js';
import { cosineEmbedding } from './cosine-embedding.js';

export type { LossBuild, LossContext, LossDef, LossInput, Reduction } from './loss.js';
export type { SoftmaxCrossEntropyOptions } from './softmax-cross-entropy.js';
export type { BceWithLogitsOptions } from './bce-with-logits.js';
export type { MseOptions } from './mse.js';
export type { L1Options } from './l1.js';
export type { HuberOptions } from './huber.js';
export type { CosineEmbeddingOptions } from './cosine-embedding.js';
export { OptionError } from './loss.js';

/** Losses by registered type. */
export const LOSSES = new Registry<LossDef>('loss', [
  softmaxCrossEntropy,
  bceWithLogits,
  mse,
  l1,
  huber,
  cosineEmbedding,
]);

/** A loss as written in the experiment config: `{ "type": "<name>", ...options }`. */
export type LossSpec = ComponentSpec;

/**
 * Validates a raw loss spec (name and options) and returns it resolved (defaults filled); throws a ConfigError listing
 * every issue.
 */
export function validateLoss(spec: unknown, where = 'loss'): LossSpec {
  return LOSSES.resolve(spec, where);
}

/**
 * Appends the loss a resolved `spec` names to the graph behind `b` (no validation here: resolve
 * raw specs with `validateLoss` first). The caller adds `labelInput` (and any `extraInputs`) to the
 * graph's inputs.
 */
export function buildLoss(
  b: GraphBuilder,
  spec: LossSpec,
  prediction: string,
  predictionShape: Dim[],
  dtype: DType,
  labelName: string,
  where = 'loss',
): LossBuild {
  return LOSSES.create(spec, { b, input: { prediction, shape: predictionShape, dtype, label: labelName } }, where);
}
