/**
 * Tensor plumbing for the float64 reference interpreter: the `RefTensor` form, conversion from
 * host tensors, shape and stride helpers, and broadcasting index maps.
 *
 * Representation: every floating type (float16/bfloat16/float32/float64) is held as a
 * Float64Array, every integer type as a BigInt64Array (uint64 values past 2^63 wrap), bool as a
 * Uint8Array of 0/1. `dtype` keeps the nominal ONNX type.
 */
import type { DType, Tensor } from '../tensor.js';
import { isFloat, sizeOf } from '../tensor.js';

/** A tensor as the reference interpreter holds it. */
export interface RefTensor {
  dtype: DType;
  dims: number[];
  data: Float64Array | BigInt64Array | Uint8Array;
}

export type RefData = RefTensor['data'];
export type Kind = 'float' | 'int' | 'bool';

/** Which storage a dtype uses. */
export function kindOf(dtype: DType): Kind {
  if (isFloat(dtype)) return 'float';
  if (dtype === 'bool') return 'bool';
  if (dtype === 'string') throw new Error('string tensors are not supported by the reference interpreter');
  return 'int';
}

export { sizeOf };

/** Zero-filled storage for `n` elements of `dtype`. */
export function allocData(dtype: DType, n: number): RefData {
  const k = kindOf(dtype);
  return k === 'float' ? new Float64Array(n) : k === 'int' ? new BigInt64Array(n) : new Uint8Array(n);
}

/** Zero-filled storage of the same class as `like`. */
export function allocLike(like: RefData, n: number): RefData {
  if (like instanceof Float64Array) return new Float64Array(n);
  if (like instanceof BigInt64Array) return new BigInt64Array(n);
  return new Uint8Array(n);
}

export function makeTensor(dtype: DType, dims: number[], data?: RefData): RefTensor {
  const n = sizeOf(dims);
  const d = data ?? allocData(dtype, n);
  if (d.length !== n) throw new Error(`internal: ${d.length} elements for dims [${dims}]`);
  return { dtype, dims, data: d };
}

export function floatTensor(dims: number[], data: Float64Array, dtype: DType = 'float32'): RefTensor {
  return makeTensor(dtype, dims, data);
}

export function int64Tensor(dims: number[], values: ArrayLike<number> | BigInt64Array): RefTensor {
  const data = values instanceof BigInt64Array ? values : BigInt64Array.from(Array.from(values, (v) => BigInt(v)));
  return makeTensor('int64', dims, data);
}

/** Decodes IEEE half-precision bits. */
export function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

const bfScratch = new Float32Array(1);
const bfBits = new Uint32Array(bfScratch.buffer);
export function bfloat16ToNumber(h: number): number {
  bfBits[0] = h << 16;
  return bfScratch[0];
}

/** Converts (copying) a host tensor or a RefTensor into the interpreter's representation. */
export function toRef(t: Tensor | RefTensor): RefTensor {
  const dims = [...t.dims];
  const k = kindOf(t.dtype);
  const src = t.data;
  if (Array.isArray(src)) throw new Error('string tensors are not supported by the reference interpreter');
  const n = sizeOf(dims);
  if (src.length !== n) throw new Error(`tensor data has ${src.length} elements, dims [${dims}] need ${n}`);
  if (k === 'float') {
    const out = new Float64Array(n);
    if ((t.dtype === 'float16' || t.dtype === 'bfloat16') && src instanceof Uint16Array) {
      const conv = t.dtype === 'float16' ? halfToNumber : bfloat16ToNumber;
      for (let i = 0; i < n; i++) out[i] = conv(src[i]);
    } else if (src instanceof BigInt64Array || src instanceof BigUint64Array) {
      for (let i = 0; i < n; i++) out[i] = Number(src[i]);
    } else out.set(src as ArrayLike<number>);
    return { dtype: t.dtype, dims, data: out };
  }
  if (k === 'int') {
    if (src instanceof BigInt64Array) return { dtype: t.dtype, dims, data: src.slice() };
    if (src instanceof BigUint64Array) return { dtype: t.dtype, dims, data: new BigInt64Array(src.slice().buffer) };
    const out = new BigInt64Array(n);
    for (let i = 0; i < n; i++) out[i] = BigInt(Math.trunc(Number((src as ArrayLike<number>)[i])));
    return { dtype: t.dtype, dims, data: out };
  }
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Number(src[i]) ? 1 : 0;
  return { dtype: 'bool', dims, data: out };
}

/** The float data of `t`, or an error naming what was expected. */
export function floatData(t: RefTensor, what = 'input'): Float64Array {
  if (!(t.data instanceof Float64Array)) throw new Error(`${what} must be a floating tensor, got ${t.dtype}`);
  return t.data;
}

/** All elements of an integer (or float) tensor as JavaScript numbers. */
export function numbersOf(t: RefTensor): number[] {
  const out = new Array<number>(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Number(t.data[i]);
  return out;
}

/** A single element as a number (scalars and 1-element tensors). */
export function scalarOf(t: RefTensor, what = 'input'): number {
  if (t.data.length !== 1) throw new Error(`${what} must hold exactly one element, got dims [${t.dims}]`);
  return Number(t.data[0]);
}

/** Row-major strides. */
export function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i];
  }
  return s;
}

/** Normalizes a possibly negative axis, checking its range. */
export function normAxis(axis: number, rank: number, what = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!(a >= 0 && a < rank)) throw new Error(`${what} ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Numpy-style multidirectional broadcast of several shapes. */
export function broadcastShapes(...shapes: number[][]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    const off = rank - s.length;
    for (let i = 0; i < s.length; i++) {
      const d = s[i],
        o = out[off + i];
      if (d === o || d === 1) continue;
      if (o === 1) out[off + i] = d;
      else throw new Error(`shapes ${shapes.map((x) => `[${x}]`).join(', ')} do not broadcast`);
    }
  }
  return out;
}

/**
 * For each element of a tensor of shape `outDims`, the flat index of the element of a tensor of
 * shape `dims` (broadcast to `outDims`) it reads; null when the shapes are equal (identity).
 */
export function broadcastMap(dims: readonly number[], outDims: readonly number[]): Int32Array | null {
  if (dims.length === outDims.length && dims.every((d, i) => d === outDims[i])) return null;
  const rank = outDims.length;
  const off = rank - dims.length;
  const inStr = stridesOf(dims);
  const str = new Array<number>(rank).fill(0);
  for (let i = 0; i < dims.length; i++) str[off + i] = dims[i] === 1 ? 0 : inStr[i];
  const n = sizeOf(outDims as number[]);
  const map = new Int32Array(n);
  if (n === 0) return map;
  const idx = new Array<number>(rank).fill(0);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    map[i] = pos;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      pos += str[d];
      if (idx[d] < outDims[d]) break;
      pos -= str[d] * idx[d];
      idx[d] = 0;
    }
  }
  return map;
}

/**
 * Flat source index for each output element of a permuted/strided view: output dims `outDims`,
 * source strides `srcStrides` per output axis, starting at `base`.
 */
export function stridedMap(outDims: readonly number[], srcStrides: readonly number[], base = 0): Int32Array {
  const rank = outDims.length;
  const n = sizeOf(outDims as number[]);
  const map = new Int32Array(n);
  if (n === 0) return map;
  const idx = new Array<number>(rank).fill(0);
  let pos = base;
  for (let i = 0; i < n; i++) {
    map[i] = pos;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      pos += srcStrides[d];
      if (idx[d] < outDims[d]) break;
      pos -= srcStrides[d] * idx[d];
      idx[d] = 0;
    }
  }
  return map;
}

/** New storage holding `src[map[i]]` for every i. */
export function gatherData(src: RefData, map: Int32Array): RefData {
  const n = map.length;
  if (src instanceof Float64Array) {
    const o = new Float64Array(n);
    for (let i = 0; i < n; i++) o[i] = src[map[i]];
    return o;
  }
  if (src instanceof BigInt64Array) {
    const o = new BigInt64Array(n);
    for (let i = 0; i < n; i++) o[i] = src[map[i]];
    return o;
  }
  const o = new Uint8Array(n);
  for (let i = 0; i < n; i++) o[i] = src[map[i]];
  return o;
}

/** Wraps a bigint to the value range of an integer dtype (two's complement). */
export function wrapInt(dtype: DType, v: bigint): bigint {
  switch (dtype) {
    case 'int8':
      return BigInt.asIntN(8, v);
    case 'uint8':
      return BigInt.asUintN(8, v);
    case 'int16':
      return BigInt.asIntN(16, v);
    case 'uint16':
      return BigInt.asUintN(16, v);
    case 'int32':
      return BigInt.asIntN(32, v);
    case 'uint32':
      return BigInt.asUintN(32, v);
    default:
      return BigInt.asIntN(64, v);
  }
}

/** Bit width of an integer dtype. */
export function intBits(dtype: DType): number {
  switch (dtype) {
    case 'int8':
    case 'uint8':
      return 8;
    case 'int16':
    case 'uint16':
      return 16;
    case 'int32':
    case 'uint32':
      return 32;
    default:
      return 64;
  }
}

export function isUnsigned(dtype: DType): boolean {
  return dtype === 'uint8' || dtype === 'uint16' || dtype === 'uint32' || dtype === 'uint64';
}

/** Converts a number to storage of `dtype` (float: as is; int: truncated and wrapped; bool: != 0). */
export function fromNumber(dtype: DType, v: number): number | bigint {
  const k = kindOf(dtype);
  if (k === 'float') return v;
  if (k === 'bool') return v ? 1 : 0;
  if (!Number.isFinite(v)) return 0n;
  return wrapInt(dtype, BigInt(Math.trunc(v)));
}

/** Fills storage of `dtype` from numbers. */
export function dataFromNumbers(dtype: DType, values: ArrayLike<number>): RefData {
  const out = allocData(dtype, values.length);
  for (let i = 0; i < values.length; i++) (out as { [i: number]: number | bigint })[i] = fromNumber(dtype, values[i]);
  return out;
}
