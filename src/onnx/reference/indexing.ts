/**
 * Indexing ops: Gather, GatherElements, GatherND, ScatterElements, ScatterND, NonZero, TopK.
 * Negative indices count from the end; out-of-range indices are errors.
 */
import { attrInt, attrString } from '../ir.js';
import type { Kernel } from './kernel.js';
import { need } from './kernel.js';
import type { RefTensor } from './tensor-util.js';
import { gatherData, makeTensor, normAxis, numbersOf, scalarOf, sizeOf, stridesOf } from './tensor-util.js';

function index(v: number, dim: number): number {
  const i = v < 0 ? v + dim : v;
  if (!(i >= 0 && i < dim)) throw new Error(`index ${v} is out of range for a dimension of size ${dim}`);
  return i;
}

const gather: Kernel = (node, inputs) => {
  const x = need(inputs, 0, 'data'),
    ind = need(inputs, 1, 'indices');
  const axis = normAxis(attrInt(node, 'axis', 0), x.dims.length);
  const idx = numbersOf(ind).map((v) => index(v, x.dims[axis]));
  const outer = sizeOf(x.dims.slice(0, axis)),
    len = x.dims[axis],
    inner = sizeOf(x.dims.slice(axis + 1));
  const outDims = [...x.dims.slice(0, axis), ...ind.dims, ...x.dims.slice(axis + 1)];
  const map = new Int32Array(outer * idx.length * inner);
  let p = 0;
  for (let o = 0; o < outer; o++)
    for (const j of idx) for (let i = 0; i < inner; i++) map[p++] = (o * len + j) * inner + i;
  return [makeTensor(x.dtype, outDims, gatherData(x.data, map))];
};

/** For each element of a tensor with dims `dims`, source offset with `axis` replaced by `idx`. */
function elementsMap(dims: number[], idx: number[], axis: number, target: number[]): Int32Array {
  const r = dims.length,
    n = idx.length,
    st = stridesOf(target);
  const map = new Int32Array(n);
  const c = new Array<number>(r).fill(0);
  for (let i = 0; i < n; i++) {
    let p = 0;
    for (let a = 0; a < r; a++) p += (a === axis ? index(idx[i], target[axis]) : c[a]) * st[a];
    map[i] = p;
    for (let a = r - 1; a >= 0; a--) {
      if (++c[a] < dims[a]) break;
      c[a] = 0;
    }
  }
  return map;
}

const gatherElements: Kernel = (node, inputs) => {
  const x = need(inputs, 0, 'data'),
    ind = need(inputs, 1, 'indices');
  if (ind.dims.length !== x.dims.length)
    throw new Error(`indices rank ${ind.dims.length} differs from data rank ${x.dims.length}`);
  const axis = normAxis(attrInt(node, 'axis', 0), x.dims.length);
  return [makeTensor(x.dtype, [...ind.dims], gatherData(x.data, elementsMap(ind.dims, numbersOf(ind), axis, x.dims)))];
};

/** Offsets (into data) and slice size for GatherND/ScatterND index tuples. */
function ndOffsets(
  data: number[],
  ind: RefTensor,
  batchDims: number,
): { offsets: number[]; slice: number; tupleDims: number[] } {
  const q = ind.dims.length,
    k = ind.dims[q - 1];
  if (q < 1 || k > data.length - batchDims)
    throw new Error(`indices [${ind.dims}] do not fit data [${data}] with batch_dims ${batchDims}`);
  const st = stridesOf(data);
  const idx = numbersOf(ind);
  const tupleDims = ind.dims.slice(0, q - 1);
  const tuples = sizeOf(tupleDims);
  const perBatch = sizeOf(tupleDims.slice(batchDims));
  const batchSize = sizeOf(data.slice(batchDims));
  const offsets = new Array<number>(tuples);
  for (let t = 0; t < tuples; t++) {
    let p = Math.floor(t / perBatch) * batchSize;
    for (let j = 0; j < k; j++) p += index(idx[t * k + j], data[batchDims + j]) * st[batchDims + j];
    offsets[t] = p;
  }
  return { offsets, slice: sizeOf(data.slice(batchDims + k)), tupleDims };
}

const gatherND: Kernel = (node, inputs) => {
  const x = need(inputs, 0, 'data'),
    ind = need(inputs, 1, 'indices');
  const b = attrInt(node, 'batch_dims', 0);
  const { offsets, slice, tupleDims } = ndOffsets(x.dims, ind, b);
  const k = ind.dims[ind.dims.length - 1];
  const map = new Int32Array(offsets.length * slice);
  offsets.forEach((o, t) => {
    for (let i = 0; i < slice; i++) map[t * slice + i] = o + i;
  });
  return [makeTensor(x.dtype, [...tupleDims, ...x.dims.slice(b + k)], gatherData(x.data, map))];
};

type Combine = (old: number | bigint, v: number | bigint) => number | bigint;
function combiner(mode: string): Combine {
  switch (mode) {
    case 'none':
      return (_o, v) => v;
    case 'add':
      return (o, v) => (o as number) + (v as number);
    case 'mul':
      return (o, v) => (o as number) * (v as number);
    case 'max':
      return (o, v) => (v > o ? v : o);
    case 'min':
      return (o, v) => (v < o ? v : o);
    default:
      throw new Error(`reduction must be none, add, mul, max or min, got '${mode}'`);
  }
}

function scatter(x: RefTensor, upd: RefTensor, targets: Int32Array, mode: string): RefTensor {
  if (upd.dtype !== x.dtype) throw new Error(`updates type ${upd.dtype} differs from data type ${x.dtype}`);
  const out = x.data.slice() as unknown as { [i: number]: number | bigint };
  const U = upd.data as unknown as ArrayLike<number | bigint>;
  const f = combiner(mode);
  for (let i = 0; i < targets.length; i++) out[targets[i]] = f(out[targets[i]], U[i]);
  return makeTensor(x.dtype, [...x.dims], out as unknown as RefTensor['data']);
}

const scatterElements: Kernel = (node, inputs) => {
  const x = need(inputs, 0, 'data'),
    ind = need(inputs, 1, 'indices'),
    upd = need(inputs, 2, 'updates');
  if (ind.dims.length !== upd.dims.length || ind.dims.some((d, i) => d !== upd.dims[i]))
    throw new Error(`indices [${ind.dims}] and updates [${upd.dims}] differ`);
  const axis = normAxis(attrInt(node, 'axis', 0), x.dims.length);
  return [scatter(x, upd, elementsMap(ind.dims, numbersOf(ind), axis, x.dims), attrString(node, 'reduction', 'none'))];
};

const scatterND: Kernel = (node, inputs) => {
  const x = need(inputs, 0, 'data'),
    ind = need(inputs, 1, 'indices'),
    upd = need(inputs, 2, 'updates');
  const { offsets, slice, tupleDims } = ndOffsets(x.dims, ind, 0);
  const k = ind.dims[ind.dims.length - 1];
  const want = [...tupleDims, ...x.dims.slice(k)];
  if (want.length !== upd.dims.length || want.some((d, i) => d !== upd.dims[i]))
    throw new Error(`updates [${upd.dims}] should be [${want}]`);
  const targets = new Int32Array(offsets.length * slice);
  offsets.forEach((o, t) => {
    for (let i = 0; i < slice; i++) targets[t * slice + i] = o + i;
  });
  return [scatter(x, upd, targets, attrString(node, 'reduction', 'none'))];
};

const nonZero: Kernel = (_node, inputs) => {
  const x = need(inputs, 0, 'X');
  const r = x.dims.length,
    st = stridesOf(x.dims);
  const hits: number[] = [];
  for (let i = 0; i < x.data.length; i++) if (Number(x.data[i]) !== 0) hits.push(i);
  const rr = Math.max(r, 1);
  const out = new BigInt64Array(rr * hits.length);
  hits.forEach((h, j) => {
    let rem = h;
    for (let a = 0; a < r; a++) {
      out[a * hits.length + j] = BigInt(Math.floor(rem / st[a]));
      rem %= st[a];
    }
  });
  return [makeTensor('int64', [r === 0 ? 1 : r, hits.length], out)];
};

const topK: Kernel = (node, inputs) => {
  const x = need(inputs, 0, 'X');
  const K = scalarOf(need(inputs, 1, 'K'), 'K');
  const axis = normAxis(attrInt(node, 'axis', -1), x.dims.length);
  const largest = attrInt(node, 'largest', 1) !== 0;
  const len = x.dims[axis];
  if (K < 0 || K > len) throw new Error(`K = ${K} is out of range for axis ${axis} of size ${len}`);
  const outer = sizeOf(x.dims.slice(0, axis)),
    inner = sizeOf(x.dims.slice(axis + 1));
  const outDims = [...x.dims];
  outDims[axis] = K;
  const X = x.data as unknown as ArrayLike<number | bigint>;
  const map = new Int32Array(outer * K * inner),
    idx = new BigInt64Array(outer * K * inner);
  const order = Array.from({ length: len }, (_, i) => i);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      order.forEach((_, j) => {
        order[j] = j;
      });
      order.sort((a, b) => {
        const va = X[base + a * inner],
          vb = X[base + b * inner];
        if (va === vb) return a - b;
        return (largest ? va < vb : va > vb) ? 1 : -1;
      });
      for (let j = 0; j < K; j++) {
        const p = (o * K + j) * inner + i;
        map[p] = base + order[j] * inner;
        idx[p] = BigInt(order[j]);
      }
    }
  }
  return [makeTensor(x.dtype, outDims, gatherData(x.data, map)), makeTensor('int64', outDims, idx)];
};

export const kernels: Record<string, Kernel> = {
  Gather: gather,
  GatherElements: gatherElements,
  GatherND: gatherND,
  ScatterElements: scatterElements,
  ScatterND: scatterND,
  NonZero: nonZero,
  TopK: topK,
};
