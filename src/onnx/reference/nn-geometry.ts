/**
 * Window geometry shared by Conv and the pooling ops: attribute resolution (strides, dilations,
 * pads, auto_pad, ceil_mode), output sizes, and the precomputed window table.
 */
import type { Node } from '../ir.js';
import { attrInt, attrInts, attrString } from '../ir.js';
import { sizeOf, stridesOf } from './tensor-util.js';

/** Resolved geometry of a windowed op over the spatial dims. */
export interface WindowGeometry {
  inSpatial: number[];
  kernel: number[];
  strides: number[];
  dilations: number[];
  padsBegin: number[];
  padsEnd: number[];
  outSpatial: number[];
}

/**
 * Resolves the window attributes of `node` for spatial input `inSpatial` and kernel `kernel`.
 * Output size per ONNX: floor (or ceil with `ceil_mode`) of (in + pads - effective kernel) /
 * stride + 1; with ceil_mode a window that would start in the end padding is dropped (as ORT and
 * PyTorch do). SAME_UPPER/SAME_LOWER give ceil(in / stride) and put the odd pad at the end/begin.
 */
export function windowGeometry(node: Node, inSpatial: number[], kernel: number[], allowCeil: boolean): WindowGeometry {
  const n = inSpatial.length;
  const strides = attrInts(node, 'strides', new Array<number>(n).fill(1));
  const dilations = attrInts(node, 'dilations', new Array<number>(n).fill(1));
  const pads = attrInts(node, 'pads', new Array<number>(2 * n).fill(0));
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  const ceil = allowCeil && attrInt(node, 'ceil_mode', 0) !== 0;
  if (strides.length !== n || dilations.length !== n || pads.length !== 2 * n || kernel.length !== n) {
    throw new Error(`strides/dilations/pads/kernel lengths do not match ${n} spatial dims`);
  }
  const padsBegin = pads.slice(0, n),
    padsEnd = pads.slice(n);
  const outSpatial: number[] = [];
  for (let i = 0; i < n; i++) {
    const eff = (kernel[i] - 1) * dilations[i] + 1;
    const inn = inSpatial[i],
      s = strides[i];
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      const out = Math.ceil(inn / s);
      const total = Math.max(0, (out - 1) * s + eff - inn);
      const small = Math.floor(total / 2);
      padsBegin[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      padsEnd[i] = total - padsBegin[i];
      outSpatial.push(out);
      continue;
    }
    if (autoPad === 'VALID') {
      padsBegin[i] = 0;
      padsEnd[i] = 0;
    } else if (autoPad !== 'NOTSET') throw new Error(`unknown auto_pad '${autoPad}'`);
    const span = inn + padsBegin[i] + padsEnd[i] - eff;
    if (span < 0)
      throw new Error(
        `kernel (effective size ${eff}) is larger than the padded input (${inn + padsBegin[i] + padsEnd[i]}) on spatial axis ${i}`,
      );
    let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
    if (ceil && (out - 1) * s >= inn + padsBegin[i]) out--;
    outSpatial.push(out);
  }
  return { inSpatial, kernel, strides, dilations, padsBegin, padsEnd, outSpatial };
}

/**
 * For each output position (row-major) and kernel tap (row-major), the row-major input spatial
 * offset read, or -1 where the tap falls in padding (or beyond the input).
 */
export function windowTable(g: WindowGeometry): Int32Array {
  const n = g.inSpatial.length;
  const outSize = sizeOf(g.outSpatial),
    kSize = sizeOf(g.kernel);
  const inStr = stridesOf(g.inSpatial);
  const table = new Int32Array(outSize * kSize);
  const oc = new Array<number>(n).fill(0);
  for (let o = 0; o < outSize; o++) {
    const kc = new Array<number>(n).fill(0);
    for (let k = 0; k < kSize; k++) {
      let p = 0;
      for (let d = 0; d < n; d++) {
        const c = oc[d] * g.strides[d] - g.padsBegin[d] + kc[d] * g.dilations[d];
        if (c < 0 || c >= g.inSpatial[d]) {
          p = -1;
          break;
        }
        p += c * inStr[d];
      }
      table[o * kSize + k] = p;
      for (let d = n - 1; d >= 0; d--) {
        if (++kc[d] < g.kernel[d]) break;
        kc[d] = 0;
      }
    }
    for (let d = n - 1; d >= 0; d--) {
      if (++oc[d] < g.outSpatial[d]) break;
      oc[d] = 0;
    }
  }
  return table;
}

/**
 * For each output position and tap, whether the tap lies inside the padded input
 * [-padsBegin, in + padsEnd) (the count AveragePool divides by with count_include_pad).
 */
export function paddedWindowCounts(g: WindowGeometry): Float64Array {
  const n = g.inSpatial.length;
  const outSize = sizeOf(g.outSpatial);
  const counts = new Float64Array(outSize);
  const oc = new Array<number>(n).fill(0);
  for (let o = 0; o < outSize; o++) {
    let prod = 1;
    for (let d = 0; d < n; d++) {
      let c = 0;
      for (let k = 0; k < g.kernel[d]; k++) {
        const p = oc[d] * g.strides[d] - g.padsBegin[d] + k * g.dilations[d];
        if (p >= -g.padsBegin[d] && p < g.inSpatial[d] + g.padsEnd[d]) c++;
      }
      prod *= c;
    }
    counts[o] = prod;
    for (let d = n - 1; d >= 0; d--) {
      if (++oc[d] < g.outSpatial[d]) break;
      oc[d] = 0;
    }
  }
  return counts;
}
