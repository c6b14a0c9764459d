/**
 * Ops that cut and join tensors: Concat, Split, Slice, Tile, Pad.
 */
import { attrInt, attrInts, attrString } from '../ir.js';
import type { Kernel } from './kernel.js';
import { need } from './kernel.js';
import type { RefData, RefTensor } from './tensor-util.js';
import {
  allocLike,
  fromNumber,
  gatherData,
  makeTensor,
  normAxis,
  numbersOf,
  sizeOf,
  stridedMap,
  stridesOf,
} from './tensor-util.js';

/**
 * Gathers `x` into `outDims` where output coordinate o on axis a reads source coordinate
 * `src[a][o]`, or writes `fill` when that is -1.
 */
export function gatherPerAxis(x: RefTensor, outDims: number[], src: Int32Array[], fill: number | bigint): RefData {
  const r = outDims.length,
    n = sizeOf(outDims);
  const out = allocLike(x.data, n) as unknown as { [i: number]: number | bigint };
  const X = x.data as unknown as ArrayLike<number | bigint>;
  if (n === 0) return out as unknown as RefData;
  const st = stridesOf(x.dims);
  const idx = new Array<number>(r).fill(0);
  for (let i = 0; i < n; i++) {
    let p = 0,
      ok = true;
    for (let a = 0; a < r; a++) {
      const s = src[a][idx[a]];
      if (s < 0) {
        ok = false;
        break;
      }
      p += s * st[a];
    }
    out[i] = ok ? X[p] : fill;
    for (let a = r - 1; a >= 0; a--) {
      if (++idx[a] < outDims[a]) break;
      idx[a] = 0;
    }
  }
  return out as unknown as RefData;
}

const concat: Kernel = (node, inputs) => {
  const ts = inputs.filter((t): t is RefTensor => t !== undefined);
  if (ts.length === 0) throw new Error('Concat needs inputs');
  const r = ts[0].dims.length;
  const axis = normAxis(attrInt(node, 'axis'), r);
  for (const t of ts) {
    if (t.dims.length !== r || t.dims.some((d, i) => i !== axis && d !== ts[0].dims[i])) {
      throw new Error(`input dims ${ts.map((x) => `[${x.dims}]`).join(', ')} do not match off axis ${axis}`);
    }
  }
  const outDims = [...ts[0].dims];
  outDims[axis] = ts.reduce((s, t) => s + t.dims[axis], 0);
  const outer = sizeOf(outDims.slice(0, axis)),
    inner = sizeOf(outDims.slice(axis + 1));
  const out = allocLike(ts[0].data, sizeOf(outDims));
  const rowOut = outDims[axis] * inner;
  let off = 0;
  for (const t of ts) {
    const row = t.dims[axis] * inner;
    for (let o = 0; o < outer; o++)
      (out as Float64Array).set((t.data as Float64Array).subarray(o * row, (o + 1) * row), o * rowOut + off);
    off += row;
  }
  return [makeTensor(ts[0].dtype, outDims, out)];
};

/** Copies `x[..., start:start+len, ...]` along `axis`. */
export function sliceAxis(x: RefTensor, axis: number, start: number, len: number): RefTensor {
  const st = stridesOf(x.dims);
  const dims = [...x.dims];
  dims[axis] = len;
  return makeTensor(x.dtype, dims, gatherData(x.data, stridedMap(dims, st, start * st[axis])));
}

const split: Kernel = (node, inputs) => {
  const x = need(inputs, 0, 'input');
  const axis = normAxis(attrInt(node, 'axis', 0), x.dims.length);
  const d = x.dims[axis],
    k = node.outputs.length;
  let sizes: number[];
  if (inputs[1] !== undefined) sizes = numbersOf(inputs[1]);
  else if (node.attrs.split) sizes = attrInts(node, 'split');
  else if (node.attrs.num_outputs) {
    const m = attrInt(node, 'num_outputs');
    if (m !== k) throw new Error(`num_outputs is ${m} but the node has ${k} outputs`);
    const c = Math.ceil(d / m);
    sizes = Array.from({ length: m }, (_, i) => Math.max(0, Math.min(c, d - i * c)));
  } else {
    if (d % k !== 0) throw new Error(`axis ${axis} of size ${d} does not split evenly into ${k} outputs`);
    sizes = new Array<number>(k).fill(d / k);
  }
  if (sizes.length !== k || sizes.reduce((a, b) => a + b, 0) !== d)
    throw new Error(`split sizes [${sizes}] do not cover axis ${axis} of size ${d} with ${k} outputs`);
  let off = 0;
  return sizes.map((s) => {
    const t = sliceAxis(x, axis, off, s);
    off += s;
    return t;
  });
};

/** Resolved start, step and length of one sliced axis, per the ONNX clamping rules. */
export function sliceRange(dim: number, start: number, end: number, step: number): { start: number; len: number } {
  if (step === 0) throw new Error('slice step cannot be 0');
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = Math.min(Math.max(start, 0), dim);
    end = Math.min(Math.max(end, 0), dim);
    return { start, len: Math.max(0, Math.ceil((end - start) / step)) };
  }
  start = Math.min(Math.max(start, 0), dim - 1);
  end = Math.min(Math.max(end, -1), dim - 1);
  return { start, len: Math.max(0, Math.ceil((start - end) / -step)) };
}

const slice: Kernel = (node, inputs) => {
  const x = need(inputs, 0, 'data');
  const r = x.dims.length;
  const fromAttr = inputs[1] === undefined && node.attrs.starts !== undefined;
  const starts = fromAttr ? attrInts(node, 'starts') : numbersOf(need(inputs, 1, 'starts'));
  const ends = fromAttr ? attrInts(node, 'ends') : numbersOf(need(inputs, 2, 'ends'));
  const axes = fromAttr
    ? attrInts(
        node,
        'axes',
        starts.map((_, i) => i),
      )
    : inputs[3]
      ? numbersOf(inputs[3])
      : starts.map((_, i) => i);
  const steps = !fromAttr && inputs[4] ? numbersOf(inputs[4]) : starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
    throw new Error(
      `starts, ends, axes and steps lengths differ (${starts.length}, ${ends.length}, ${axes.length}, ${steps.length})`,
    );
  }
  const st = stridesOf(x.dims);
  const outDims = [...x.dims],
    srcStr = [...st];
  let base = 0;
  const seen = new Set<number>();
  axes.forEach((a0, i) => {
    const a = normAxis(a0, r, 'axes entry');
    if (seen.has(a)) throw new Error(`axes [${axes}] has duplicates`);
    seen.add(a);
    const { start, len } = sliceRange(x.dims[a], starts[i], ends[i], steps[i]);
    outDims[a] = len;
    srcStr[a] = st[a] * steps[i];
    if (len > 0) base += start * st[a];
  });
  return [makeTensor(x.dtype, outDims, gatherData(x.data, stridedMap(outDims, srcStr, base)))];
};

const tile: Kernel = (_node, inputs) => {
  const x = need(inputs, 0, 'input');
  const reps = numbersOf(need(inputs, 1, 'repeats'));
  if (reps.length !== x.dims.length) throw new Error(`repeats has ${reps.length} entries for rank ${x.dims.length}`);
  const outDims = x.dims.map((d, i) => d * reps[i]);
  const src = outDims.map((od, a) => Int32Array.from({ length: od }, (_, o) => o % x.dims[a]));
  return [makeTensor(x.dtype, outDims, gatherPerAxis(x, outDims, src, 0))];
};

function padSource(o: number, pb: number, d: number, mode: string): number {
  let i = o - pb;
  if (i >= 0 && i < d) return i;
  switch (mode) {
    case 'constant':
      return -1;
    case 'edge':
      return i < 0 ? 0 : d - 1;
    case 'wrap':
      return ((i % d) + d) % d;
    case 'reflect': {
      if (d === 1) return 0;
      const p = 2 * (d - 1);
      i = ((i % p) + p) % p;
      return i >= d ? p - i : i;
    }
    default:
      throw new Error(`mode must be constant, reflect, edge or wrap, got '${mode}'`);
  }
}

const pad: Kernel = (node, inputs) => {
  const x = need(inputs, 0, 'data');
  const r = x.dims.length;
  const mode = attrString(node, 'mode', 'constant');
  const pads = inputs[1] !== undefined ? numbersOf(inputs[1]) : attrInts(node, 'pads');
  const axes =
    inputs[3] !== undefined ? numbersOf(inputs[3]).map((a) => normAxis(a, r, 'axes entry')) : x.dims.map((_, i) => i);
  if (pads.length !== 2 * axes.length) throw new Error(`pads has ${pads.length} entries, expected ${2 * axes.length}`);
  const pb = new Array<number>(r).fill(0),
    pe = new Array<number>(r).fill(0);
  axes.forEach((a, i) => {
    pb[a] = pads[i];
    pe[a] = pads[i + axes.length];
  });
  const cv =
    inputs[2] !== undefined && inputs[2].data.length > 0
      ? Number(inputs[2].data[0])
      : inputs[2]
        ? 0
        : node.attrs.value
          ? Number((node.attrs.value as { value: number }).value)
          : 0;
  const outDims = x.dims.map((d, a) => d + pb[a] + pe[a]);
  if (outDims.some((d) => d < 0)) throw new Error(`pads [${pads}] crop more than the input [${x.dims}]`);
  if (mode !== 'constant' && x.dims.some((d, a) => d === 0 && outDims[a] > 0))
    throw new Error(`mode ${mode} cannot pad an empty axis`);
  const src = outDims.map((od, a) => Int32Array.from({ length: od }, (_, o) => padSource(o, pb[a], x.dims[a], mode)));
  return [makeTensor(x.dtype, outDims, gatherPerAxis(x, outDims, src, fromNumber(x.dtype, cv)))];
};

export const kernels: Record<string, Kernel> = {
  Concat: concat,
  Split: split,
  Slice: slice,
  Tile: tile,
  Pad: pad,
};
