/**
 * Broadcasting elementwise ops with two or more inputs: arithmetic, comparison, logic, bitwise,
 * the variadic Min/Max/Sum/Mean, Where, Clip and PRelu.
 */
import type { Node } from '../ir.js';
import { attrFloat, attrInt, attrString } from '../ir.js';
import type { DType } from '../tensor.js';
import type { Kernel } from './kernel.js';
import { need } from './kernel.js';
import type { RefTensor } from './tensor-util.js';
import {
  allocData,
  broadcastMap,
  broadcastShapes,
  fromNumber,
  intBits,
  isUnsigned,
  kindOf,
  makeTensor,
  sizeOf,
  wrapInt,
} from './tensor-util.js';

type Elem = number | bigint;

/** Applies `f` elementwise over the broadcast of `a` and `b`, writing storage of `outDtype`. */
function zip(a: RefTensor, b: RefTensor, outDtype: DType, f: (x: never, y: never) => Elem): RefTensor {
  const dims = broadcastShapes(a.dims, b.dims);
  const ma = broadcastMap(a.dims, dims),
    mb = broadcastMap(b.dims, dims);
  const n = sizeOf(dims);
  const out = allocData(outDtype, n) as unknown as { [i: number]: Elem };
  const A = a.data as unknown as ArrayLike<never>,
    B = b.data as unknown as ArrayLike<never>;
  if (!ma && !mb) for (let i = 0; i < n; i++) out[i] = f(A[i], B[i]);
  else for (let i = 0; i < n; i++) out[i] = f(A[ma ? ma[i] : i], B[mb ? mb[i] : i]);
  return makeTensor(outDtype, dims, out as unknown as RefTensor['data']);
}

function sameKind(op: string, a: RefTensor, b: RefTensor): void {
  if (kindOf(a.dtype) !== kindOf(b.dtype)) throw new Error(`${op}: input types ${a.dtype} and ${b.dtype} differ`);
}

type FloatOp = (x: number, y: number) => number;
type IntOp = (x: bigint, y: bigint) => bigint;

/** Arithmetic with the type of input A. */
function arith(op: string, ff: FloatOp, fi: IntOp): Kernel {
  return (_node, inputs) => {
    const a = need(inputs, 0, 'A'),
      b = need(inputs, 1, 'B');
    sameKind(op, a, b);
    if (a.data instanceof Float64Array) return [zip(a, b, a.dtype, ff as (x: never, y: never) => Elem)];
    if (a.data instanceof BigInt64Array) {
      const t = a.dtype;
      return [zip(a, b, t, ((x: bigint, y: bigint) => wrapInt(t, fi(x, y))) as (x: never, y: never) => Elem)];
    }
    throw new Error(`${op} does not take ${a.dtype}`);
  };
}

function intDiv(x: bigint, y: bigint): bigint {
  if (y === 0n) throw new Error('integer division by zero');
  return x / y;
}

function pyModFloat(x: number, y: number): number {
  const r = x % y;
  return r !== 0 && r < 0 !== y < 0 ? r + y : r;
}

function pyModInt(x: bigint, y: bigint): bigint {
  if (y === 0n) throw new Error('integer modulo by zero');
  const r = x % y;
  return r !== 0n && r < 0n !== y < 0n ? r + y : r;
}

const mod: Kernel = (node, inputs) => {
  const a = need(inputs, 0, 'A'),
    b = need(inputs, 1, 'B');
  sameKind('Mod', a, b);
  const fmod = attrInt(node, 'fmod', 0);
  if (a.data instanceof Float64Array)
    return [zip(a, b, a.dtype, (fmod ? (x: number, y: number) => x % y : pyModFloat) as (x: never, y: never) => Elem)];
  const t = a.dtype;
  const f = fmod
    ? (x: bigint, y: bigint) => {
        if (y === 0n) throw new Error('integer modulo by zero');
        return x % y;
      }
    : pyModInt;
  return [zip(a, b, t, ((x: bigint, y: bigint) => wrapInt(t, f(x, y))) as (x: never, y: never) => Elem)];
};

const pow: Kernel = (_node, inputs) => {
  const a = need(inputs, 0, 'X'),
    b = need(inputs, 1, 'Y');
  if (a.data instanceof Float64Array)
    return [zip(a, b, a.dtype, ((x: number, y: Elem) => Math.pow(x, Number(y))) as (x: never, y: never) => Elem)];
  const t = a.dtype;
  return [
    zip(a, b, t, ((x: bigint, y: Elem) => fromNumber(t, Math.pow(Number(x), Number(y)))) as (
      x: never,
      y: never,
    ) => Elem),
  ];
};

function compare(op: string, f: (x: number | bigint, y: number | bigint) => boolean): Kernel {
  return (_node, inputs) => {
    const a = need(inputs, 0, 'A'),
      b = need(inputs, 1, 'B');
    sameKind(op, a, b);
    return [zip(a, b, 'bool', ((x: Elem, y: Elem) => (f(x, y) ? 1 : 0)) as (x: never, y: never) => Elem)];
  };
}

function logic(op: string, f: (x: number, y: number) => boolean): Kernel {
  return (_node, inputs) => {
    const a = need(inputs, 0, 'A'),
      b = need(inputs, 1, 'B');
    if (a.dtype !== 'bool' || b.dtype !== 'bool')
      throw new Error(`${op} needs bool inputs, got ${a.dtype} and ${b.dtype}`);
    return [zip(a, b, 'bool', ((x: number, y: number) => (f(x, y) ? 1 : 0)) as (x: never, y: never) => Elem)];
  };
}

function bitwise(op: string, f: IntOp): Kernel {
  return (_node, inputs) => {
    const a = need(inputs, 0, 'A'),
      b = need(inputs, 1, 'B');
    if (!(a.data instanceof BigInt64Array) || a.dtype !== b.dtype)
      throw new Error(`${op} needs two integer inputs of one type, got ${a.dtype} and ${b.dtype}`);
    const t = a.dtype;
    return [zip(a, b, t, ((x: bigint, y: bigint) => wrapInt(t, f(x, y))) as (x: never, y: never) => Elem)];
  };
}

const bitShift: Kernel = (node, inputs) => {
  const a = need(inputs, 0, 'X'),
    b = need(inputs, 1, 'Y');
  if (!(a.data instanceof BigInt64Array) || !isUnsigned(a.dtype))
    throw new Error(`BitShift needs unsigned integer inputs, got ${a.dtype}`);
  const dir = attrString(node, 'direction');
  if (dir !== 'LEFT' && dir !== 'RIGHT') throw new Error(`direction must be LEFT or RIGHT, got '${dir}'`);
  const t = a.dtype,
    bits = intBits(t);
  const f = (x: bigint, y: bigint): bigint => {
    const ux = BigInt.asUintN(bits, x),
      s = BigInt.asUintN(bits, y);
    const r = s >= BigInt(bits) ? 0n : dir === 'LEFT' ? ux << s : ux >> s;
    return wrapInt(t, BigInt.asUintN(bits, r));
  };
  return [zip(a, b, t, f as (x: never, y: never) => Elem)];
};

/** Min/Max/Sum/Mean over any number of broadcast inputs. */
function variadic(op: string, ff: FloatOp, fi: IntOp, mean = false): Kernel {
  const pair = arith(op, ff, fi);
  return (node, inputs, ctx) => {
    const ts = inputs.filter((t): t is RefTensor => t !== undefined);
    if (ts.length === 0) throw new Error(`${op} needs at least one input`);
    let acc: RefTensor = ts.length === 1 ? makeTensor(ts[0].dtype, [...ts[0].dims], ts[0].data.slice()) : ts[0];
    for (let i = 1; i < ts.length; i++) acc = pair(node, [acc, ts[i]], ctx)[0]!;
    if (mean) {
      if (!(acc.data instanceof Float64Array)) throw new Error(`Mean needs floating inputs, got ${acc.dtype}`);
      const d = acc.data,
        k = ts.length;
      for (let i = 0; i < d.length; i++) d[i] /= k;
    }
    return [acc];
  };
}

const where: Kernel = (_node, inputs) => {
  const c = need(inputs, 0, 'condition'),
    x = need(inputs, 1, 'X'),
    y = need(inputs, 2, 'Y');
  if (c.dtype !== 'bool') throw new Error(`condition must be bool, got ${c.dtype}`);
  sameKind('Where', x, y);
  const dims = broadcastShapes(c.dims, x.dims, y.dims);
  const mc = broadcastMap(c.dims, dims),
    mx = broadcastMap(x.dims, dims),
    my = broadcastMap(y.dims, dims);
  const n = sizeOf(dims);
  const out = allocData(x.dtype, n) as unknown as { [i: number]: Elem };
  const C = c.data,
    X = x.data as unknown as ArrayLike<Elem>,
    Y = y.data as unknown as ArrayLike<Elem>;
  for (let i = 0; i < n; i++) out[i] = C[mc ? mc[i] : i] ? X[mx ? mx[i] : i] : Y[my ? my[i] : i];
  return [makeTensor(x.dtype, dims, out as unknown as RefTensor['data'])];
};

function clipBound(node: Node, t: RefTensor | undefined, attr: string, dflt: number): Elem {
  if (t !== undefined) {
    if (t.data.length !== 1) throw new Error(`Clip ${attr} must be a scalar, got dims [${t.dims}]`);
    return t.data[0];
  }
  return attrFloat(node, attr, dflt);
}

const clip: Kernel = (node, inputs) => {
  const x = need(inputs, 0, 'input');
  const lo = clipBound(node, inputs[1], 'min', -Infinity),
    hi = clipBound(node, inputs[2], 'max', Infinity);
  const n = x.data.length;
  if (x.data instanceof Float64Array) {
    const src = x.data,
      out = new Float64Array(n),
      l = Number(lo),
      h = Number(hi);
    for (let i = 0; i < n; i++) {
      const v = src[i];
      out[i] = v < l ? (l > h ? h : l) : v > h ? h : v;
    }
    return [makeTensor(x.dtype, [...x.dims], out)];
  }
  if (x.data instanceof BigInt64Array) {
    const src = x.data,
      out = new BigInt64Array(n);
    const l = typeof lo === 'bigint' ? lo : Number.isFinite(lo) ? BigInt(Math.ceil(lo)) : null;
    const h = typeof hi === 'bigint' ? hi : Number.isFinite(hi) ? BigInt(Math.floor(hi)) : null;
    for (let i = 0; i < n; i++) {
      let v = src[i];
      if (l !== null && v < l) v = l;
      if (h !== null && v > h) v = h;
      out[i] = v;
    } // min > max gives max, as in ORT
    return [makeTensor(x.dtype, [...x.dims], out)];
  }
  throw new Error(`Clip does not take ${x.dtype}`);
};

const prelu: Kernel = (_node, inputs) => {
  const x = need(inputs, 0, 'X'),
    s = need(inputs, 1, 'slope');
  const dims = broadcastShapes(x.dims, s.dims);
  if (dims.length !== x.dims.length || dims.some((d, i) => d !== x.dims[i])) {
    throw new Error(`slope [${s.dims}] does not broadcast unidirectionally to X [${x.dims}]`);
  }
  if (x.data instanceof Float64Array)
    return [zip(x, s, x.dtype, ((a: number, b: number) => (a < 0 ? a * b : a)) as (x: never, y: never) => Elem)];
  const t = x.dtype;
  return [zip(x, s, t, ((a: bigint, b: bigint) => (a < 0n ? wrapInt(t, a * b) : a)) as (x: never, y: never) => Elem)];
};

const lt = (x: Elem, y: Elem) => x < y;
export const kernels: Record<string, Kernel> = {
  Add: arith(
    'Add',
    (x, y) => x + y,
    (x, y) => x + y,
  ),
  Sub: arith(
    'Sub',
    (x, y) => x - y,
    (x, y) => x - y,
  ),
  Mul: arith(
    'Mul',
    (x, y) => x * y,
    (x, y) => x * y,
  ),
  Div: arith('Div', (x, y) => x / y, intDiv),
  Mod: mod,
  Pow: pow,
  Equal: compare('Equal', (x, y) => x === y),
  Less: compare('Less', lt),
  LessOrEqual: compare('LessOrEqual', (x, y) => x <= y),
  Greater: compare('Greater', (x, y) => x > y),
  GreaterOrEqual: compare('GreaterOrEqual', (x, y) => x >= y),
  And: logic('And', (x, y) => !!x && !!y),
  Or: logic('Or', (x, y) => !!x || !!y),
  Xor: logic('Xor', (x, y) => !!x !== !!y),
  BitwiseAnd: bitwise('BitwiseAnd', (x, y) => x & y),
  BitwiseOr: bitwise('BitwiseOr', (x, y) => x | y),
  BitwiseXor: bitwise('BitwiseXor', (x, y) => x ^ y),
  BitShift: bitShift,
  Min: variadic('Min', Math.min, (x, y) => (x < y ? x : y)),
  Max: variadic('Max', Math.max, (x, y) => (x > y ? x : y)),
  Sum: variadic(
    'Sum',
    (x, y) => x + y,
    (x, y) => x + y,
  ),
  Mean: variadic(
    'Mean',
    (x, y) => x + y,
    (x, y) => x + y,
    true,
  ),
  Where: where,
  Clip: clip,
  PRelu: prelu,
};
