/**
 * The model factory: `model` is `{ "type": "mlp" | "cnn" | "onnx", ...options }`. Zoo
 * architectures are sized from the data (input shape, number of classes); an ONNX file is loaded
 * as it is, with its data inputs and output selected for training.
 */
import { isAbsolute, resolve } from 'node:path';
import { arr, int, num, opt, str, bool } from '../config/schema.js';
import type { Props } from '../config/schema.js';
import type { Model } from '../onnx/ir.js';
import { loadModel } from '../onnx/io.js';
import { buildCnn, buildMlp } from './zoo/small.js';

/** What the factory knows about the data and run. */
export interface ModelContext {
  inputShape: number[];
  /** Output width: classes for classification, target width for regression. */
  outputs: number;
  /** Seed for weight initialization. */
  seed: number;
  /** Directory relative model paths resolve against. */
  baseDir: string;
}

/** A built model plus the training inputs/output to use (undefined: the model's own). */
export interface BuiltModel { model: Model; inputs?: string[]; output?: string }

export interface ModelDef<O = Record<string, unknown>> {
  readonly name: string;
  readonly doc: string;
  readonly options: Props;
  create(options: O, ctx: ModelContext): BuiltModel;
}

export interface MlpModelOptions { hidden: number[]; dropout: number; seed?: number }
export interface CnnModelOptions { channels: number[]; batchNorm: boolean; dropout: number; hidden: number; seed?: number }
export interface OnnxModelOptions { path: string; inputs?: string[]; output?: string }

const seedOpt = opt(int({ doc: 'seed of the weight initialization (default: training.seed)' }));

export const mlp: ModelDef<MlpModelOptions> = {
  name: 'mlp', doc: 'multi-layer perceptron: Gemm + ReLU (+ Dropout) per hidden layer; inputs are flattened',
  options: {
    hidden: arr(int({ min: 1 }), { default: [64], doc: 'width of each hidden layer' }),
    dropout: num({ min: 0, max: 0.95, default: 0, doc: 'dropout after each hidden layer' }),
    seed: seedOpt,
  },
  create: (o, ctx) => ({ model: buildMlp({ inputs: ctx.inputShape.reduce((a, b) => a * b, 1), hidden: o.hidden, classes: ctx.outputs, dropout: o.dropout, seed: o.seed ?? ctx.seed }) }),
};

export const cnn: ModelDef<CnnModelOptions> = {
  name: 'cnn', doc: 'LeNet-style CNN: 3x3 conv blocks (conv, [batchnorm], relu, maxpool 2), then dense layers; needs [C, H, W] inputs',
  options: {
    channels: arr(int({ min: 1 }), { default: [16, 32], minItems: 1, doc: 'output channels of each conv block' }),
    batchNorm: bool({ default: true, doc: 'BatchNormalization after each conv' }),
    dropout: num({ min: 0, max: 0.95, default: 0, doc: 'dropout before the dense layers' }),
    hidden: int({ min: 0, default: 64, doc: 'width of the hidden dense layer (0: none)' }),
    seed: seedOpt,
  },
  create: (o, ctx) => {
    if (ctx.inputShape.length !== 3) throw new Error(`model 'cnn' needs image inputs [channels, height, width] but the dataset gives [${ctx.inputShape}]; use model.type 'mlp'`);
    const [c, h, w] = ctx.inputShape;
    return { model: buildCnn({ input: [c, h, w], channels: o.channels, classes: ctx.outputs, batchNorm: o.batchNorm, dropout: o.dropout, hidden: o.hidden, seed: o.seed ?? ctx.seed }) };
  },
};

export const onnx: ModelDef<OnnxModelOptions> = {
  name: 'onnx', doc: 'an exported ONNX model file, trained as it is (freeze parts with training.trainable.freeze)',
  options: {
    path: str({ minLength: 1, doc: 'path to the .onnx file (relative to the experiment file)' }),
    inputs: opt(arr(str({ minLength: 1 }), { doc: 'the data inputs (default: every graph input)' })),
    output: opt(str({ minLength: 1, doc: 'the output the loss is computed on (default: the first graph output)' })),
  },
  create: (o, ctx) => ({ model: loadModel(isAbsolute(o.path) ? o.path : resolve(ctx.baseDir, o.path)), inputs: o.inputs, output: o.output }),
};

export const MODEL_DEFS = [mlp, cnn, onnx] as ModelDef<never>[];
