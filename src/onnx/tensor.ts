/**
 * Host tensors: a typed array, an element type and dimensions. Used for initializers, checkpoints,
 * feeds and fetches alike, independent of ONNX Runtime.
 */

/** Element types Gymnos handles, named as onnxruntime-common names them. */
export type DType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'bfloat16'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool'
  | 'string';

/** Typed array behind a tensor of each element type (float16/bfloat16 keep raw bits). */
export type TensorArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | string[];

/** A dense host tensor. `dims` is row-major; a scalar has `dims = []`. */
export interface Tensor {
  dtype: DType;
  dims: number[];
  data: TensorArray;
}

/** ONNX `TensorProto.DataType` codes by element type. */
export const DTYPE_CODE: Record<DType, number> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
  bfloat16: 16,
};

const CODE_DTYPE = new Map<number, DType>(Object.entries(DTYPE_CODE).map(([k, v]) => [v, k as DType]));

/** Element type for an ONNX data-type code; throws for complex and 4/8-bit types. */
export function dtypeFromCode(code: number): DType {
  const d = CODE_DTYPE.get(code);
  if (!d)
    throw new Error(`unsupported ONNX tensor data type ${code}; Gymnos handles ${[...CODE_DTYPE.keys()].join(', ')}`);
  return d;
}

/** Bytes per element (strings: 0). */
export function dtypeSize(d: DType): number {
  switch (d) {
    case 'float64':
    case 'int64':
    case 'uint64':
      return 8;
    case 'float32':
    case 'int32':
    case 'uint32':
      return 4;
    case 'float16':
    case 'bfloat16':
    case 'int16':
    case 'uint16':
      return 2;
    case 'int8':
    case 'uint8':
    case 'bool':
      return 1;
    case 'string':
      return 0;
  }
}

/** True for the floating-point element types (the differentiable ones). */
export function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float64' || d === 'float16' || d === 'bfloat16';
}

/** Number of elements of a shape. */
export function sizeOf(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Allocates a zero-filled typed array for `n` elements of `dtype`. */
export function allocArray(dtype: DType, n: number): TensorArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'float16':
    case 'bfloat16':
    case 'uint16':
      return new Uint16Array(n);
    case 'int8':
      return new Int8Array(n);
    case 'uint8':
    case 'bool':
      return new Uint8Array(n);
    case 'int16':
      return new Int16Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'uint32':
      return new Uint32Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'uint64':
      return new BigUint64Array(n);
    case 'string':
      return new Array<string>(n).fill('');
  }
}

/** Builds a typed array of `dtype` viewing (copying when unaligned) little-endian bytes. */
export function arrayFromBytes(dtype: DType, bytes: Uint8Array): TensorArray {
  const size = dtypeSize(dtype);
  if (dtype === 'string') throw new Error('string tensors are not stored as raw bytes');
  if (bytes.byteLength % size !== 0) {
    throw new Error(`raw tensor data of ${bytes.byteLength} bytes is not a multiple of ${size} (${dtype})`);
  }
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  const n = bytes.byteLength / size;
  const buf = copy.buffer;
  switch (dtype) {
    case 'float32':
      return new Float32Array(buf, 0, n);
    case 'float64':
      return new Float64Array(buf, 0, n);
    case 'float16':
    case 'bfloat16':
    case 'uint16':
      return new Uint16Array(buf, 0, n);
    case 'int8':
      return new Int8Array(buf, 0, n);
    case 'uint8':
    case 'bool':
      return new Uint8Array(buf, 0, n);
    case 'int16':
      return new Int16Array(buf, 0, n);
    case 'int32':
      return new Int32Array(buf, 0, n);
    case 'uint32':
      return new Uint32Array(buf, 0, n);
    case 'int64':
      return new BigInt64Array(buf, 0, n);
    case 'uint64':
      return new BigUint64Array(buf, 0, n);
  }
}

/** Little-endian bytes of a numeric tensor's data (a view, no copy). */
export function bytesOf(t: Tensor): Uint8Array {
  if (Array.isArray(t.data)) throw new Error('string tensors have no raw bytes');
  const a = t.data as Exclude<TensorArray, string[]>;
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Creates a tensor, checking that the data length matches the dimensions. */
export function tensor(dtype: DType, dims: number[], data?: TensorArray | number[]): Tensor {
  const n = sizeOf(dims);
  let arr: TensorArray;
  if (data === undefined) arr = allocArray(dtype, n);
  else if (Array.isArray(data) && dtype !== 'string') {
    arr = allocArray(dtype, n);
    const nums = data as number[];
    if (arr instanceof BigInt64Array || arr instanceof BigUint64Array)
      nums.forEach((v, i) => {
        (arr as BigInt64Array)[i] = BigInt(v);
      });
    else
      nums.forEach((v, i) => {
        (arr as Float32Array)[i] = v;
      });
    if (nums.length !== n) throw new Error(`tensor data has ${nums.length} elements, dims [${dims}] need ${n}`);
  } else arr = data as TensorArray;
  if (arr.length !== n) throw new Error(`tensor data has ${arr.length} elements, dims [${dims}] need ${n}`);
  return { dtype, dims: [...dims], data: arr };
}

/** Reads element i as a JavaScript number (bigint elements converted). */
export function elementAsNumber(t: Tensor, i: number): number {
  const v = (t.data as ArrayLike<number | bigint | string>)[i];
  return typeof v === 'bigint' ? Number(v) : Number(v);
}

/** All elements as JavaScript numbers. */
export function toNumbers(t: Tensor): number[] {
  const out = new Array<number>(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = elementAsNumber(t, i);
  return out;
}

/** A deep copy of a tensor. */
export function cloneTensor(t: Tensor): Tensor {
  const data = Array.isArray(t.data) ? [...t.data] : (t.data as Float32Array).slice();
  return { dtype: t.dtype, dims: [...t.dims], data: data as TensorArray };
}
