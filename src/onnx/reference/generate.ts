/**
 * Ops that make tensors from attributes or shapes: Constant, ConstantOfShape, Range, EyeLike,
 * OneHot, Trilu.
 */
import { attrInt } from '../ir.js';
import { dtypeFromCode } from '../tensor.js';
import type { Kernel } from './kernel.js';
import { need } from './kernel.js';
import type { RefTensor } from './tensor-util.js';
import { allocData, fromNumber, makeTensor, normAxis, numbersOf, scalarOf, sizeOf, toRef } from './tensor-util.js';

const constant: Kernel = (node) => {
  const entries = Object.entries(node.attrs);
  if (entries.length !== 1)
    throw new Error(`Constant needs exactly one value attribute, got ${entries.map(([k]) => k).join(', ') || 'none'}`);
  const [name, a] = entries[0];
  switch (name) {
    case 'value':
      if (a.type === 'tensor') return [toRef(a.value)];
      break;
    case 'value_float':
      if (a.type === 'float' || a.type === 'int') return [makeTensor('float32', [], Float64Array.of(a.value))];
      break;
    case 'value_floats':
      if (a.type === 'floats' || a.type === 'ints')
        return [makeTensor('float32', [a.value.length], Float64Array.from(a.value))];
      break;
    case 'value_int':
      if (a.type === 'int') return [makeTensor('int64', [], BigInt64Array.of(BigInt(a.value)))];
      break;
    case 'value_ints':
      if (a.type === 'ints')
        return [makeTensor('int64', [a.value.length], BigInt64Array.from(a.value.map((v) => BigInt(v))))];
      break;
    case 'value_string':
    case 'value_strings':
      throw new Error('string constants are not supported by the reference interpreter');
    case 'sparse_value':
      throw new Error('sparse constants are not supported by the reference interpreter');
    default:
      throw new Error(`unknown Constant attribute '${name}'`);
  }
  throw new Error(`Constant attribute '${name}' has the wrong type ${a.type}`);
};

const constantOfShape: Kernel = (node, inputs) => {
  const dims = numbersOf(need(inputs, 0, 'input'));
  const a = node.attrs.value;
  let v: RefTensor = makeTensor('float32', [1], new Float64Array(1));
  if (a !== undefined) {
    if (a.type !== 'tensor') throw new Error(`attribute 'value' should be a tensor, got ${a.type}`);
    v = toRef(a.value);
    if (v.data.length !== 1) throw new Error(`attribute 'value' must hold one element, got dims [${v.dims}]`);
  }
  const n = sizeOf(dims);
  const out = allocData(v.dtype, n);
  (out as Float64Array).fill(v.data[0] as number);
  return [makeTensor(v.dtype, dims, out)];
};

const range: Kernel = (_node, inputs) => {
  const s = need(inputs, 0, 'start'),
    l = need(inputs, 1, 'limit'),
    d = need(inputs, 2, 'delta');
  const start = scalarOf(s, 'start'),
    limit = scalarOf(l, 'limit'),
    delta = scalarOf(d, 'delta');
  if (delta === 0) throw new Error('delta cannot be 0');
  const n = Math.max(Math.ceil((limit - start) / delta), 0);
  const out = allocData(s.dtype, n) as unknown as { [i: number]: number | bigint };
  if (s.data instanceof BigInt64Array) {
    const bs = s.data[0],
      bd = d.data[0] as bigint;
    for (let i = 0; i < n; i++) out[i] = bs + BigInt(i) * bd;
  } else for (let i = 0; i < n; i++) out[i] = start + i * delta;
  return [makeTensor(s.dtype, [n], out as unknown as RefTensor['data'])];
};

const eyeLike: Kernel = (node, inputs) => {
  const x = need(inputs, 0, 'input');
  if (x.dims.length !== 2) throw new Error(`input must be 2-D, got [${x.dims}]`);
  const dtype = node.attrs.dtype ? dtypeFromCode(attrInt(node, 'dtype')) : x.dtype;
  const k = attrInt(node, 'k', 0);
  const [R, C] = x.dims;
  const out = allocData(dtype, R * C) as unknown as { [i: number]: number | bigint };
  const one = fromNumber(dtype, 1);
  for (let i = 0; i < R; i++) {
    const j = i + k;
    if (j >= 0 && j < C) out[i * C + j] = one;
  }
  return [makeTensor(dtype, [R, C], out as unknown as RefTensor['data'])];
};

const oneHot: Kernel = (node, inputs) => {
  const ind = need(inputs, 0, 'indices'),
    dep = need(inputs, 1, 'depth'),
    vals = need(inputs, 2, 'values');
  const depth = Math.trunc(scalarOf(dep, 'depth'));
  if (vals.data.length !== 2) throw new Error(`values must hold [off, on], got dims [${vals.dims}]`);
  const r = ind.dims.length + 1;
  const axis = normAxis(attrInt(node, 'axis', -1), r);
  const outDims = [...ind.dims.slice(0, axis), depth, ...ind.dims.slice(axis)];
  const outer = sizeOf(ind.dims.slice(0, axis)),
    inner = sizeOf(ind.dims.slice(axis));
  const out = allocData(vals.dtype, sizeOf(outDims)) as unknown as { [i: number]: number | bigint };
  const off = vals.data[0],
    on = vals.data[1];
  const I = ind.data as unknown as ArrayLike<number | bigint>;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let k = Math.trunc(Number(I[o * inner + i]));
      if (k < 0) k += depth;
      for (let d = 0; d < depth; d++) out[(o * depth + d) * inner + i] = d === k ? on : off;
    }
  }
  return [makeTensor(vals.dtype, outDims, out as unknown as RefTensor['data'])];
};

const trilu: Kernel = (node, inputs) => {
  const x = need(inputs, 0, 'input');
  const r = x.dims.length;
  if (r < 2) throw new Error(`input must have rank >= 2, got [${x.dims}]`);
  const k = inputs[1] !== undefined ? scalarOf(inputs[1], 'k') : 0;
  const upper = attrInt(node, 'upper', 1) !== 0;
  const R = x.dims[r - 2],
    C = x.dims[r - 1],
    mats = sizeOf(x.dims.slice(0, -2));
  const out = (x.data as Float64Array).slice() as unknown as { [i: number]: number | bigint };
  const zero = x.data instanceof BigInt64Array ? 0n : 0;
  for (let m = 0; m < mats; m++) {
    for (let i = 0; i < R; i++) {
      for (let j = 0; j < C; j++) {
        const keep = upper ? j - i >= k : j - i <= k;
        if (!keep) out[(m * R + i) * C + j] = zero;
      }
    }
  }
  return [makeTensor(x.dtype, [...x.dims], out as unknown as RefTensor['data'])];
};

export const kernels: Record<string, Kernel> = {
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Range: range,
  EyeLike: eyeLike,
  OneHot: oneHot,
  Trilu: trilu,
};
