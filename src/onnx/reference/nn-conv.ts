/**
 * Conv and ConvTranspose, N-d generic (1-D, 2-D, 3-D, ...), with strides, pads, dilations,
 * groups, auto_pad and optional bias; ConvTranspose also output_padding and output_shape.
 */
import type { Node } from '../ir.js';
import { attrInt, attrInts, attrString } from '../ir.js';
import type { Kernel } from './kernel.js';
import { need } from './kernel.js';
import { floatData, makeTensor, sizeOf } from './tensor-util.js';
import type { WindowGeometry } from './nn-geometry.js';
import { windowGeometry, windowTable } from './nn-geometry.js';

function checkKernelShape(node: Node, kernel: number[]): void {
  if (node.attrs.kernel_shape) {
    const ks = attrInts(node, 'kernel_shape');
    if (ks.length !== kernel.length || ks.some((k, i) => k !== kernel[i]))
      throw new Error(`kernel_shape [${ks}] does not match W spatial dims [${kernel}]`);
  }
}

const conv: Kernel = (node, inputs) => {
  const x = need(inputs, 0, 'X'),
    w = need(inputs, 1, 'W'),
    b = inputs[2];
  const X = floatData(x, 'X'),
    Wd = floatData(w, 'W');
  if (x.dims.length < 3 || w.dims.length !== x.dims.length)
    throw new Error(`X [${x.dims}] and W [${w.dims}] must have the same rank >= 3`);
  const G = attrInt(node, 'group', 1);
  const [N, C] = x.dims,
    M = w.dims[0],
    Cg = w.dims[1];
  if (C !== Cg * G || M % G !== 0) throw new Error(`channels do not match: X has ${C}, W [${w.dims}] with group ${G}`);
  const kernel = w.dims.slice(2);
  checkKernelShape(node, kernel);
  const g = windowGeometry(node, x.dims.slice(2), kernel, false);
  const table = windowTable(g);
  const inSize = sizeOf(g.inSpatial),
    outSize = sizeOf(g.outSpatial),
    kSize = sizeOf(kernel);
  const Mg = M / G;
  const B = b ? floatData(b, 'B') : null;
  const out = new Float64Array(N * M * outSize);
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      const grp = Math.floor(m / Mg);
      const ob = (n * M + m) * outSize;
      const bias = B ? B[m] : 0;
      for (let o = 0; o < outSize; o++) out[ob + o] = bias;
      for (let c = 0; c < Cg; c++) {
        const xb = (n * C + grp * Cg + c) * inSize,
          wb = (m * Cg + c) * kSize;
        for (let o = 0; o < outSize; o++) {
          const tb = o * kSize;
          let acc = 0;
          for (let k = 0; k < kSize; k++) {
            const t = table[tb + k];
            if (t >= 0) acc += X[xb + t] * Wd[wb + k];
          }
          out[ob + o] += acc;
        }
      }
    }
  }
  return [makeTensor(x.dtype, [N, M, ...g.outSpatial], out)];
};

/**
 * ConvTranspose geometry. With `output_shape` (or SAME_* auto_pad, which means output_shape =
 * in * stride), the total padding is stride*(in-1) + output_padding + eff_kernel - output_shape,
 * split as the ONNX spec and ORT 1.30 do: SAME_UPPER puts the odd unit at the end, NOTSET and
 * SAME_LOWER at the begin. Explicit `pads` are then ignored (checked against ORT).
 */
export function convTransposeGeometry(
  node: Node,
  inSpatial: number[],
  kernel: number[],
): WindowGeometry & { outputPadding: number[] } {
  const n = inSpatial.length;
  const strides = attrInts(node, 'strides', new Array<number>(n).fill(1));
  const dilations = attrInts(node, 'dilations', new Array<number>(n).fill(1));
  const pads = attrInts(node, 'pads', new Array<number>(2 * n).fill(0));
  const outputPadding = attrInts(node, 'output_padding', new Array<number>(n).fill(0));
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  if (strides.length !== n || dilations.length !== n || pads.length !== 2 * n || outputPadding.length !== n) {
    throw new Error(`strides/dilations/pads/output_padding lengths do not match ${n} spatial dims`);
  }
  let outShape: number[] | null = null;
  if (node.attrs.output_shape) {
    const os = attrInts(node, 'output_shape');
    outShape = os.length === n + 2 ? os.slice(2) : os;
    if (outShape.length !== n) throw new Error(`output_shape [${os}] does not match ${n} spatial dims`);
  }
  const padsBegin = pads.slice(0, n),
    padsEnd = pads.slice(n),
    outSpatial: number[] = [];
  for (let i = 0; i < n; i++) {
    const eff = (kernel[i] - 1) * dilations[i] + 1;
    const full = strides[i] * (inSpatial[i] - 1) + outputPadding[i] + eff;
    if (autoPad === 'VALID') {
      padsBegin[i] = 0;
      padsEnd[i] = 0;
    }
    const same = autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER';
    if (outShape !== null || same) {
      const out = outShape !== null ? outShape[i] : inSpatial[i] * strides[i];
      const total = Math.max(0, full - out);
      const half = Math.floor(total / 2);
      if (autoPad === 'SAME_UPPER') {
        padsBegin[i] = half;
        padsEnd[i] = total - half;
      } else {
        padsBegin[i] = total - half;
        padsEnd[i] = half;
      }
      outSpatial.push(out);
    } else {
      if (autoPad !== 'NOTSET' && autoPad !== 'VALID') throw new Error(`unknown auto_pad '${autoPad}'`);
      outSpatial.push(full - padsBegin[i] - padsEnd[i]);
    }
  }
  return { inSpatial, kernel, strides, dilations, padsBegin, padsEnd, outSpatial, outputPadding };
}

const convTranspose: Kernel = (node, inputs) => {
  const x = need(inputs, 0, 'X'),
    w = need(inputs, 1, 'W'),
    b = inputs[2];
  const X = floatData(x, 'X'),
    Wd = floatData(w, 'W');
  if (x.dims.length < 3 || w.dims.length !== x.dims.length)
    throw new Error(`X [${x.dims}] and W [${w.dims}] must have the same rank >= 3`);
  const G = attrInt(node, 'group', 1);
  const [N, C] = x.dims,
    Mg = w.dims[1],
    M = Mg * G;
  if (w.dims[0] !== C || C % G !== 0)
    throw new Error(`channels do not match: X has ${C}, W [${w.dims}] with group ${G}`);
  const Cg = C / G;
  const kernel = w.dims.slice(2);
  checkKernelShape(node, kernel);
  const g = convTransposeGeometry(node, x.dims.slice(2), kernel);
  // Scatter table: for each input position and tap, the output offset it adds to (or -1).
  const table = windowTable({ ...g, inSpatial: g.outSpatial, outSpatial: g.inSpatial });
  const inSize = sizeOf(g.inSpatial),
    outSize = sizeOf(g.outSpatial),
    kSize = sizeOf(kernel);
  const B = b ? floatData(b, 'B') : null;
  const out = new Float64Array(N * M * outSize);
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      const grp = Math.floor(m / Mg),
        mm = m % Mg;
      const ob = (n * M + m) * outSize;
      if (B) for (let o = 0; o < outSize; o++) out[ob + o] = B[m];
      for (let c = 0; c < Cg; c++) {
        const ci = grp * Cg + c;
        const xb = (n * C + ci) * inSize,
          wb = (ci * Mg + mm) * kSize;
        for (let i = 0; i < inSize; i++) {
          const xv = X[xb + i],
            tb = i * kSize;
          for (let k = 0; k < kSize; k++) {
            const t = table[tb + k];
            if (t >= 0) out[ob + t] += xv * Wd[wb + k];
          }
        }
      }
    }
  }
  return [makeTensor(x.dtype, [N, M, ...g.outSpatial], out)];
};

export const kernels: Record<string, Kernel> = {
  Conv: conv,
  ConvTranspose: convTranspose,
};
