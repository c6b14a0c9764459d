/**
 * The contract every loss implements, and helpers they share. A loss appends standard ONNX forward
 * ops that turn a prediction and a label input into one scalar; the autodiff engine differentiates
 * those nodes like any others.
 */
import type { Dim, ValueInfo } from '../../onnx/ir.js';
import type { GraphBuilder } from '../../onnx/builder.js';
import type { DType } from '../../onnx/tensor.js';
import { oneOf } from '../../config/schema.js';
import type { Component } from '../../config/component.js';
import { GymnosError } from '../../util/errors.js';

/** A loss's options do not fit the model it is built on (class count, prediction type). */
export class OptionError extends GymnosError {
  readonly code = 'ERR_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'OptionError';
  }
}

/** How per-element losses become one scalar. */
export type Reduction = 'mean' | 'sum';
export const REDUCTIONS: readonly Reduction[] = ['mean', 'sum'];

/** What a loss is built on. */
export interface LossInput {
  /** Value name of the model's prediction (logits for the cross-entropy losses). */
  prediction: string;
  /** Its shape; the batch dimension may be symbolic. */
  shape: Dim[];
  /** Its element type (float32 in training; float64 in gradient checks). */
  dtype: DType;
  /** Name the loss gives its label graph input. */
  label: string;
}

/** What a loss built. */
export interface LossBuild {
  /** The scalar loss value (dtype of the prediction). */
  loss: string;
  /** The label graph input the caller must add to the graph's inputs and feed every step. */
  labelInput: ValueInfo;
  /** Further graph inputs the caller must add (none of the built-in losses need any). */
  extraInputs?: ValueInfo[];
}

/** What a loss is created in: the graph builder and the prediction it is computed on. */
export interface LossContext {
  b: GraphBuilder;
  input: LossInput;
}

/** One loss: a component whose `create` emits its nodes through `ctx.b` from resolved options. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LossDef<O = any> = Component<O, LossBuild, LossContext>;

/** Reduces a tensor of per-element losses to a scalar: ReduceMean or ReduceSum over all axes. */
export function reduceAll(b: GraphBuilder, x: string, reduction: Reduction): string {
  return b.op(reduction === 'mean' ? 'ReduceMean' : 'ReduceSum', [x], { keepdims: 0 }, 'loss');
}

/** The `reduction` option every loss takes. */
export const reductionOption = oneOf(REDUCTIONS, {
  default: 'mean',
  doc: "how per-element losses become one number: 'mean' or 'sum'",
});

/** Checks that the prediction has a floating element type. */
export function requireFloat(name: string, input: LossInput): void {
  if (input.dtype !== 'float32' && input.dtype !== 'float64' && input.dtype !== 'float16') {
    throw new OptionError(
      `loss '${name}' needs a floating-point prediction, but '${input.prediction}' is ${input.dtype}`,
    );
  }
}

/** A label input shaped and typed like the prediction (regression and binary targets). */
export function labelLikePrediction(input: LossInput): ValueInfo {
  return { name: input.label, dtype: input.dtype, shape: [...input.shape] };
}

/**
 * A per-element weight vector (pos_weight, weight) broadcast over the last axis, or a scalar:
 * returns a constant shaped [k] (numpy broadcasting aligns it with the last axis) after checking
 * that k matches that axis where it is known.
 */
export function lastAxisConstant(
  b: GraphBuilder,
  lossName: string,
  key: string,
  values: number[],
  input: LossInput,
): string {
  if (values.length > 1) {
    const last = input.shape[input.shape.length - 1];
    if (input.shape.length === 0 || (typeof last === 'number' && last !== values.length)) {
      throw new OptionError(
        `loss '${lossName}': ${key} has ${values.length} entries but the prediction's last axis is ${last ?? 'absent'} ([${input.shape.join(', ')}]); give one entry per element of that axis or a single number`,
      );
    }
  }
  return b.constant(input.dtype, values, values.length === 1 ? [] : [values.length]);
}
