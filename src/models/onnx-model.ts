/**
 * The `onnx` model type: an exported graph, loaded with its external data, canonicalized (opset
 * conversion, Constant weights folded into initializers), optionally given a new classification
 * head, with the parameters to train chosen by pattern or by layer count.
 */
import {
  arr,
  bool,
  int,
  num,
  obj,
  oneOf,
  opt,
  record,
  show,
  str,
  type Issue,
  type ObjectOf,
  type Schema,
} from '../config/schema.js';
import { ConfigError } from '../config/errors.js';

/** One input dimension: a size >= 1, or null (symbolic). */
const dim: Schema<number | null> = {
  optional: false,
  doc: 'a size >= 1 pins the axis; null keeps it symbolic (on axis 0: makes a fixed batch symbolic again)',
  parse: (v, path, issues) => {
    if (v === null || (typeof v === 'number' && Number.isInteger(v) && v >= 1)) return v;
    issues.push({ path, message: `expected an integer >= 1 or null (symbolic) for ${path} but got ${show(v)}` });
    return undefined;
  },
  json: () => ({
    type: ['integer', 'null'],
    minimum: 1,
    description: 'a size >= 1 pins the axis; null keeps it symbolic (on axis 0: makes a fixed batch symbolic again)',
  }),
};

export const onnxModelOptions = {
  path: str({
    minLength: 1,
    doc: 'path to the .onnx file (relative to the experiment file); external data beside it is read',
  }),
  inputs: opt(arr(str({ minLength: 1 }), { doc: 'the data inputs (default: every graph input)' })),
  inputShapes: opt(
    record(arr(dim), {
      doc: 'input dimensions by input name, e.g. { "x": [null, 3, 64, 64] }: numbers pin symbolic axes (symbolic H/W or time), null keeps an axis symbolic; null on a batch the export fixed (at 1) makes it symbolic again, rewriting the Reshapes that carry it',
    }),
  ),
  output: opt(
    str({
      minLength: 1,
      doc: "the value the loss is computed on (default: the first graph output, or the new head's logits)",
    }),
  ),
  headReplace: opt(
    obj(
      {
        classes: opt(int({ min: 1, doc: 'classes of the new head (default: from the dataset)' })),
        init: oneOf(['xavier_uniform', 'kaiming_uniform'] as const, {
          default: 'xavier_uniform',
          doc: 'weight initialization of the new head (bias: zero)',
        }),
        name: str({
          minLength: 1,
          default: 'head',
          doc: 'parameter name prefix of the new head (head.weight, head.bias)',
        }),
        output: opt(
          str({
            minLength: 1,
            doc: 'put the new head (Flatten if needed, then a Linear layer) on this value, e.g. the feature output of an embedding model, instead of replacing the layer producing the output; its logits become a graph output',
          }),
        ),
      },
      {
        doc: 'replace the classification layer (Gemm, or MatMul + Add) producing the output with a new one, or (with headReplace.output) add one on a chosen value',
      },
    ),
  ),
  untieInitializers: opt(
    bool({
      doc: 'give every reader of an initializer that the exporter shared through Identity nodes (PyTorch merges identical tensors, e.g. fresh BatchNorm weights or zero biases) its own copy, so parameters that were separate in the source model train separately; gymnosd check lists the tied ones',
    }),
  ),
  freeze: opt(arr(str({ minLength: 1 }), { doc: 'parameters to freeze: names, globs (*, ?) or /regex/' })),
  train: opt(arr(str({ minLength: 1 }), { doc: 'only parameters matching these train (names, globs or /regex/)' })),
  trainLast: opt(
    int({ min: 1, doc: 'train only the parameters of the last N layers (nodes with parameters); the rest freeze' }),
  ),
  paramGroups: opt(
    arr(
      obj({
        params: arr(str({ minLength: 1 }), { minItems: 1, doc: 'parameter names, globs or /regex/' }),
        lrScale: opt(num({ min: 0, doc: 'learning-rate multiplier' })),
        weightDecay: opt(num({ min: 0, doc: 'weight decay of the group' })),
      }),
      { doc: 'discriminative learning rates: the first group matching a parameter sets its lrScale and weightDecay' },
    ),
  ),
};

export type OnnxModelOptions = ObjectOf<typeof onnxModelOptions>;

const schema = obj(onnxModelOptions);

/** Checks the options of an `onnx` model block (without `type`) at config path `path`. */
export function validateOnnxOptions(options: unknown, path: string): OnnxModelOptions {
  const issues: Issue[] = [];
  const v = schema.parse(options ?? {}, path, issues);
  if (v === undefined || issues.length) throw new ConfigError("model 'onnx'", issues);
  return v;
}
