/**
 * Gradient rules for MaxPool, AveragePool, GlobalAveragePool and GlobalMaxPool.
 *
 * MaxPool, kernel == stride, no dilation (the common 2x2/2 case; any pads, ceil_mode, auto_pad):
 * a mask form. X is padded with -inf (or cropped) to exactly out*k, Y is upsampled by a MatMul
 * (pool-upsample.ts), mask = Equal(X, up(Y)); dX = mask * up(dY / ties) where ties is the number
 * of maxima in each window (AveragePool of the mask times k). Tied maxima SHARE the window's
 * gradient equally (a valid subgradient; e.g. an all-zero window after ReLU gives each element
 * dY/4), unlike PyTorch/ORT, which give it all to the first maximum. Measured 3-4x faster than
 * MaxPool's Indices output (a slow generic kernel, ~13x plain MaxPool here) + ScatterElements.
 * Other MaxPools (overlapping windows, dilations): Indices + ScatterElements(add); ties then go
 * to the first maximum, as in ORT.
 *
 * AveragePool: dX = transposed window sum of dY / count, with the per-position divisor computed
 * statically (count_include_pad, ceil_mode and pads included); kernel == stride without padding
 * uses the MatMul upsample, otherwise ConvTranspose with a ones kernel on [N*C, 1, ...].
 */
import { attrInt, attrInts } from '../../onnx/ir.js';
import { DTYPE_CODE } from '../../onnx/tensor.js';
import type { GradContext, GradRuleFamily } from '../rule.js';
import { padSpatial, staticSpatial, windowOf, windowTranspose, type Window } from './conv-weight.js';
import { upsample } from './pool-upsample.js';

const prod = (a: number[]) => a.reduce((p, v) => p * v, 1);

/** Reshape target for a tensor like `x` with new spatial sizes: static where known, else from Shape(x). */
function shapeLike(c: GradContext, x: string, spatial: number[]): string {
  const ch = c.shape(x)[1];
  if (typeof ch === 'number') return c.b.ints([-1, ch, ...spatial]);
  const { b } = c;
  return b.op('Concat', [b.op('Shape', [x], { start: 0, end: 2 }), b.ints(spatial)], { axis: 0 });
}

/**
 * Undoes a spatial pad-or-crop from `inSpatial` to `target` (begin pads `pb`): slice back, then zero-pad a cropped
 * tail.
 */
function unpad(c: GradContext, t: string, inSpatial: number[], target: number[], pb: number[]): string {
  const { b } = c;
  const n = inSpatial.length;
  const kept = inSpatial.map((d, i) => Math.min(d, target[i] - pb[i]));
  let out = t;
  if (pb.some((p) => p > 0) || kept.some((k, i) => pb[i] + k < target[i])) {
    const axes = inSpatial.map((_, i) => i + 2);
    out = b.op('Slice', [out, b.ints(pb), b.ints(pb.map((p, i) => p + kept[i])), b.ints(axes)]);
  }
  return padSpatial(
    c,
    out,
    Array(n).fill(0),
    inSpatial.map((d, i) => d - kept[i]),
  );
}

/** Pads (with `fill`) or crops X's spatial axes so that they are exactly `target`, `pb` in front. */
function padTo(c: GradContext, x: string, inSpatial: number[], target: number[], pb: number[], fill: number): string {
  const { b } = c;
  const kept = inSpatial.map((d, i) => Math.min(d, target[i] - pb[i]));
  let out = x;
  if (kept.some((k, i) => k < inSpatial[i])) {
    const axes = inSpatial.map((_, i) => i + 2);
    out = b.op('Slice', [out, b.ints(kept.map(() => 0)), b.ints(kept), b.ints(axes)]);
  }
  return padSpatial(
    c,
    out,
    pb,
    target.map((t, i) => t - pb[i] - kept[i]),
    fill,
  );
}

function nonOverlapping(win: Window): boolean {
  return win.kernel.every((k, i) => k === win.strides[i] && win.dilations[i] === 1);
}

function maxPoolMask(c: GradContext, win: Window): string {
  const { b } = c;
  const [x, y] = [c.x(0), c.y(0)];
  const target = win.outSpatial.map((o, i) => o * win.kernel[i]);
  const xp = padTo(c, x, win.inSpatial, target, win.padsBegin, -Infinity);
  const shape = shapeLike(c, x, target);
  const kk = prod(win.kernel);
  const yUp = b.op('Reshape', [upsample(c, y, win.outSpatial, win.kernel, 1), shape]);
  const mask = b.op('Cast', [b.op('Equal', [xp, yUp])], { to: DTYPE_CODE[c.dtype(x)] });
  // ties: mean of the mask per window (>= 1/kk: the maximum itself is in the window)
  const share = b.op('AveragePool', [mask], { kernel_shape: win.kernel, strides: win.kernel });
  const g = b.op('Div', [c.dy(0)!, share]);
  const gUp = b.op('Reshape', [upsample(c, g, win.outSpatial, win.kernel, 1 / kk), shape]);
  return unpad(c, b.op('Mul', [mask, gUp]), win.inSpatial, target, win.padsBegin);
}

/**
 * The general MaxPool gradient: MaxPool's Indices (flat over N*C*spatial) + ScatterElements(add).
 * Exported for the benchmark, which compares it with the mask form.
 */
export function maxPoolScatterGrad(c: GradContext): string {
  const { b } = c;
  const x = c.x(0);
  let idx = c.node.outputs[1];
  if (!idx || attrInt(c.node, 'storage_order', 0) !== 0) {
    idx = b.opN('MaxPool', [x], 2, { ...c.node.attrs, storage_order: 0 })[1];
  }
  const xs = c.shape(x);
  const dtype = c.dtype(x);
  const zero = {
    type: 'tensor' as const,
    value: { dtype, dims: [1], data: dtype === 'float64' ? new Float64Array(1) : new Float32Array(1) },
  };
  const allStatic = xs.every((d) => typeof d === 'number');
  const size = allStatic ? b.ints([prod(xs as number[])]) : b.op('Reshape', [b.op('Size', [x]), b.ints([1])]);
  const flat = b.op(
    'ScatterElements',
    [
      b.op('ConstantOfShape', [size], { value: zero }),
      b.op('Reshape', [idx, b.ints([-1])]),
      b.op('Reshape', [c.dy(0)!, b.ints([-1])]),
    ],
    { axis: 0, reduction: 'add' },
  );
  return b.op('Reshape', [flat, allStatic ? b.ints(xs as number[]) : b.op('Shape', [x])]);
}

function maxPoolGrad(c: GradContext): Array<string | undefined> {
  if (!c.dy(0)) return [undefined];
  const win = windowOf(c, c.x(0), c.y(0), attrInts(c.node, 'kernel_shape'), 'the MaxPool gradient');
  return [nonOverlapping(win) ? maxPoolMask(c, win) : maxPoolScatterGrad(c)];
}

/** 1 / divisor of each output position (row-major over the output spatial dims). */
function averageScales(win: Window, includePad: boolean): number[] {
  const n = win.inSpatial.length;
  const perAxis = win.outSpatial.map((o, i) =>
    Array.from({ length: o }, (_, p) => {
      let cnt = 0;
      for (let k = 0; k < win.kernel[i]; k++) {
        const pos = p * win.strides[i] - win.padsBegin[i] + k * win.dilations[i];
        const lo = includePad ? -win.padsBegin[i] : 0;
        const hi = includePad ? win.inSpatial[i] + win.padsEnd[i] : win.inSpatial[i];
        if (pos >= lo && pos < hi) cnt++;
      }
      return cnt;
    }),
  );
  const out: number[] = [];
  const idx = Array(n).fill(0);
  for (let o = 0; o < prod(win.outSpatial); o++) {
    out.push(1 / idx.reduce((p, v, i) => p * perAxis[i][v], 1));
    for (let i = n - 1; i >= 0; i--) {
      if (++idx[i] < win.outSpatial[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}

function averagePoolGrad(c: GradContext): Array<string | undefined> {
  const { b } = c;
  const x = c.x(0);
  const win = windowOf(c, x, c.y(0), attrInts(c.node, 'kernel_shape'), 'the AveragePool gradient');
  const scales = averageScales(win, attrInt(c.node, 'count_include_pad', 0) === 1);
  const uniform = scales.every((s) => Math.abs(s - scales[0]) < 1e-12);
  const dy = c.dy(0)!;
  const target = win.outSpatial.map((o, i) => o * win.kernel[i]);
  const noPad = [...win.padsBegin, ...win.padsEnd].every((p) => p === 0);
  if (nonOverlapping(win) && noPad && uniform && target.every((t, i) => t <= win.inSpatial[i])) {
    const up = b.op('Reshape', [upsample(c, dy, win.outSpatial, win.kernel, scales[0]), shapeLike(c, x, target)]);
    return [unpad(c, up, win.inSpatial, target, win.padsBegin)];
  }
  const g = uniform ? dy : b.op('Mul', [dy, c.constantLike(scales, win.outSpatial, dy)]);
  const planes = b.op('Reshape', [g, b.ints([-1, 1, ...win.outSpatial])]);
  const ones = c.constantLike(Array(prod(win.kernel)).fill(uniform ? scales[0] : 1), [1, 1, ...win.kernel], dy);
  const dx = windowTranspose(c, planes, ones, win, 1, win.inSpatial);
  return [b.op('Reshape', [dx, shapeLike(c, x, win.inSpatial)])];
}

function globalAverageGrad(c: GradContext): Array<string | undefined> {
  const spatial = staticSpatial(c, c.x(0), 'the GlobalAveragePool gradient');
  const n = prod(spatial);
  // [N, C, 1, ...] * [...spatial]: the broadcast keeps whole planes as inner spans (fast)
  return [c.b.op('Mul', [c.dy(0)!, c.constantLike(Array(n).fill(1 / n), spatial, c.x(0))])];
}

function globalMaxGrad(c: GradContext): Array<string | undefined> {
  const { b } = c;
  const x = c.x(0);
  const rank = c.shape(x).length;
  const mask = b.op('Cast', [b.op('Equal', [x, c.y(0)])], { to: DTYPE_CODE[c.dtype(x)] });
  // ties share the gradient equally
  const ties = b.op('ReduceSum', [mask, b.ints(Array.from({ length: rank - 2 }, (_, i) => i + 2))], { keepdims: 1 });
  return [b.op('Mul', [mask, b.op('Div', [c.dy(0)!, ties])])];
}

export const poolFamily: GradRuleFamily = {
  family: 'pool',
  rules: {
    MaxPool: maxPoolGrad,
    AveragePool: averagePoolGrad,
    GlobalAveragePool: globalAverageGrad,
    GlobalMaxPool: globalMaxGrad,
  },
};
