/**
 * Shared pieces of the convolution and pooling gradients: resolving window geometry to static
 * sizes, the weight gradient (im2col + one batched MatMul), and the transposed window sum that
 * scatters output gradients back onto the input (ConvTranspose with the right output padding).
 *
 * Formulations were chosen by measurement on ORT CPU, one thread (bench/conv-grad.ts, bench/ab-step.ts):
 * - weight gradient, 2-D group 1, kernel > 1x1, x64: one Conv over the batch as channels
 *   (batchConvWeightGrad), which CPU sessions run on the NCHWc kernels.
 * - weight gradient, depthwise (group = C) with kernels > 1x1: one Conv as conv-depthwise.ts picks
 *   ('stacked' on NCHWc, 'group-conv' where strided), falling back to im2col by shape there.
 * - weight gradient, otherwise: Pad + one strided Slice per kernel tap + Concat gives the im2col tensor
 *   [N, taps*C, L] (group 1; grouped: [N, G, Cg*taps, L]); `MatMul(dY[N, Co, L], Transpose(cols))`
 *   is fused by ORT into one FusedMatMul (no copy for the transpose), then ReduceSum over N.
 *   Measured against the alternatives for the LeNet layers (64x8x14x14 -> 16 channels): "Conv on
 *   transposed tensors" 3.3 ms, im2col by Gather 3-17 ms (Gather copies per element), im2col by
 *   a Conv with an identity kernel slower in the whole step, this form about 2 ms, the forward
 *   Conv itself 1.1 ms. Also measured and dropped: one Gemm per kernel tap over the whole batch
 *   in channel-major layout (no im2col Concat): the tap Gemms (M x N = 16 x 8, K = N*L) ran
 *   3.8 ms and the strided slices of the transposed input 2.1 ms, against 1.4 + 1.0 + 0.8 here.
 * - the batch dimension stays symbolic: every Reshape keeps it with 0.
 */
import { attrInts } from '../../onnx/ir.js';
import { resolvePads } from '../../onnx/shapes/nn-ops.js';
import { AutodiffError, type GradContext } from '../rule.js';
import { nchwcExpected } from './conv-nchwc.js';
import { depthwiseWeightGrad } from './conv-depthwise.js';

/** Resolved, static window geometry of a Conv or pooling node. */
export interface Window {
  /** Spatial input sizes. */
  inSpatial: number[];
  outSpatial: number[];
  kernel: number[];
  strides: number[];
  dilations: number[];
  padsBegin: number[];
  padsEnd: number[];
}

/**
 * The spatial sizes of `name` (all axes after N and C), which must be static; the batch may be
 * symbolic. Throws through `c.staticShape`, naming the node and why static sizes are needed.
 */
export function staticSpatial(c: GradContext, name: string, why: string): number[] {
  const s = c.shape(name);
  if (s.length < 3)
    throw new AutodiffError(
      `${c.where}: '${name}' must have rank >= 3 (N, C, spatial...), but has shape [${s.join(', ')}]`,
    );
  const spatial = s.slice(2);
  if (spatial.some((d) => typeof d !== 'number')) c.staticShape(name, why);
  return spatial as number[];
}

/** A static channel count (axis 1), or an error saying it must be known. */
export function staticChannels(c: GradContext, name: string, why: string): number {
  const ch = c.shape(name)[1];
  if (typeof ch !== 'number')
    throw new AutodiffError(
      `${c.where}: ${why} needs the channel count (axis 1) of '${name}' to be static, but it is '${ch}'`,
    );
  return ch;
}

/** Geometry of a Conv or pooling node over input `x` with `kernel` (attributes resolved, auto_pad included). */
export function windowOf(c: GradContext, x: string, y: string, kernel: number[], why: string): Window {
  const inSpatial = staticSpatial(c, x, why);
  const n = inSpatial.length;
  const strides = attrInts(c.node, 'strides', Array(n).fill(1));
  const dilations = attrInts(c.node, 'dilations', Array(n).fill(1));
  const pads = resolvePads({ node: c.node, where: c.where }, inSpatial, kernel, strides, dilations);
  const outSpatial = staticSpatial(c, y, why);
  return { inSpatial, outSpatial, kernel, strides, dilations, padsBegin: pads.slice(0, n), padsEnd: pads.slice(n) };
}

/** `t` reshaped to `[first keep dims of t, ...rest]` (the kept dims, e.g. a symbolic batch, are copied with 0). */
export function reshapeKeep(c: GradContext, t: string, keep: number, rest: number[]): string {
  return c.b.op('Reshape', [t, c.b.ints([...Array(keep).fill(0), ...rest])]);
}

const prod = (a: number[]) => a.reduce((p, v) => p * v, 1);

/**
 * Zero padding of the spatial axes of a rank-(2+n) tensor ([N, C, ...]); returns `t` itself when
 * every pad is 0. `fill` pads with a constant other than 0 (e.g. -inf for max pooling).
 */
export function padSpatial(c: GradContext, t: string, begin: number[], end: number[], fill?: number): string {
  if (begin.every((p) => p === 0) && end.every((p) => p === 0)) return t;
  const inputs = [t, c.b.ints([0, 0, ...begin, 0, 0, ...end])];
  if (fill !== undefined) inputs.push(c.scalar(fill, t));
  return c.b.op('Pad', inputs);
}

export interface WeightGradSpec {
  /** Input of the window op ([N, C, ...in]). */
  x: string;
  /** Gradient of the output ([N, Co, ...out]). */
  dy: string;
  channels: number;
  outChannels: number;
  group: number;
  win: Window;
}

/**
 * How the weight gradient is formed: 'batch-conv' (2-D, group 1, kernels larger than 1x1; depthwise Convs as
 * conv-depthwise.ts picks) or 'im2col' (every case).
 */
export type WeightGradForm = 'batch-conv' | 'im2col';

/** The default form: 'batch-conv' where CPU sessions run it on NCHWc kernels (conv-nchwc.ts), else 'im2col'. */
export const defaultWeightGradForm = (): WeightGradForm => (nchwcExpected() ? 'batch-conv' : 'im2col');

/**
 * dW[co, ci, taps] = sum over n and output positions of dY[n, co, p] * Xpad[n, g*Cg + ci, p*s + tap*d].
 * 2-D, group 1, kernel > 1x1 ('batch-conv', the default on x64): one Conv with the batch as its
 * channels, see batchConvWeightGrad; otherwise im2col + batched MatMul. Returns a [Co, C/group, ...kernel] gradient.
 */
export function weightGrad(c: GradContext, s: WeightGradSpec, form: WeightGradForm = defaultWeightGradForm()): string {
  const { b } = c;
  const { win, group } = s;
  const n = win.kernel.length;
  const taps = prod(win.kernel);
  const L = prod(win.outSpatial);
  // pad only as far as the windows reach (the end pad may cover positions no window reads)
  const padEnd = win.inSpatial.map((d, i) =>
    Math.max(
      0,
      Math.min(
        win.padsEnd[i],
        (win.outSpatial[i] - 1) * win.strides[i] + (win.kernel[i] - 1) * win.dilations[i] + 1 - d - win.padsBegin[i],
      ),
    ),
  );
  const padded = win.inSpatial.map((d, i) => d + win.padsBegin[i] + padEnd[i]);
  if (form === 'batch-conv' && group > 1 && group === s.channels && taps > 1) {
    const dw = depthwiseWeightGrad(c, s.x, s.dy, { ...win, padsEnd: padEnd }, padded, group, s.outChannels);
    if (dw) return dw;
  }
  const xp = padSpatial(c, s.x, win.padsBegin, padEnd);
  // 1x1 kernels: im2col is the input itself and dW one MatMul (the batch Conv lost there: MobileNet)
  if (form === 'batch-conv' && group === 1 && n === 2 && taps > 1) return batchConvWeightGrad(c, xp, s.dy, padded, win);
  const axes = Array.from({ length: n }, (_, i) => i + 2);
  const slices: string[] = [];
  const tap = Array(n).fill(0);
  for (let t = 0; t < taps; t++) {
    const starts = tap.map((k, i) => k * win.dilations[i]);
    const ends = starts.map((st, i) => st + (win.outSpatial[i] - 1) * win.strides[i] + 1);
    const whole = starts.every((st, i) => st === 0 && ends[i] === padded[i] && win.strides[i] === 1);
    slices.push(whole ? xp : b.op('Slice', [xp, b.ints(starts), b.ints(ends), b.ints(axes), b.ints(win.strides)]));
    for (let i = n - 1; i >= 0; i--) {
      if (++tap[i] < win.kernel[i]) break;
      tap[i] = 0;
    }
  }
  const cg = s.channels / group;
  const cog = s.outChannels / group;
  const swapLast = (rank: number) => {
    const perm = Array.from({ length: rank }, (_, i) => i);
    [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
    return perm;
  };
  if (group === 1) {
    // cols: Concat on the channel axis, tap-major: [N, taps*C, ...out] (no Unsqueeze per tap)
    const stacked = taps === 1 ? slices[0] : b.op('Concat', slices, { axis: 1 });
    const cols = reshapeKeep(c, stacked, 1, [taps * cg, L]);
    const dy = reshapeKeep(c, s.dy, 1, [cog, L]);
    // ORT fuses this Transpose into the MatMul (FusedMatMul with transB): no copy of cols
    const perSample = b.op('MatMul', [dy, b.op('Transpose', [cols], { perm: swapLast(3) })]);
    const summed = b.op('ReduceSum', [perSample, b.ints([0])], { keepdims: 0 });
    if (cg === 1) return b.op('Reshape', [summed, b.ints([s.outChannels, 1, ...win.kernel])]);
    const tapMajor = b.op('Reshape', [summed, b.ints([s.outChannels, ...win.kernel, cg])]);
    return b.op('Transpose', [tapMajor], { perm: [0, n + 1, ...axes.map((a) => a - 1)] });
  }
  // grouped: cols [N, C, taps, L] -> [N, G, Cg*taps, L]; dY: [N, G, Cog, L]
  const stacked =
    taps === 1
      ? slices[0]
      : b.op(
          'Concat',
          slices.map((t) => b.op('Unsqueeze', [t, b.ints([2])])),
          { axis: 2 },
        );
  const cols = reshapeKeep(c, stacked, 1, [group, cg * taps, L]);
  const dy = reshapeKeep(c, s.dy, 1, [group, cog, L]);
  const perSample = b.op('MatMul', [dy, b.op('Transpose', [cols], { perm: swapLast(4) })]);
  const summed = b.op('ReduceSum', [perSample, b.ints([0])], { keepdims: 0 });
  return b.op('Reshape', [summed, b.ints([s.outChannels, cg, ...win.kernel])]);
}

/**
 * The weight gradient as one Conv over the batch: Xpad^T [C, N, ...padded] convolved with
 * dY^T [Co, N, ...out] as the kernel (strides := the forward's dilations, dilations := its
 * strides) gives [C, Co, ...kernel] (cropped when the padded input reaches past the last tap),
 * transposed to [Co, C, ...kernel]. No im2col tensor: on CPU sessions this Conv runs on ORT's
 * NCHWc kernels (conv-nchwc.ts), measured 2x faster than im2col + MatMul on the ResNet-20
 * layers (16 ch 32x32: 32 -> 16 ms; 64 ch 8x8: 20.6 -> 8.4 ms, batch 64, one thread).
 */
function batchConvWeightGrad(c: GradContext, xp: string, dy: string, padded: number[], win: Window): string {
  const { b } = c;
  const axes = padded.map((_, i) => i + 2);
  const swap = [1, 0, ...axes];
  const o = b.op('Conv', [b.op('Transpose', [xp], { perm: swap }), b.op('Transpose', [dy], { perm: swap })], {
    strides: win.dilations,
    dilations: win.strides,
  });
  const reached = padded.map(
    (p, i) => Math.floor((p - (win.outSpatial[i] - 1) * win.strides[i] - 1) / win.dilations[i]) + 1,
  );
  const cropped = reached.some((r, i) => r !== win.kernel[i])
    ? b.op('Slice', [o, b.ints(axes.map(() => 0)), b.ints(win.kernel), b.ints(axes)])
    : o;
  return b.op('Transpose', [cropped], { perm: swap });
}

/**
 * Output padding and extra end padding that make a ConvTranspose with this window produce
 * exactly `target` spatial sizes from `outSpatial` inputs: the natural size is
 * s*(o-1) + eff - pb - pe; positions past the last window get output_padding (< stride), and a
 * natural size past the target is cropped through a larger end pad.
 */
export function transposeFit(win: Window, target: number[]): { padsEnd: number[]; outputPadding: number[] } {
  const padsEnd: number[] = [];
  const outputPadding: number[] = [];
  target.forEach((t, i) => {
    const natural =
      win.strides[i] * (win.outSpatial[i] - 1) +
      (win.kernel[i] - 1) * win.dilations[i] +
      1 -
      win.padsBegin[i] -
      win.padsEnd[i];
    padsEnd.push(win.padsEnd[i] + Math.max(0, natural - t));
    outputPadding.push(Math.max(0, t - natural));
  });
  return { padsEnd, outputPadding };
}

/**
 * Transposed window op: ConvTranspose(g, w) sized to `target` spatial dims. `pads` are the forward
 * op's; the output padding is computed so odd sizes come out right.
 */
export function windowTranspose(
  c: GradContext,
  g: string,
  w: string,
  win: Window,
  group: number,
  target: number[],
): string {
  const fit = transposeFit(win, target);
  const bad = fit.outputPadding.findIndex((p, i) => p >= Math.max(win.strides[i], win.dilations[i]));
  let out: string;
  const attrs = { strides: win.strides, dilations: win.dilations, group, pads: [...win.padsBegin, ...fit.padsEnd] };
  if (bad < 0) {
    out = c.b.op(
      'ConvTranspose',
      [g, w],
      fit.outputPadding.some((p) => p > 0) ? { ...attrs, output_padding: fit.outputPadding } : attrs,
    );
  } else {
    // input positions no window reads (large trailing remainder): zero-pad instead of output_padding
    out = padSpatial(c, c.b.op('ConvTranspose', [g, w], attrs), Array(target.length).fill(0), fit.outputPadding);
  }
  return out;
}

/** Sum over every axis but the channel axis (bias gradients). */
export function sumButChannels(c: GradContext, dy: string, rank: number): string {
  return c.b.op('ReduceSum', [dy, c.b.ints([0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)])], {
    keepdims: 0,
  });
}
