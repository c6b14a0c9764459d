/**
 * The model factory the Trainer calls: `model` is `{ "type": "<zoo name>" | "onnx", ...options }`.
 * Its definitions come from the registry (zoo architectures, sized from the data) and the `onnx`
 * type; `create` goes through the ModelManager, which validates, builds or loads, and checks the
 * model against the dataset.
 */
import type { Props } from '../config/schema.js';
import { Registry, type Component } from '../config/component.js';
import type { Model } from '../onnx/ir.js';
import type { TrainableSelection } from '../autodiff/trainable.js';
import { ZOO } from './registry.js';
import { ModelManager, type LoadedModel } from './model-manager.js';
import { onnxModelOptions, type OnnxModelOptions } from './onnx-model.js';

/** What the factory knows about the data and run. */
export interface ModelContext {
  inputShape: number[];
  /** Output width: classes for classification, target width for regression. */
  outputs: number;
  /** Set when the outputs are the width of float target vectors (dataset.targets), not classes. */
  targetWidth?: number;
  /** Seed for weight initialization. */
  seed: number;
  /** Directory relative model paths resolve against. */
  baseDir: string;
}

/** A built model plus what to train on (undefined: the model's own inputs/output, every parameter). */
export interface BuiltModel {
  model: Model;
  inputs?: string[];
  output?: string;
  trainable?: TrainableSelection;
  paramGroups?: Array<{ params: string[]; lrScale?: number; weightDecay?: number }>;
  loaded?: LoadedModel;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ModelDef<O = any> = Component<O, BuiltModel, ModelContext>;

const manager = new ModelManager();

function def<O>(type: string, description: string, options: Props): ModelDef<O> {
  return {
    type,
    description,
    options,
    create: (o, ctx) => {
      const loaded = manager.load(
        { type, ...(o as Record<string, unknown>) },
        {
          seed: ctx.seed,
          baseDir: ctx.baseDir,
          datasetInfo: { inputShape: ctx.inputShape, numClasses: ctx.outputs, targetWidth: ctx.targetWidth },
        },
      );
      return {
        model: loaded.model,
        inputs: loaded.inputs,
        output: loaded.output,
        trainable: loaded.trainable,
        paramGroups: loaded.paramGroups,
        loaded,
      };
    },
  };
}

/** Every model type: the zoo architectures, then `onnx`. */
export const MODELS = new Registry<ModelDef>('model', [
  ...ZOO.map((z) => def<never>(z.name, z.describe, z.options)),
  def<OnnxModelOptions>(
    'onnx',
    'an exported ONNX model file: opset 9+ converted, optional new head, freezing and per-group learning rates',
    onnxModelOptions,
  ),
]);

export const mlp = MODELS.get('mlp')!;
export const cnn = MODELS.get('cnn')!;
export const onnx = MODELS.get('onnx')!;
