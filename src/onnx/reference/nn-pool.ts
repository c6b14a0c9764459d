/**
 * Pooling: MaxPool (with the optional Indices output), AveragePool, LpPool, GlobalAveragePool,
 * GlobalMaxPool, MaxUnpool. N-d generic.
 *
 * MaxPool Indices follow ORT: flat over the whole input N*C*D1*...*Dn (the (n, c) plane offset
 * included), padding not counted; storage_order=1 numbers each plane column-major. Ties keep the
 * first maximum in window order; NaN never wins (as in ORT).
 */
import { attrFloat, attrInt, attrInts } from '../ir.js';
import type { Kernel } from './kernel.js';
import { need } from './kernel.js';
import { floatData, makeTensor, numbersOf, sizeOf } from './tensor-util.js';
import { paddedWindowCounts, windowGeometry, windowTable } from './nn-geometry.js';

function planes(dims: number[]): { NC: number; inSize: number; spatial: number[] } {
  if (dims.length < 3) throw new Error(`input must have rank >= 3 (N, C, spatial...), got [${dims}]`);
  const spatial = dims.slice(2);
  return { NC: dims[0] * dims[1], inSize: sizeOf(spatial), spatial };
}

/** Column-major offset of each row-major position of a plane with dims `spatial`. */
function columnMajor(spatial: number[]): Int32Array {
  const n = sizeOf(spatial),
    r = spatial.length,
    out = new Int32Array(n);
  const cs = new Array<number>(r);
  let acc = 1;
  for (let d = 0; d < r; d++) {
    cs[d] = acc;
    acc *= spatial[d];
  }
  const c = new Array<number>(r).fill(0);
  for (let i = 0; i < n; i++) {
    let p = 0;
    for (let d = 0; d < r; d++) p += c[d] * cs[d];
    out[i] = p;
    for (let d = r - 1; d >= 0; d--) {
      if (++c[d] < spatial[d]) break;
      c[d] = 0;
    }
  }
  return out;
}

const maxPool: Kernel = (node, inputs) => {
  const x = need(inputs, 0, 'X'),
    X = floatData(x, 'X');
  const { NC, inSize, spatial } = planes(x.dims);
  const g = windowGeometry(node, spatial, attrInts(node, 'kernel_shape'), true);
  const table = windowTable(g);
  const outSize = sizeOf(g.outSpatial),
    kSize = sizeOf(g.kernel);
  const wantIdx = node.outputs.length > 1 && node.outputs[1] !== '';
  const col = attrInt(node, 'storage_order', 0) !== 0 ? columnMajor(spatial) : null;
  const out = new Float64Array(NC * outSize);
  const idx = wantIdx ? new BigInt64Array(NC * outSize) : null;
  for (let p = 0; p < NC; p++) {
    const xb = p * inSize;
    for (let o = 0; o < outSize; o++) {
      let best = -Infinity,
        bi = -1;
      for (let k = 0; k < kSize; k++) {
        const t = table[o * kSize + k];
        if (t >= 0 && (X[xb + t] > best || (bi < 0 && X[xb + t] === best))) {
          best = X[xb + t];
          bi = t;
        }
      }
      out[p * outSize + o] = best;
      if (idx) idx[p * outSize + o] = bi < 0 ? -1n : BigInt(xb + (col ? col[bi] : bi));
    }
  }
  const dims = [x.dims[0], x.dims[1], ...g.outSpatial];
  return [makeTensor(x.dtype, dims, out), idx ? makeTensor('int64', dims, idx) : undefined];
};

function windowPool(kind: 'avg' | 'lp'): Kernel {
  return (node, inputs) => {
    const x = need(inputs, 0, 'X'),
      X = floatData(x, 'X');
    const { NC, inSize, spatial } = planes(x.dims);
    const g = windowGeometry(node, spatial, attrInts(node, 'kernel_shape'), true);
    const table = windowTable(g);
    const outSize = sizeOf(g.outSpatial),
      kSize = sizeOf(g.kernel);
    const includePad = kind === 'avg' && attrInt(node, 'count_include_pad', 0) !== 0;
    const padCounts = includePad ? paddedWindowCounts(g) : null;
    const p = kind === 'lp' ? attrFloat(node, 'p', 2) : 1;
    const out = new Float64Array(NC * outSize);
    for (let c = 0; c < NC; c++) {
      const xb = c * inSize;
      for (let o = 0; o < outSize; o++) {
        let s = 0,
          cnt = 0;
        for (let k = 0; k < kSize; k++) {
          const t = table[o * kSize + k];
          if (t < 0) continue;
          s += kind === 'lp' ? Math.pow(Math.abs(X[xb + t]), p) : X[xb + t];
          cnt++;
        }
        out[c * outSize + o] = kind === 'lp' ? Math.pow(s, 1 / p) : s / (padCounts ? padCounts[o] : cnt);
      }
    }
    return [makeTensor(x.dtype, [x.dims[0], x.dims[1], ...g.outSpatial], out)];
  };
}

function globalPool(max: boolean): Kernel {
  return (_node, inputs) => {
    const x = need(inputs, 0, 'X'),
      X = floatData(x, 'X');
    const { NC, inSize, spatial } = planes(x.dims);
    const out = new Float64Array(NC);
    for (let c = 0; c < NC; c++) {
      let s = max ? -Infinity : 0;
      for (let i = 0; i < inSize; i++) {
        const v = X[c * inSize + i];
        s = max ? (v > s ? v : s) : s + v;
      }
      out[c] = max ? s : s / inSize;
    }
    return [makeTensor(x.dtype, [x.dims[0], x.dims[1], ...spatial.map(() => 1)], out)];
  };
}

const maxUnpool: Kernel = (node, inputs) => {
  const x = need(inputs, 0, 'X'),
    X = floatData(x, 'X'),
    ind = need(inputs, 1, 'I');
  const { spatial } = planes(x.dims);
  const n = spatial.length;
  const kernel = attrInts(node, 'kernel_shape');
  const strides = attrInts(node, 'strides', new Array<number>(n).fill(1));
  const pads = attrInts(node, 'pads', new Array<number>(2 * n).fill(0));
  let outDims: number[];
  if (inputs[2] !== undefined) outDims = numbersOf(inputs[2]);
  else
    outDims = [
      x.dims[0],
      x.dims[1],
      ...spatial.map((d, i) => (d - 1) * strides[i] + kernel[i] - pads[i] - pads[i + n]),
    ];
  if (outDims.length !== x.dims.length)
    throw new Error(`output_shape [${outDims}] does not match the rank of X [${x.dims}]`);
  const I = numbersOf(ind);
  if (I.length !== X.length) throw new Error(`I [${ind.dims}] does not match X [${x.dims}]`);
  const total = sizeOf(outDims),
    out = new Float64Array(total);
  for (let i = 0; i < X.length; i++) {
    if (!(I[i] >= 0 && I[i] < total)) throw new Error(`index ${I[i]} is out of range for output [${outDims}]`);
    out[I[i]] = X[i];
  }
  return [makeTensor(x.dtype, outDims, out)];
};

export const kernels: Record<string, Kernel> = {
  MaxPool: maxPool,
  AveragePool: windowPool('avg'),
  LpPool: windowPool('lp'),
  GlobalAveragePool: globalPool(false),
  GlobalMaxPool: globalPool(true),
  MaxUnpool: maxUnpool,
};
