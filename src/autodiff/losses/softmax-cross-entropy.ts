/**
 * Softmax cross-entropy on logits, PyTorch's `CrossEntropyLoss(weight, ignore_index,
 * label_smoothing)` and ONNX's `SoftmaxCrossEntropyLoss`: logits [N, C, d1, ...] (classes on
 * axis 1), labels either class indices [N, d1, ...] (int64 or int32) or class probabilities shaped
 * like the logits (mixup, cutmix).
 *
 * With class indices y, keep mask k (y != ignore_index), class weights w and smoothing e, the mean is
 *   -sum_i k_i [(1 - e) w_{y_i} logp_{i,y_i} + (e / C) sum_c w_c logp_{i,c}] / sum_i k_i w_{y_i}
 * exactly as PyTorch normalizes it. Without smoothing the picked log-probabilities come from
 * GatherElements (O(N) forward work; its gradient scatters into the class axis); with smoothing the
 * whole target distribution is one Where over Equal(label, class index), which measured faster
 * than gathering plus a separate smoothing sum. A batch whose targets are all ignored
 * gives 0 (PyTorch gives NaN), so one such batch cannot poison training.
 */
import type { GraphBuilder } from '../../onnx/builder.js';
import { DTYPE_CODE, type DType } from '../../onnx/tensor.js';
import { arr, num, oneOf, opt, show, type Schema } from '../../config/schema.js';
import { component } from '../../config/component.js';
import {
  OptionError,
  reductionOption,
  requireFloat,
  type LossBuild,
  type LossContext,
  type LossInput,
  type Reduction,
} from './loss.js';

export interface SoftmaxCrossEntropyOptions {
  reduction: Reduction;
  /** Targets with this class index are skipped (null: none). PyTorch's default is -100. */
  ignoreIndex: number | null;
  /** PyTorch's label smoothing epsilon in [0, 1]. */
  labelSmoothing: number;
  /** One weight per class, or undefined. */
  weight?: number[];
  /** 'index': integer class labels; 'probabilities': a distribution per position, shaped like the logits. */
  labels: 'index' | 'probabilities';
  /** Element type of index labels. */
  labelDtype: 'int64' | 'int32';
}

/** Smallest normal number per float type: the denominator guard. */
const TINY: Partial<Record<DType, number>> = {
  float16: 6.103515625e-5,
  float32: 1.1754943508222875e-38,
  float64: 2.2250738585072014e-308,
};

const IGNORE_DOC =
  "targets with this class index are skipped (null: none; default -100 as in PyTorch); not with labels: 'probabilities'";
/** `ignore_index`: an integer or null; absent means -100 for index labels. */
const ignoreIndex: Schema<number | null | undefined> = {
  doc: IGNORE_DOC,
  optional: true,
  parse(v, path, issues) {
    if (v === null || (typeof v === 'number' && Number.isInteger(v))) return v;
    issues.push({ path, message: `expected an integer or null for ${path} but got ${show(v)}` });
    return undefined;
  },
  json: () => ({ description: IGNORE_DOC, type: ['integer', 'null'] }),
};

export const softmaxCrossEntropy = component({
  type: 'softmax_cross_entropy',
  description: "softmax cross-entropy on logits (PyTorch's CrossEntropyLoss), for classification",
  options: {
    reduction: reductionOption,
    ignore_index: ignoreIndex,
    label_smoothing: num({ min: 0, max: 1, default: 0, doc: "PyTorch's label smoothing epsilon in [0, 1]" }),
    weight: opt(arr(num({ min: 0 }), { minItems: 1, doc: 'one weight per class' })),
    labels: oneOf(['index', 'probabilities'] as const, {
      default: 'index',
      doc: "'index': integer class labels; 'probabilities': a distribution per position, shaped like the logits (mixup, cutmix)",
    }),
    label_dtype: oneOf(['int64', 'int32'] as const, { default: 'int64', doc: 'element type of index labels' }),
  },
  check: (o, path) =>
    o.labels === 'probabilities' && o.ignore_index !== undefined
      ? `expected no ignore_index with labels: 'probabilities' for ${path}.ignore_index (PyTorch ignores it for probability targets) but got ${o.ignore_index}; remove it`
      : undefined,
  create(r, { b, input }: LossContext): LossBuild {
    const o: SoftmaxCrossEntropyOptions = {
      reduction: r.reduction,
      ignoreIndex: r.labels === 'index' ? (r.ignore_index === undefined ? -100 : r.ignore_index) : null,
      labelSmoothing: r.label_smoothing,
      weight: r.weight,
      labels: r.labels,
      labelDtype: r.label_dtype,
    };
    const name = 'softmax_cross_entropy';
    requireFloat(name, input);
    const { shape } = input;
    if (shape.length < 2) {
      throw new OptionError(
        `loss '${name}' needs logits shaped [N, C] or [N, C, d1, ...], but '${input.prediction}' is [${shape.join(', ')}]`,
      );
    }
    const C = shape[1];
    if (typeof C !== 'number' && (o.weight || o.labelSmoothing > 0)) {
      throw new OptionError(
        `loss '${name}': class weights and label smoothing need a known class count, but axis 1 of '${input.prediction}' is '${C}'`,
      );
    }
    if (o.weight && o.weight.length !== C) {
      throw new OptionError(
        `loss '${name}': weight has ${o.weight.length} entries but the logits have ${C} classes on axis 1; give one weight per class`,
      );
    }
    const logp = b.op('LogSoftmax', [input.prediction], { axis: 1 }, 'log_prob');
    return o.labels === 'probabilities' ? probabilityLoss(b, o, input, logp) : indexLoss(b, o, input, logp);
  },
});

/** Per-class constants shaped [1, C, 1, ...] to broadcast against the logits. */
function classConstant(b: GraphBuilder, values: number[], input: LossInput): string {
  const dims = input.shape.map((_, i) => (i === 1 ? values.length : 1));
  return b.constant(input.dtype, values, dims);
}

function indexLoss(b: GraphBuilder, o: SoftmaxCrossEntropyOptions, input: LossInput, logp: string) {
  const { shape, dtype } = input;
  const c = (v: number) => b.constant(dtype, v, []);
  const C = shape[1] as number;
  const eps = o.labelSmoothing;
  const labelInput = { name: input.label, dtype: o.labelDtype, shape: [shape[0], ...shape.slice(2)] };
  let lab = b.op('Unsqueeze', [input.label, b.ints([1])], {}, 'label');
  let keep: string | undefined;
  if (o.ignoreIndex !== null) {
    const ignored = b.op('Equal', [lab, b.constant(o.labelDtype, o.ignoreIndex, [])], {}, 'ignored');
    keep = b.op('Cast', [b.op('Not', [ignored])], { to: DTYPE_CODE[dtype] }, 'keep');
    lab = b.op('Where', [ignored, b.constant(o.labelDtype, 0, []), lab], {}, 'safe_label');
  }
  // per-target coefficient w_y * keep (the mean's denominator sums it)
  let coef = keep;
  if (o.weight) {
    const wy = b.op('Gather', [b.constant(dtype, o.weight, [C]), lab], { axis: 0 }, 'target_weight');
    coef = keep ? b.op('Mul', [wy, keep]) : wy;
  }
  const plainMean = !coef && o.reduction === 'mean'; // no ignore_index, no weights: a plain mean over positions
  let total: string;
  if (eps === 0) {
    // O(N) forward: pick log p of the target; the gradient scatters into the class axis
    const picked = b.op('GatherElements', [logp, lab], { axis: 1 }, 'picked_log_prob');
    total = b.op(plainMean ? 'ReduceMean' : 'ReduceSum', [coef ? b.op('Mul', [picked, coef]) : picked], {
      keepdims: 0,
    });
  } else {
    // smoothed targets as one Where over a class-index comparison: w_c ((1 - e) [c = y] + e / C);
    // cheaper than gather + a separate smoothing sum, whose gradients would meet in a full-size Sum
    const classes = b.constant(
      o.labelDtype,
      Array.from({ length: C }, (_, i) => i),
      shape.map((_, i) => (i === 1 ? C : 1)),
    );
    const isTarget = b.op('Equal', [lab, classes], {}, 'is_target');
    const hi = o.weight
      ? classConstant(
          b,
          o.weight.map((w) => w * (1 - eps + eps / C)),
          input,
        )
      : c(1 - eps + eps / C);
    const lo = o.weight
      ? classConstant(
          b,
          o.weight.map((w) => (w * eps) / C),
          input,
        )
      : c(eps / C);
    const prod = b.op('Mul', [logp, b.op('Where', [isTarget, hi, lo], {}, 'smoothed_target')], {}, 'target_log_prob');
    if (keep) {
      const perPos = b.op('ReduceSum', [prod, b.ints([1])], { keepdims: 1 }, 'per_position');
      total = b.op('ReduceSum', [b.op('Mul', [perPos, keep])], { keepdims: 0 });
    } else if (plainMean) {
      total = b.op('Mul', [b.op('ReduceMean', [prod], { keepdims: 0 }), c(C)]);
    } else {
      total = b.op('ReduceSum', [prod], { keepdims: 0 });
    }
  }
  if (o.reduction === 'mean' && coef) {
    const den = b.op('Max', [b.op('ReduceSum', [coef], { keepdims: 0 }, 'target_weight_sum'), c(TINY[dtype] ?? 1e-30)]);
    total = b.op('Div', [total, den]);
  }
  return { loss: b.op('Neg', [total], {}, 'cross_entropy'), labelInput };
}

function probabilityLoss(b: GraphBuilder, o: SoftmaxCrossEntropyOptions, input: LossInput, logp: string) {
  const { shape, dtype } = input;
  const c = (v: number) => b.constant(dtype, v, []);
  const eps = o.labelSmoothing;
  const C = shape[1];
  // q' = q (1 - e) w + e w / C, folded into one multiply and one add
  let q = input.label;
  if (o.weight) {
    q = b.op('Mul', [
      q,
      classConstant(
        b,
        o.weight.map((w) => w * (1 - eps)),
        input,
      ),
    ]);
    if (eps > 0)
      q = b.op('Add', [
        q,
        classConstant(
          b,
          o.weight.map((w) => (w * eps) / (C as number)),
          input,
        ),
      ]);
  } else if (eps > 0) {
    q = b.op('Add', [b.op('Mul', [q, c(1 - eps)]), c(eps / (C as number))]);
  }
  const prod = b.op('Mul', [q, logp], {}, 'target_log_prob');
  let total: string;
  if (o.reduction === 'sum') total = b.op('ReduceSum', [prod], { keepdims: 0 });
  else if (typeof C === 'number') total = b.op('Mul', [b.op('ReduceMean', [prod], { keepdims: 0 }), c(C)]);
  else total = b.op('ReduceMean', [b.op('ReduceSum', [prod, b.ints([1])], { keepdims: 0 })], { keepdims: 0 });
  return {
    loss: b.op('Neg', [total], {}, 'cross_entropy'),
    labelInput: { name: input.label, dtype, shape: [...shape] },
  };
}
