/**
 * The weight gradient of a depthwise Conv (group = C, one input channel per group, multiplier
 * m = Co/C, kernels larger than 1x1) as one Conv instead of im2col (Pad + a strided Slice per tap
 * + Concat + batched MatMul, MobileNetV2's largest backward cost). Both forms below exchange the
 * forward's strides and dilations (strides := dilations, dilations := strides) and crop the
 * result to the kernel:
 *
 * - 'group-conv': Xpad^T reshaped to [1, C*N, ...padded] convolved, group C, with dY^T
 *   [C*m, N, ...out] as the kernels: each group reads its channel's N images and sums over them.
 *   ORT runs it on the generic grouped path (im2col per group, the batch symbolic).
 * - 'stacked': the batch stacked along the first spatial axis, so the Conv is depthwise with
 *   static channels (NCHWc-eligible) and a kernel extent of N * Ho' rows; see stackedWeightGrad.
 *
 * Measured with bench/dw-grad.ts --symbolic (MobileNetV2-style depthwise layers, batch 64
 * symbolic, one thread, CPU sessions' NCHWc lowering; the dW part of the step in CPU ms, ratio
 * to im2col):
 * - 'group-conv': 0.67-0.89x on the stride-2 layers, 1.2-1.9x slower on stride 1 except the
 *   smallest (the generic grouped path writes 9 outputs per kernel position).
 * - 'stacked': 0.33-0.41x (the seven layers together 0.36x) when the lowering puts it on the
 *   NCHWc depthwise kernel, which needs conv-nchwc.ts to accept a symbolic kernel extent
 *   (nchwcLowersStacked probes that); on the generic path it is 1.0-2.1x slower.
 * - a group C*N Conv (one kernel per image and channel) then ReduceSum over N: 0.35x on the NCHWc
 *   depthwise kernel, but ONNX takes the group as an attribute, so it needs a static batch: dropped.
 * The default (defaultDepthwiseForm): 'stacked' where the lowering takes it, else 'group-conv'
 * when a stride is above 1, else im2col (conv-weight.ts).
 */
import { A, emptyGraph } from '../../onnx/ir.js';
import { inferShapes } from '../../onnx/shapes/infer.js';
import { AutodiffError, type GradContext } from '../rule.js';
import { lowerConvsToNchwc, nchwcExpected } from './conv-nchwc.js';

/** How a depthwise weight gradient is formed; 'im2col' leaves it to conv-weight.ts. */
export type DepthwiseForm = 'im2col' | 'group-conv' | 'stacked';

/** The window fields the depthwise forms read (conv-weight.ts's Window). */
interface DepthwiseWindow {
  inSpatial: number[];
  padsBegin: number[];
  /** End pads trimmed to what the windows reach. */
  padsEnd: number[];
  outSpatial: number[];
  kernel: number[];
  strides: number[];
  dilations: number[];
}

let override: DepthwiseForm | undefined;

let stackedLowers: boolean | undefined;

/**
 * Whether the NCHWc lowering (conv-nchwc.ts) puts the stacked form's Conv on the blocked
 * depthwise kernel: a depthwise Conv whose kernel extent is symbolic. Probed once on a small graph.
 */
export function nchwcLowersStacked(): boolean {
  if (stackedLowers === undefined) {
    const g = emptyGraph('gymnos_stacked_probe');
    g.inputs.push(
      { name: 'x', dtype: 'float32', shape: [1, 16, 'h', 6] },
      { name: 'k', dtype: 'float32', shape: [16, 1, 'n', 4] },
    );
    const attrs = { group: A.int(16) };
    g.nodes.push({ name: 'conv', opType: 'Conv', domain: '', inputs: ['x', 'k'], outputs: ['y'], attrs });
    g.outputs.push({ name: 'y', dtype: 'float32' });
    try {
      stackedLowers = lowerConvsToNchwc(g, inferShapes(g, 18), 16) > 0;
    } catch {
      stackedLowers = false;
    }
  }
  return stackedLowers;
}

/**
 * The form used for a depthwise Conv with `channels` channels and multiplier `m`: 'stacked' where
 * CPU sessions lower it onto NCHWc (x64, the lowering takes a symbolic kernel extent, multiplier 1,
 * channels a multiple of 16 so that either MLAS block fits), else 'group-conv' when a stride is
 * above 1, else 'im2col' (see the header).
 */
export function defaultDepthwiseForm(
  win: Pick<DepthwiseWindow, 'strides'>,
  channels: number,
  multiplier: number,
): DepthwiseForm {
  if (override) return override;
  if (multiplier === 1 && channels % 16 === 0 && nchwcExpected() && nchwcLowersStacked()) return 'stacked';
  return win.strides.some((s) => s > 1) ? 'group-conv' : 'im2col';
}

/**
 * Runs `fn` (which builds gradient graphs) with every depthwise weight gradient formed as `form`;
 * when `fn` returns a promise, the form holds until it settles.
 */
export function withDepthwiseForm<T>(form: DepthwiseForm, fn: () => T): T {
  const before = override;
  override = form;
  let result: T;
  try {
    result = fn();
  } catch (e) {
    override = before;
    throw e;
  }
  if (result instanceof Promise)
    return result.finally(() => {
      override = before;
    }) as T;
  override = before;
  return result;
}

function pad(c: GradContext, t: string, begin: number[], end: number[]): string {
  if ([...begin, ...end].every((p) => p === 0)) return t;
  return c.b.op('Pad', [t, c.b.ints([0, 0, ...begin, 0, 0, ...end])]);
}

/** `o` ([1, Co, ...reached]) cropped to the kernel and reshaped to the weight's [Co, 1, ...kernel]. */
function cropToKernel(c: GradContext, o: string, reached: number[], outChannels: number, kernel: number[]): string {
  const { b } = c;
  const axes = kernel.map((_, i) => i + 2);
  const cropped = reached.some((r, i) => r !== kernel[i])
    ? b.op('Slice', [o, b.ints(axes.map(() => 0)), b.ints(kernel), b.ints(axes)])
    : o;
  return b.op('Reshape', [cropped, b.ints([outChannels, 1, ...kernel])]);
}

/** Output extent of the exchanged Conv along an unstacked axis of padded size p. */
const reachOf = (win: DepthwiseWindow, p: number, i: number) =>
  Math.floor((p - (win.outSpatial[i] - 1) * win.strides[i] - 1) / win.dilations[i]) + 1;

/**
 * dW [Co, 1, ...kernel] of a depthwise Conv (C channels, Co = C*m) from its input `x`
 * [N, C, ...in] and `dy` [N, Co, ...out], the window's pads trimmed so the padded input is
 * `padded`; undefined when the form is 'im2col'. `channels` is C (the group count).
 */
export function depthwiseWeightGrad(
  c: GradContext,
  x: string,
  dy: string,
  win: DepthwiseWindow,
  padded: number[],
  channels: number,
  outChannels: number,
  form: DepthwiseForm = defaultDepthwiseForm(win, channels, outChannels / channels),
): string | undefined {
  if (outChannels % channels !== 0)
    throw new AutodiffError(`${c.where}: depthwise output channels ${outChannels} are not a multiple of ${channels}`);
  if (form === 'im2col') return undefined;
  if (form === 'stacked') return stackedWeightGrad(c, x, dy, win, padded, channels, outChannels);
  const { b } = c;
  const swap = [1, 0, ...padded.map((_, i) => i + 2)];
  const xp = pad(c, x, win.padsBegin, win.padsEnd);
  const xr = b.op('Reshape', [b.op('Transpose', [xp], { perm: swap }), b.ints([1, -1, ...padded])]);
  const o = b.op('Conv', [xr, b.op('Transpose', [dy], { perm: swap })], {
    strides: win.dilations,
    dilations: win.strides,
    group: channels,
  });
  return cropToKernel(
    c,
    o,
    padded.map((p, i) => reachOf(win, p, i)),
    outChannels,
    win.kernel,
  );
}

/**
 * The batch stacked along the first spatial axis: each padded image is extended with zero rows
 * to Hq = Ho' * s (Ho' = ceil(Hp / s)) and the images stacked to Xs [1, C, N*Hq, ...]; dY's
 * images are extended with zero rows to Ho' and stacked to the kernels [Co, 1, N*Ho', ...out].
 * Kernel row n*Ho' + i (stride := dilation d, dilation := stride s) reads row
 * n*Hq + i*s + tap*d, which lies in image n for every nonzero row i < Ho; so one depthwise Conv
 * (group C) sums over the batch and the output positions. Xs gets (k-1)*d + 1 - s trailing zero
 * rows so the last image's zero kernel rows stay inside; the output then has
 * floor((s - 1 + extra) / d) + 1 >= k rows.
 */
function stackedWeightGrad(
  c: GradContext,
  x: string,
  dy: string,
  win: DepthwiseWindow,
  padded: number[],
  channels: number,
  outChannels: number,
): string {
  const { b } = c;
  const rest = padded.slice(1).map(() => 0);
  const [s0, d0] = [win.strides[0], win.dilations[0]];
  const hoq = Math.ceil(padded[0] / s0);
  const extra = Math.max(0, (win.kernel[0] - 1) * d0 + 1 - s0);
  const swap = [1, 0, ...padded.map((_, i) => i + 2)];
  // one Pad: the forward's pads and the rows up to Hq; the trailing rows are the Conv's own pads
  const xq = pad(c, x, win.padsBegin, [win.padsEnd[0] + hoq * s0 - padded[0], ...win.padsEnd.slice(1)]);
  const xs = b.op('Reshape', [b.op('Transpose', [xq], { perm: swap }), b.ints([1, channels, -1, ...padded.slice(1)])]);
  const dq = pad(c, dy, [0, ...rest], [hoq - win.outSpatial[0], ...rest]);
  const k = b.op('Reshape', [
    b.op('Transpose', [dq], { perm: swap }),
    b.ints([outChannels, 1, -1, ...win.outSpatial.slice(1)]),
  ]);
  const o = b.op('Conv', [xs, k], {
    strides: win.dilations,
    dilations: win.strides,
    group: channels,
    pads: [0, ...rest, extra, ...rest],
  });
  const reached = [Math.floor((s0 - 1 + extra) / d0) + 1, ...padded.slice(1).map((p, j) => reachOf(win, p, j + 1))];
  return cropToKernel(c, o, reached, outChannels, win.kernel);
}
