/**
 * The ModelManager: turns the experiment's `model` block into a model ready for the artifact
 * builder. `{ "type": "<zoo name>", ...hyperparameters }` builds a zoo architecture;
 * `{ "type": "onnx", "path": ... }` loads an exported graph as it comes, converts its opset,
 * replaces its head when asked, selects what trains, and checks it against the dataset. Every
 * failure is an error naming the config path, node or parameter, before the first batch.
 *
 * Options are validated once: `load` takes a raw block (gymnosd models show, scripts) and checks
 * it; `build` takes a block the experiment schema already resolved and checks nothing again.
 */
import { isAbsolute, resolve } from 'node:path';
import type { Model } from '../onnx/ir.js';
import { loadModel } from '../onnx/io.js';
import { canonicalize } from '../onnx/opset.js';
import { cloneModel } from '../onnx/clone.js';
import { inferShapes } from '../onnx/shapes/infer.js';
import type { TrainableSelection } from '../autodiff/trainable.js';
import { selectParameters } from '../autodiff/trainable.js';
import { inspectModel, type ModelReport } from './inspect.js';
import { ZOO, type DatasetInfo } from './registry.js';
import { validateOnnxOptions, type OnnxModelOptions } from './onnx-model.js';
import { untieInitializers } from './untie.js';
import { bakedPreprocessingConstants, lastLayerParameters, replaceHead, type HeadReplacement } from './finetune.js';
import { ModelError } from './errors.js';
import { applyInputShapes } from './input-shapes.js';
import { nearest } from '../config/schema.js';
import { optionsOf, type ComponentSpec } from '../config/component.js';

/** The experiment's `model` block. */
export interface ModelSpec {
  type: string;
  [option: string]: unknown;
}

export interface LoadContext {
  /** Seed of weight initialization (zoo weights, a new head). */
  seed: number;
  /** The dataset's per-sample input shape and class count, to size zoo models and check ONNX ones. */
  datasetInfo?: DatasetInfo;
  /** Directory that relative `path`s resolve against (default: the working directory). */
  baseDir?: string;
  /** Config path of the block, for messages (default 'model'). */
  path?: string;
}

export interface LoadedModel {
  /** The model, canonical (opset 18, weights as initializers). */
  model: Model;
  /** Data inputs to train with (undefined: every graph input). */
  inputs?: string[];
  /** The value the loss uses (undefined: the first graph output). */
  output?: string;
  /** Which parameters train (undefined: all). */
  trainable?: TrainableSelection;
  paramGroups?: Array<{ params: string[]; lrScale?: number; weightDecay?: number }>;
  /** What `gymnosd check` says about the model with this selection. */
  report: ModelReport;
  head?: HeadReplacement;
}

export class ModelManager {
  /** Names accepted in `model.type`. */
  static types(): string[] {
    return [...ZOO.types(), 'onnx'];
  }

  /** Validates a raw model block (at `ctx.path`, default 'model'), then builds or loads it. */
  load(spec: ModelSpec, ctx: LoadContext): LoadedModel {
    const path = ctx.path ?? 'model';
    const { type, ...options } = spec;
    if (type === 'onnx') return this.loadOnnx(validateOnnxOptions(options, path), ctx, path);
    if (typeof type !== 'string' || !ZOO.has(type)) {
      const near = typeof type === 'string' ? nearest(type, ModelManager.types()) : undefined;
      throw new ModelError(
        `expected one of ${ModelManager.types()
          .map((t) => `'${t}'`)
          .join(', ')} for ${path}.type but got ${JSON.stringify(type)}${near ? ` (did you mean '${near}'?)` : ''}`,
      );
    }
    return this.build(ZOO.resolve(spec, path), ctx);
  }

  /** Builds or loads a resolved model block (from the experiment schema or `load`): no option is checked again. */
  build(spec: ComponentSpec, ctx: LoadContext): LoadedModel {
    const path = ctx.path ?? 'model';
    const options = optionsOf(spec);
    if (spec.type === 'onnx') return this.loadOnnx(options as OnnxModelOptions, ctx, path);
    const zoo = ZOO.require(spec.type, `${path}.type`);
    const model = canonicalize(
      zoo.create(options, { seed: ctx.seed, datasetInfo: ctx.datasetInfo, path }),
      `${path} (${spec.type})`,
    );
    return { model, report: inspectModel(cloneModel(model), `zoo:${spec.type}`) };
  }

  private loadOnnx(o: OnnxModelOptions, ctx: LoadContext, path: string): LoadedModel {
    const file = isAbsolute(o.path) ? o.path : resolve(ctx.baseDir ?? process.cwd(), o.path);
    const model = canonicalize(loadModel(file), file);
    if (o.inputShapes) applyInputShapes(model, o.inputShapes, path);
    const g = model.graph;
    if (o.untieInitializers) untieInitializers(g);
    for (const [i, name] of (o.inputs ?? []).entries()) {
      if (!g.inputs.some((v) => v.name === name))
        throw new ModelError(
          `${path}.inputs[${i}]: '${name}' is not an input of ${o.path}; inputs are: ${g.inputs.map((v) => v.name).join(', ')}`,
        );
    }
    let output = o.output;
    if (
      output !== undefined &&
      !g.outputs.some((v) => v.name === output) &&
      !g.nodes.some((n) => n.outputs.includes(output!))
    ) {
      throw new ModelError(
        `${path}.output: '${output}' is not a value of ${o.path}; outputs are: ${g.outputs.map((v) => v.name).join(', ')}`,
      );
    }
    let head: HeadReplacement | undefined;
    if (o.headReplace) {
      const classes = o.headReplace.classes ?? ctx.datasetInfo?.numClasses;
      if (classes === undefined)
        throw new ModelError(
          `${path}.headReplace.classes: not set and no dataset to take the number of classes from; set it`,
        );
      head = replaceHead(
        model,
        output ?? g.outputs[0].name,
        { classes, init: o.headReplace.init, name: o.headReplace.name, output: o.headReplace.output },
        ctx.seed,
        path,
      );
      output = head.logits;
    }
    const trainable = selection(model, o, path);
    const report = inspectModel(cloneModel(model), file, trainable ?? {});
    if (report.unsupported.length || report.problems.length) {
      const lines = [
        ...report.unsupported.map((u) => `node '${u.node}': ${u.domain ? `${u.domain}.` : ''}${u.op}`),
        ...report.problems,
      ];
      throw new ModelError(
        `${path}.path: Gymnos cannot train ${o.path} as it is (gymnosd check ${o.path} says):\n  ${lines.join('\n  ')}`,
      );
    }
    checkAgainstDataset(model, o.inputs?.[0], output, ctx.datasetInfo, path, !!o.headReplace);
    return { model, inputs: o.inputs, output, trainable, paramGroups: o.paramGroups, report, head };
  }
}

/** The trainable selection from freeze/train/trainLast, each pattern checked against the parameters. */
function selection(model: Model, o: OnnxModelOptions, path: string): TrainableSelection | undefined {
  const baked = bakedPreprocessingConstants(model);
  if (!o.freeze && !o.train && o.trainLast === undefined) return baked.length ? { freeze: baked } : undefined;
  const sel: TrainableSelection = { freeze: o.freeze, train: o.train };
  selectParameters(model.graph, sel, path); // throws on a pattern matching nothing, naming model.freeze[i]
  if (baked.length) sel.freeze = [...(o.freeze ?? []), ...baked];
  if (o.trainLast !== undefined) {
    const last = lastLayerParameters(model.graph, o.trainLast, path);
    sel.train = o.train ? last.filter((p) => o.train!.includes(p)) : last;
  }
  return sel;
}

/** The model's data input and output against the dataset's sample shape and classes. */
function checkAgainstDataset(
  model: Model,
  inputName: string | undefined,
  output: string | undefined,
  data: DatasetInfo | undefined,
  path: string,
  headReplaced: boolean,
): void {
  if (!data) return;
  const g = model.graph;
  const input = inputName ? g.inputs.find((v) => v.name === inputName)! : g.inputs[0];
  const per = input?.shape?.slice(1);
  if (per && per.every((d) => typeof d === 'number')) {
    const want = (per as number[]).reduce((a, b) => a * b, 1);
    const have = data.inputShape.reduce((a, b) => a * b, 1);
    if (want !== have) {
      throw new ModelError(
        `${path}.path: model input '${input.name}' takes [${per.join(', ')}] per sample (${want} values) but the dataset gives [${data.inputShape.join(', ')}] (${have}); pick the matching input with ${path}.inputs, or a matching dataset`,
      );
    }
  }
  const outName = output ?? g.outputs[0]?.name;
  let shape = g.outputs.find((v) => v.name === outName)?.shape;
  if (!shape && outName) {
    try {
      shape = inferShapes(g, model.opset.get('') ?? 18).info.get(outName)?.shape;
    } catch {
      shape = undefined;
    }
  }
  const classes = shape?.length === 2 ? shape[1] : undefined;
  if (!headReplaced && data.targetWidth !== undefined && typeof classes === 'number' && classes !== data.targetWidth) {
    throw new ModelError(
      `${path}: dataset.targets gives vectors of width ${data.targetWidth} but the model's output '${outName}' is [${shape!.join(', ')}]; choose another value with ${path}.output, or put a new head of that width on it with ${path}.headReplace: { "output": "${outName}" }`,
    );
  }
  if (
    !headReplaced &&
    data.numClasses !== undefined &&
    typeof classes === 'number' &&
    classes !== data.numClasses &&
    classes > 1
  ) {
    throw new ModelError(
      `${path}: output '${outName}' has ${classes} classes but the dataset has ${data.numClasses}; set ${path}.headReplace: { "classes": ${data.numClasses} } to train a new head`,
    );
  }
}
