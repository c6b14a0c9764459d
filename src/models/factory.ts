/**
 * The model factory the Trainer calls: `model` is `{ "type": "<zoo name>" | "onnx", ...options }`.
 * Its components are the zoo's (each architecture's own type, description, options and checks,
 * sized from the data) and the `onnx` type. The experiment schema validates a block once against
 * them; `create` hands the resolved block to the ModelManager, which builds or loads the model and
 * checks it against the dataset without validating the options again.
 */
import { Registry, type Component } from '../config/component.js';
import type { Model } from '../onnx/ir.js';
import type { TrainableSelection } from '../autodiff/trainable.js';
import { ZOO, type ZooModel } from './registry.js';
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

/** A model type the factory builds through the ModelManager: a zoo architecture (its component) or `onnx`. */
function def<O>(d: Pick<ZooModel<O>, 'type' | 'description' | 'options' | 'check'>): ModelDef<O> {
  return {
    type: d.type,
    description: d.description,
    options: d.options,
    ...(d.check && { check: d.check }),
    create: (o, ctx) => {
      const loaded = manager.build(
        { type: d.type, ...(o as Record<string, unknown>) },
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
  ...ZOO.list.map((z) => def(z)),
  def<OnnxModelOptions>({
    type: 'onnx',
    description:
      'an exported ONNX model file: opset 9+ converted, optional new head, freezing and per-group learning rates',
    options: onnxModelOptions,
  }),
]);

export const mlp = MODELS.get('mlp')!;
export const cnn = MODELS.get('cnn')!;
export const onnx = MODELS.get('onnx')!;
