/**
 * Reductions (Reduce*, ArgMax/ArgMin), the softmax family and CumSum.
 * Reduce* read `axes` from the optional second input (opset 18; ReduceSum since 13) or, in the
 * older form, from the `axes` attribute.
 */
import type { Node } from '../ir.js';
import { attrInt, attrInts } from '../ir.js';
import type { Kernel, KernelContext } from './kernel.js';
import { need } from './kernel.js';
import type { RefTensor } from './tensor-util.js';
import {
  dataFromNumbers,
  makeTensor,
  normAxis,
  numbersOf,
  scalarOf,
  sizeOf,
  stridedMap,
  stridesOf,
} from './tensor-util.js';

type ReduceKind = 'Sum' | 'Mean' | 'Max' | 'Min' | 'Prod' | 'SumSquare' | 'L1' | 'L2' | 'LogSumExp' | 'LogSum';

function asF64(t: RefTensor): Float64Array {
  return t.data instanceof Float64Array ? t.data : Float64Array.from(t.data as ArrayLike<number | bigint>, Number);
}

/** The reduced axes of a Reduce* node (normalized), or null for "no reduction". */
function reduceAxes(node: Node, inputs: Array<RefTensor | undefined>, rank: number): number[] | null {
  let axes: number[];
  if (inputs[1] !== undefined) axes = numbersOf(inputs[1]);
  else axes = node.attrs.axes ? attrInts(node, 'axes') : [];
  if (axes.length === 0) {
    if (attrInt(node, 'noop_with_empty_axes', 0)) return null;
    return Array.from({ length: rank }, (_, i) => i);
  }
  return [...new Set(axes.map((a) => normAxis(a, rank, 'axes entry')))];
}

/** For each input element, the flat index of its output element; plus the output dims. */
export function reductionMap(
  dims: number[],
  axes: number[],
  keepdims: boolean,
): { map: Int32Array; outDims: number[]; outSize: number } {
  const red = dims.map((_, i) => axes.includes(i));
  const kept = dims.map((d, i) => (red[i] ? 1 : d));
  const ks = stridesOf(kept);
  const map = stridedMap(
    dims,
    ks.map((s, i) => (red[i] ? 0 : s)),
  );
  const outDims = keepdims ? kept : dims.filter((_, i) => !red[i]);
  return { map, outDims, outSize: sizeOf(kept) };
}

/** Reduces `x` over `axes` (normalized). */
export function reduce(kind: ReduceKind, x: RefTensor, axes: number[], keepdims: boolean): RefTensor {
  const { map, outDims, outSize } = reductionMap(x.dims, axes, keepdims);
  const X = asF64(x),
    n = X.length;
  const out = new Float64Array(outSize);
  const init = kind === 'Max' || kind === 'LogSumExp' ? -Infinity : kind === 'Min' ? Infinity : kind === 'Prod' ? 1 : 0;
  out.fill(init);
  switch (kind) {
    case 'Sum':
    case 'Mean':
    case 'LogSum':
      for (let i = 0; i < n; i++) out[map[i]] += X[i];
      break;
    case 'Max':
      for (let i = 0; i < n; i++) {
        const v = X[i],
          o = map[i];
        if (v > out[o]) out[o] = v;
      }
      break;
    case 'Min':
      for (let i = 0; i < n; i++) {
        const v = X[i],
          o = map[i];
        if (v < out[o]) out[o] = v;
      }
      break;
    case 'Prod':
      for (let i = 0; i < n; i++) out[map[i]] *= X[i];
      break;
    case 'SumSquare':
    case 'L2':
      for (let i = 0; i < n; i++) out[map[i]] += X[i] * X[i];
      break;
    case 'L1':
      for (let i = 0; i < n; i++) out[map[i]] += Math.abs(X[i]);
      break;
    case 'LogSumExp': {
      for (let i = 0; i < n; i++) {
        const o = map[i];
        if (X[i] > out[o]) out[o] = X[i];
      }
      const s = new Float64Array(outSize);
      for (let i = 0; i < n; i++) {
        const m = out[map[i]];
        s[map[i]] += m === -Infinity ? 0 : Math.exp(X[i] - m);
      }
      for (let o = 0; o < outSize; o++)
        out[o] = out[o] === -Infinity || out[o] === Infinity ? out[o] : out[o] + Math.log(s[o]);
      break;
    }
  }
  if (kind === 'Mean') {
    const c = outSize === 0 ? 1 : n / outSize;
    for (let o = 0; o < outSize; o++) out[o] /= c;
  }
  if (kind === 'L2') for (let o = 0; o < outSize; o++) out[o] = Math.sqrt(out[o]);
  if (kind === 'LogSum') for (let o = 0; o < outSize; o++) out[o] = Math.log(out[o]);
  const data = x.data instanceof Float64Array ? out : dataFromNumbers(x.dtype, out);
  return makeTensor(x.dtype, outDims, data);
}

/**
 * noop_with_empty_axes with empty axes: ORT (and the ONNX reference implementation) still apply
 * the elementwise part of the reduction: SumSquare gives x^2, L1 and L2 give |x|, LogSum log(x);
 * the others return x unchanged.
 */
function noop(kind: ReduceKind, x: RefTensor): RefTensor {
  const f =
    kind === 'SumSquare'
      ? (v: number) => v * v
      : kind === 'L1' || kind === 'L2'
        ? Math.abs
        : kind === 'LogSum'
          ? Math.log
          : null;
  if (f === null) return x;
  const X = asF64(x),
    out = new Float64Array(X.length);
  for (let i = 0; i < X.length; i++) out[i] = f(X[i]);
  return makeTensor(x.dtype, [...x.dims], x.data instanceof Float64Array ? out : dataFromNumbers(x.dtype, out));
}

function reduceKernel(kind: ReduceKind): Kernel {
  return (node, inputs) => {
    const x = need(inputs, 0, 'data');
    const axes = reduceAxes(node, inputs, x.dims.length);
    if (axes === null) return [noop(kind, x)];
    return [reduce(kind, x, axes, attrInt(node, 'keepdims', 1) !== 0)];
  };
}

/** outer x len x inner decomposition around `axis`. */
function around(dims: number[], axis: number): [number, number, number] {
  return [sizeOf(dims.slice(0, axis)), dims[axis], sizeOf(dims.slice(axis + 1))];
}

function argKernel(max: boolean): Kernel {
  return (node, inputs) => {
    const x = need(inputs, 0, 'data');
    const axis = normAxis(attrInt(node, 'axis', 0), x.dims.length);
    const keep = attrInt(node, 'keepdims', 1) !== 0,
      last = attrInt(node, 'select_last_index', 0) !== 0;
    const [outer, len, inner] = around(x.dims, axis);
    const X = asF64(x),
      out = new BigInt64Array(outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * len * inner + i;
        let best = X[base],
          bi = 0;
        for (let k = 1; k < len; k++) {
          const v = X[base + k * inner];
          const better = max ? (last ? v >= best : v > best) : last ? v <= best : v < best;
          if (better) {
            best = v;
            bi = k;
          }
        }
        out[o * inner + i] = BigInt(bi);
      }
    }
    const dims = keep ? x.dims.map((d, i) => (i === axis ? 1 : d)) : x.dims.filter((_, i) => i !== axis);
    return [makeTensor('int64', dims, out)];
  };
}

/** Softmax-family geometry: opset >= 13 acts along one axis; older opsets coerce to 2-D. */
function softmaxGeometry(node: Node, x: RefTensor, ctx: KernelContext): [number, number, number] {
  const old = ctx.opset < 13;
  const axis = normAxis(attrInt(node, 'axis', old ? 1 : -1), x.dims.length);
  if (old) return [sizeOf(x.dims.slice(0, axis)), sizeOf(x.dims.slice(axis)), 1];
  return around(x.dims, axis);
}

function softmaxKernel(mode: 'softmax' | 'log' | 'hard'): Kernel {
  return (node, inputs, ctx) => {
    const x = need(inputs, 0, 'input');
    if (!(x.data instanceof Float64Array)) throw new Error(`needs a floating input, got ${x.dtype}`);
    const [outer, len, inner] = softmaxGeometry(node, x, ctx);
    const X = x.data,
      out = new Float64Array(X.length);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * len * inner + i;
        let m = -Infinity,
          mi = 0;
        for (let k = 0; k < len; k++) {
          const v = X[base + k * inner];
          if (v > m) {
            m = v;
            mi = k;
          }
        }
        if (mode === 'hard') {
          if (len > 0) out[base + mi * inner] = 1;
          continue;
        }
        let s = 0;
        for (let k = 0; k < len; k++) s += Math.exp(X[base + k * inner] - m);
        if (mode === 'softmax')
          for (let k = 0; k < len; k++) out[base + k * inner] = Math.exp(X[base + k * inner] - m) / s;
        else {
          const ls = Math.log(s);
          for (let k = 0; k < len; k++) out[base + k * inner] = X[base + k * inner] - m - ls;
        }
      }
    }
    return [makeTensor(x.dtype, [...x.dims], out)];
  };
}

const cumsum: Kernel = (node, inputs) => {
  const x = need(inputs, 0, 'x');
  const axis = normAxis(scalarOf(need(inputs, 1, 'axis'), 'axis'), x.dims.length);
  const excl = attrInt(node, 'exclusive', 0) !== 0,
    rev = attrInt(node, 'reverse', 0) !== 0;
  const [outer, len, inner] = around(x.dims, axis);
  const X = asF64(x),
    out = new Float64Array(X.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      let s = 0;
      for (let j = 0; j < len; j++) {
        const k = rev ? len - 1 - j : j,
          p = base + k * inner;
        if (excl) {
          out[p] = s;
          s += X[p];
        } else {
          s += X[p];
          out[p] = s;
        }
      }
    }
  }
  return [makeTensor(x.dtype, [...x.dims], x.data instanceof Float64Array ? out : dataFromNumbers(x.dtype, out))];
};

export const kernels: Record<string, Kernel> = {
  ReduceSum: reduceKernel('Sum'),
  ReduceMean: reduceKernel('Mean'),
  ReduceMax: reduceKernel('Max'),
  ReduceMin: reduceKernel('Min'),
  ReduceProd: reduceKernel('Prod'),
  ReduceSumSquare: reduceKernel('SumSquare'),
  ReduceL1: reduceKernel('L1'),
  ReduceL2: reduceKernel('L2'),
  ReduceLogSumExp: reduceKernel('LogSumExp'),
  ReduceLogSum: reduceKernel('LogSum'),
  ArgMax: argKernel(true),
  ArgMin: argKernel(false),
  Softmax: softmaxKernel('softmax'),
  LogSoftmax: softmaxKernel('log'),
  Hardmax: softmaxKernel('hard'),
  CumSum: cumsum,
};
