/**
 * The preprocessor contract. A preprocessor is fitted on the training split only, serialized as
 * plain JSON, applied at training time in TypeScript, and baked into the exported inference
 * graph as standard ONNX nodes so the exported model takes raw inputs. Each module exports one
 * `PreprocessorKind`; the registry (index.ts) is built from those exports.
 */
import type { GraphBuilder } from '../../onnx/builder.js';
import type { DType } from '../../onnx/tensor.js';
import type { Dim } from '../../onnx/ir.js';
import type { Component } from '../../config/component.js';

/** Samples a preprocessor is fitted on or applied to. */
export type Samples =
  /** uint8 HWC images, [count, H, W, C]. */
  | { kind: 'image'; count: number; shape: [number, number, number]; pixels: Uint8Array }
  /** float32 features (or already-converted images), [count, ...sampleShape]. */
  | { kind: 'float'; count: number; sampleShape: number[]; values: Float32Array };

/** A fitted preprocessor: plain JSON, `type` names its kind. */
export interface Fitted {
  type: string;
  [k: string]: unknown;
}

/** The model input a bake produces: what the exported model accepts. */
export interface RawInput {
  dtype: DType;
  /** Shape of one sample (the batch dimension is added in front). */
  sampleShape: Dim[];
}

/**
 * One kind of preprocessor: a component (`options` declared with the schema toolkit; `create`
 * turns resolved options into its typed spec) plus the fit / apply / bake steps.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface PreprocessorKind<S = unknown, F extends Fitted = Fitted> extends Component<any, S> {
  /** Fits on the training samples. `classes` are the dataset's class names. */
  fit(spec: S, train: Samples, classes: string[]): F;
  /** The training-time transform of the model input (identity for label-only kinds). */
  apply(f: F, x: Samples): Samples;
  /** Input side: the raw input this step accepts, given what it must produce (undefined: unchanged). */
  rawInput?(f: F, produced: RawInput): RawInput;
  /** Emits the transform of `input` and returns the name of its output. */
  bakeInput?(f: F, b: GraphBuilder, input: string): string;
  /** Output side: appends outputs to the graph (e.g. a class-name output); returns their infos. */
  bakeOutput?(f: F, b: GraphBuilder, output: string): { name: string; dtype: DType; shape: Dim[] }[];
}

/** Float32 view of samples (uint8 images become HWC floats, unscaled). */
export function asFloat(x: Samples): { count: number; sampleShape: number[]; values: Float32Array } {
  if (x.kind === 'float') return x;
  return { count: x.count, sampleShape: [...x.shape], values: Float32Array.from(x.pixels) };
}
