/**
 * Cosine embedding loss against a target vector, PyTorch's `CosineEmbeddingLoss` with every pair
 * labelled similar (y = 1): 1 - cos(x, t) over the last axis, with PyTorch's epsilon inside the
 * norms, cos = sum(x t) / sqrt((sum(x^2) + 1e-12) (sum(t^2) + 1e-12)); then reduced by mean or sum
 * over the remaining positions (the rows of an [N, D] embedding). It trains an embedding's
 * direction toward its target's and ignores its length.
 */
import { component } from '../../config/component.js';
import {
  labelLikePrediction,
  OptionError,
  reductionOption,
  reduceAll,
  requireFloat,
  type LossBuild,
  type LossContext,
  type Reduction,
} from './loss.js';

export interface CosineEmbeddingOptions {
  reduction: Reduction;
}

/** PyTorch's EPSILON in cosine_embedding_loss (aten/src/ATen/native/Loss.cpp). */
const EPS = 1e-12;

export const cosineEmbedding = component({
  type: 'cosine_embedding',
  description:
    "1 - cosine similarity to a target vector over the last axis (PyTorch's CosineEmbeddingLoss, similar pairs); for embedding outputs",
  options: { reduction: reductionOption },
  create(options, { b, input }: LossContext): LossBuild {
    requireFloat('cosine_embedding', input);
    if (input.shape.length === 0)
      throw new OptionError(
        `loss 'cosine_embedding' compares vectors along the last axis, but the prediction '${input.prediction}' is a scalar; train a vector output ([N, D])`,
      );
    const axis = b.ints([-1]);
    const sum = (x: string, name: string) => b.op('ReduceSum', [x, axis], { keepdims: 0 }, name);
    const eps = b.constant(input.dtype, EPS, []);
    const x = input.prediction;
    const t = input.label;
    const dot = sum(b.op('Mul', [x, t]), 'cos_dot');
    const nx = b.op('Add', [sum(b.op('Mul', [x, x]), 'cos_xx'), eps]);
    const nt = b.op('Add', [sum(b.op('Mul', [t, t]), 'cos_tt'), eps]);
    const cos = b.op('Div', [dot, b.op('Sqrt', [b.op('Mul', [nx, nt])])], {}, 'cos');
    const per = b.op('Sub', [b.constant(input.dtype, 1, []), cos], {}, 'cos_loss');
    return { loss: reduceAll(b, per, options.reduction), labelInput: labelLikePrediction(input) };
  },
});
