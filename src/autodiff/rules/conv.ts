/**
 * Gradient rules for Conv and ConvTranspose (1-D, 2-D, 3-D; strides, pads, dilations, groups,
 * auto_pad, output_padding, output_shape; X, W and B).
 *
 * - Conv dX, every stride 1: Conv(dY, W') with W' the spatially flipped kernel, in- and output
 *   channels exchanged within each group, and pads dilation*(k-1) - pad (ORT's plain Conv path,
 *   measured 1.07-1.3x faster than ConvTranspose on the ResNet-20 layers; bench/profile-step.ts).
 *   Strided (or padded past the kernel's reach): ConvTranspose(dY, W) with the forward's
 *   strides/pads/dilations/group and an output_padding that restores odd input sizes.
 *   Measured and dropped for strided Convs (CPU sessions, batch 64, one thread): dY spread with
 *   zeros by one Pad, then a stride-1 Conv with W' on the NCHWc kernels: 1.5-2.6x slower than
 *   ConvTranspose on MobileNetV2's stride-2 depthwise layers, 3.3-3.7x on ResNet-20's stride-2 Convs.
 * - Conv dW: 2-D group 1 kernels > 1x1 on x64: one Conv over the batch as channels (CPU sessions
 *   run it on NCHWc kernels); otherwise im2col + batched MatMul (conv-weight.ts).
 * - ConvTranspose dX: Conv(dY, W) with the same attributes; dW: the Conv weight gradient with the
 *   roles of X and dY exchanged (dY is the "input", X the "output gradient").
 * - B: ReduceSum of dY over every axis but the channels.
 * Spatial sizes must be static (the output padding and im2col depend on them); the batch may be symbolic.
 */
import { attrInt, attrInts, attrString } from '../../onnx/ir.js';
import { AutodiffError, type GradContext, type GradRuleFamily } from '../rule.js';
import {
  defaultWeightGradForm,
  staticSpatial,
  sumButChannels,
  weightGrad,
  windowOf,
  windowTranspose,
  type WeightGradForm,
  type Window,
} from './conv-weight.js';

/**
 * How the Conv input gradient is formed: 'flipped' (Conv with W', where every stride is 1) or 'transpose'
 * (ConvTranspose).
 */
export type ConvInputGrad = 'flipped' | 'transpose';

/**
 * dX of a stride-1 Conv as a Conv of dY with W' (flipped taps, channels exchanged per group);
 * undefined when a stride is not 1 or a pad exceeds the kernel's reach (W' would need negative pads).
 */
export function flippedInputGrad(
  c: GradContext,
  dy: string,
  w: string,
  ws: number[],
  win: Window,
  group: number,
): string | undefined {
  const { b } = c;
  const n = win.kernel.length;
  if (win.strides.some((st) => st !== 1)) return undefined;
  const reach = win.kernel.map((k, i) => (k - 1) * win.dilations[i]);
  const pads = [...win.padsBegin.map((p, i) => reach[i] - p), ...win.padsEnd.map((p, i) => reach[i] - p)];
  if (pads.some((p) => p < 0)) return undefined;
  const axes = Array.from({ length: n }, (_, i) => i + 2);
  const flipped = win.kernel.every((k) => k === 1)
    ? w
    : b.op('Slice', [
        w,
        b.ints(axes.map(() => -1)),
        b.ints(axes.map(() => -(2 ** 31))),
        b.ints(axes),
        b.ints(axes.map(() => -1)),
      ]);
  const [co, cig] = ws;
  const cog = co / group;
  let wt: string;
  if (cog === 1 && cig === 1)
    wt = flipped; // depthwise, multiplier 1: W' is the flipped W
  else if (group === 1) wt = b.op('Transpose', [flipped], { perm: [1, 0, ...axes] });
  else {
    const perGroup = b.op('Reshape', [flipped, b.ints([group, cog, cig, ...win.kernel])]);
    const swapped = b.op('Transpose', [perGroup], { perm: [0, 2, 1, ...axes.map((a) => a + 1)] });
    wt = b.op('Reshape', [swapped, b.ints([group * cig, cog, ...win.kernel])]);
  }
  return b.op('Conv', [dy, wt], { dilations: win.dilations, group, pads });
}

/** The Conv rule with a given input-gradient formulation (tests pin one against the other). */
export function convGradWith(
  dxForm: ConvInputGrad,
  dwForm: WeightGradForm = defaultWeightGradForm(),
): (c: GradContext) => Array<string | undefined> {
  return (c) => {
    const [x, w, bias] = [c.x(0), c.x(1), c.x(2)];
    const dy = c.dy(0)!;
    const ws = c.staticShape(w, 'the Conv gradient (kernel size)');
    const kernel = attrInts(c.node, 'kernel_shape', ws.slice(2));
    const group = attrInt(c.node, 'group', 1);
    const win = windowOf(c, x, c.y(0), kernel, 'the Conv gradient (output padding and im2col)');
    const dx = c.needs(0)
      ? ((dxForm === 'flipped' ? flippedInputGrad(c, dy, w, ws, win, group) : undefined) ??
        windowTranspose(c, dy, w, win, group, win.inSpatial))
      : undefined;
    const dw = c.needs(1)
      ? weightGrad(c, { x, dy, channels: ws[1] * group, outChannels: ws[0], group, win }, dwForm)
      : undefined;
    const db = bias && c.needs(2) ? sumButChannels(c, dy, ws.length) : undefined;
    return [dx, dw, db];
  };
}

/** The rule: dW's form is chosen per graph (defaultWeightGradForm reads the platform). */
const convGrad = (c: GradContext) => convGradWith('flipped')(c);

/**
 * The pads ConvTranspose actually uses, as ONNX Runtime 1.30 resolves them (checked against its
 * output): with output_shape or SAME_*, total = stride*(in-1) + output_padding + eff - out, with
 * the odd unit at the END for SAME_UPPER and at the BEGIN otherwise (NOTSET with output_shape,
 * SAME_LOWER); VALID means 0; else the explicit pads.
 */
function convTransposePads(
  c: GradContext,
  inSpatial: number[],
  outSpatial: number[],
  kernel: number[],
  strides: number[],
  dil: number[],
): number[] {
  const n = inSpatial.length;
  const auto = attrString(c.node, 'auto_pad', 'NOTSET');
  const outPad = attrInts(c.node, 'output_padding', Array(n).fill(0));
  if (auto === 'VALID') return Array(2 * n).fill(0);
  if (!c.node.attrs.output_shape && auto === 'NOTSET') return attrInts(c.node, 'pads', Array(2 * n).fill(0));
  const begin: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < n; i++) {
    const full = strides[i] * (inSpatial[i] - 1) + outPad[i] + (kernel[i] - 1) * dil[i] + 1;
    const total = full - outSpatial[i];
    if (total < 0) {
      throw new AutodiffError(
        `${c.where}: output size ${outSpatial[i]} on spatial axis ${i} is larger than the ${full} positions the kernel reaches; Gymnos differentiates ConvTranspose only when output_shape does not exceed that (use output_padding instead)`,
      );
    }
    const half = Math.floor(total / 2);
    if (auto === 'SAME_UPPER') {
      begin.push(half);
      end.push(total - half);
    } else {
      begin.push(total - half);
      end.push(half);
    }
  }
  return [...begin, ...end];
}

function convTransposeGrad(c: GradContext): Array<string | undefined> {
  const { b } = c;
  const [x, w, bias] = [c.x(0), c.x(1), c.x(2)];
  const dy = c.dy(0)!;
  const ws = c.staticShape(w, 'the ConvTranspose gradient (kernel size)');
  const n = ws.length - 2;
  const why = 'the ConvTranspose gradient (padding and im2col)';
  const inSpatial = staticSpatial(c, x, why);
  const outSpatial = staticSpatial(c, c.y(0), why);
  const kernel = attrInts(c.node, 'kernel_shape', ws.slice(2));
  const strides = attrInts(c.node, 'strides', Array(n).fill(1));
  const dilations = attrInts(c.node, 'dilations', Array(n).fill(1));
  const group = attrInt(c.node, 'group', 1);
  const pads = convTransposePads(c, inSpatial, outSpatial, kernel, strides, dilations);
  // the Conv that maps Y-space back to X-space
  const win: Window = {
    inSpatial: outSpatial,
    outSpatial: inSpatial,
    kernel,
    strides,
    dilations,
    padsBegin: pads.slice(0, n),
    padsEnd: pads.slice(n),
  };
  let dx: string | undefined;
  if (c.needs(0)) {
    dx = b.op('Conv', [dy, w], { strides, dilations, group, pads });
    const got = outSpatial.map(
      (d, i) => Math.floor((d + pads[i] + pads[i + n] - (kernel[i] - 1) * dilations[i] - 1) / strides[i]) + 1,
    );
    if (got.some((d, i) => d !== inSpatial[i])) {
      const axes = inSpatial.map((_, i) => i + 2);
      dx = b.op('Slice', [dx, b.ints(axes.map(() => 0)), b.ints(inSpatial), b.ints(axes)]);
    }
  }
  const dw = c.needs(1)
    ? weightGrad(c, { x: dy, dy: x, channels: ws[1] * group, outChannels: ws[0], group, win })
    : undefined;
  const db = bias && c.needs(2) ? sumButChannels(c, dy, ws.length) : undefined;
  return [dx, dw, db];
}

export const convFamily: GradRuleFamily = {
  family: 'conv',
  rules: { Conv: convGrad, ConvTranspose: convTransposeGrad },
};
