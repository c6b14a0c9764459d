/**
 * Gradient clipping, as PyTorch's `clip_grad_norm_` (2-norm) and `clip_grad_value_`:
 *   total = sqrt(sum_i ||g_i||^2);  scale = min(1, max_norm / (total + 1e-6));  g_i <- g_i scale
 *   g_i <- clip(g_i, -clip_value, clip_value)
 * The norm is accumulated in float32 (float64 when any gradient is float64) and returned before
 * clipping, as PyTorch returns it, so the trainer can log it. A gradient whose shape has a unit axis
 * is scaled through a 1-D view (ONNX Runtime's scalar broadcast is slow on such shapes, flat.ts).
 */
import type { GraphBuilder } from '../../onnx/builder.js';
import { DTYPE_CODE, type DType } from '../../onnx/tensor.js';
import { OptionError } from '../losses/loss.js';
import { mulByScalar } from './flat.js';

export interface ClipNormResult {
  /** Clipped gradient names, in the order given. */
  grads: string[];
  /** Scalar: the global 2-norm of the gradients before clipping. */
  totalNorm: string;
}

/** Scales all gradients together so that their global 2-norm is at most `maxNorm`. */
export function clipGradNorm(
  b: GraphBuilder,
  grads: Array<{ name: string; dtype: DType; shape?: number[] }>,
  maxNorm: number,
): ClipNormResult {
  if (!(Number.isFinite(maxNorm) && maxNorm > 0))
    throw new OptionError(`expected a number > 0 for max_norm but got ${maxNorm}`);
  if (grads.length === 0) throw new OptionError('clipGradNorm needs at least one gradient');
  const acc: DType = grads.some((g) => g.dtype === 'float64') ? 'float64' : 'float32';
  const squares = grads.map((g) => {
    const ss = b.op('ReduceSumSquare', [g.name], { keepdims: 0 }, 'grad_sq_norm');
    return g.dtype === acc ? ss : b.op('Cast', [ss], { to: DTYPE_CODE[acc] });
  });
  const sum = squares.length === 1 ? squares[0] : b.op('Sum', squares, {}, 'grad_sq_norm_total');
  const totalNorm = b.op('Sqrt', [sum], {}, 'grad_norm');
  const c = (v: number) => b.constant(acc, v, []);
  const scale = b.op('Min', [c(1), b.op('Div', [c(maxNorm), b.op('Add', [totalNorm, c(1e-6)])])], {}, 'clip_scale');
  const casts = new Map<DType, string>([[acc, scale]]);
  const out = grads.map((g) => {
    let s = casts.get(g.dtype);
    if (!s) {
      s = b.op('Cast', [scale], { to: DTYPE_CODE[g.dtype] });
      casts.set(g.dtype, s);
    }
    return mulByScalar(b, g.name, s, g.shape ?? [], 'grad_clipped');
  });
  return { grads: out, totalNorm };
}

/** Clamps every gradient element to [-clipValue, clipValue]. */
export function clipGradValue(
  b: GraphBuilder,
  grads: Array<{ name: string; dtype: DType }>,
  clipValue: number,
): string[] {
  if (!(Number.isFinite(clipValue) && clipValue > 0))
    throw new OptionError(`expected a number > 0 for clip_value but got ${clipValue}`);
  return grads.map((g) =>
    b.op('Clip', [g.name, b.constant(g.dtype, -clipValue, []), b.constant(g.dtype, clipValue, [])], {}, 'grad_clipped'),
  );
}
