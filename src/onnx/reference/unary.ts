/**
 * Elementwise unary ops (math, activations, rounding), Cast/CastLike and Identity.
 * Floating ops run in float64; Neg/Abs/Sign also take integers, Not takes bool.
 */
import type { Node } from '../ir.js';
import { attrFloat, attrInt, attrString } from '../ir.js';
import { dtypeFromCode } from '../tensor.js';
import type { DType } from '../tensor.js';
import type { Kernel } from './kernel.js';
import { need } from './kernel.js';
import type { RefTensor } from './tensor-util.js';
import { kindOf, makeTensor, wrapInt } from './tensor-util.js';

/**
 * erf in float64: erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)).
 * All terms are positive, so there is no cancellation; beyond |x| = 6, erf is +-1 in float64.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax >= 6) return x > 0 ? 1 : -1;
  const x2 = ax * ax;
  let term = ax,
    sum = ax;
  for (let n = 0; n < 500; n++) {
    term *= (2 * x2) / (2 * n + 3);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  const r = (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * sum;
  return x < 0 ? -r : r;
}

/** Round half to even, as ONNX Round does. */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

type FloatFn = (x: number) => number;
/** Float function factories, reading their attributes from the node. */
const FLOAT_UNARY: Record<string, (node: Node) => FloatFn> = {
  Neg: () => (x) => -x,
  Abs: () => Math.abs,
  Sqrt: () => Math.sqrt,
  Exp: () => Math.exp,
  Log: () => Math.log,
  Reciprocal: () => (x) => 1 / x,
  Sin: () => Math.sin,
  Cos: () => Math.cos,
  Tan: () => Math.tan,
  Asin: () => Math.asin,
  Acos: () => Math.acos,
  Atan: () => Math.atan,
  Sinh: () => Math.sinh,
  Cosh: () => Math.cosh,
  Asinh: () => Math.asinh,
  Acosh: () => Math.acosh,
  Atanh: () => Math.atanh,
  Tanh: () => Math.tanh,
  Erf: () => erf,
  Sigmoid: () => sigmoid,
  Relu: () => (x) => (x < 0 ? 0 : x),
  LeakyRelu: (n) => {
    const a = attrFloat(n, 'alpha', 0.01);
    return (x) => (x >= 0 ? x : a * x);
  },
  Elu: (n) => {
    const a = attrFloat(n, 'alpha', 1);
    return (x) => (x >= 0 ? x : a * (Math.exp(x) - 1));
  },
  Selu: (n) => {
    const a = attrFloat(n, 'alpha', 1.67326319217681884765625),
      g = attrFloat(n, 'gamma', 1.05070102214813232421875);
    return (x) => (x > 0 ? g * x : g * a * (Math.exp(x) - 1));
  },
  Celu: (n) => {
    const a = attrFloat(n, 'alpha', 1);
    return (x) => Math.max(0, x) + Math.min(0, a * (Math.exp(x / a) - 1));
  },
  ThresholdedRelu: (n) => {
    const a = attrFloat(n, 'alpha', 1);
    return (x) => (x > a ? x : 0);
  },
  Softplus: () => softplus,
  Softsign: () => (x) => x / (1 + Math.abs(x)),
  Mish: () => (x) => x * Math.tanh(softplus(x)),
  HardSigmoid: (n) => {
    const a = attrFloat(n, 'alpha', 0.2),
      b = attrFloat(n, 'beta', 0.5);
    return (x) => Math.max(0, Math.min(1, a * x + b));
  },
  HardSwish: () => (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5)),
  Gelu: (n) => {
    const approx = attrString(n, 'approximate', 'none');
    if (approx === 'tanh') {
      const c = Math.sqrt(2 / Math.PI);
      return (x) => 0.5 * x * (1 + Math.tanh(c * (x + 0.044715 * x * x * x)));
    }
    if (approx !== 'none') throw new Error(`approximate must be 'none' or 'tanh', got '${approx}'`);
    return (x) => 0.5 * x * (1 + erf(x / Math.SQRT2));
  },
  Floor: () => Math.floor,
  Ceil: () => Math.ceil,
  Round: () => roundHalfEven,
  Sign: () => (x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN),
};

const INT_UNARY: Record<string, (x: bigint) => bigint> = {
  Neg: (x) => -x,
  Abs: (x) => (x < 0n ? -x : x),
  Sign: (x) => (x > 0n ? 1n : x < 0n ? -1n : 0n),
  Relu: (x) => (x > 0n ? x : 0n),
  Floor: (x) => x,
  Ceil: (x) => x,
  Round: (x) => x,
};

function floatUnary(op: string): Kernel {
  const make = FLOAT_UNARY[op];
  return (node, inputs) => {
    const x = need(inputs, 0, 'X');
    if (x.data instanceof BigInt64Array && INT_UNARY[op]) {
      const f = INT_UNARY[op],
        src = x.data,
        out = new BigInt64Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = wrapInt(x.dtype, f(src[i]));
      return [makeTensor(x.dtype, [...x.dims], out)];
    }
    if (!(x.data instanceof Float64Array)) throw new Error(`${op} needs a floating input, got ${x.dtype}`);
    const f = make(node),
      src = x.data,
      out = new Float64Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = f(src[i]);
    return [makeTensor(x.dtype, [...x.dims], out)];
  };
}

/** Converts a tensor to `to`, following ORT: float->int truncates toward zero, then wraps. */
export function castTo(x: RefTensor, to: DType): RefTensor {
  const src = x.data,
    n = src.length;
  const kt = kindOf(to);
  if (kt === 'float') {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = Number(src[i]);
    return makeTensor(to, [...x.dims], out);
  }
  if (kt === 'bool') {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = Number(src[i]) !== 0 ? 1 : 0;
    return makeTensor(to, [...x.dims], out);
  }
  const out = new BigInt64Array(n);
  if (src instanceof BigInt64Array) {
    if (to === x.dtype) out.set(src);
    else for (let i = 0; i < n; i++) out[i] = wrapInt(to, src[i]);
  } else if (src instanceof Float64Array) {
    for (let i = 0; i < n; i++) {
      const v = src[i];
      out[i] = Number.isFinite(v) ? wrapInt(to, BigInt(Math.trunc(v))) : 0n;
    }
  } else for (let i = 0; i < n; i++) out[i] = BigInt(src[i]);
  return makeTensor(to, [...x.dims], out);
}

const other: Record<string, Kernel> = {
  Identity: (_n, inputs) => [need(inputs, 0, 'input')],
  Cast: (node, inputs) => [castTo(need(inputs, 0, 'input'), dtypeFromCode(attrInt(node, 'to')))],
  CastLike: (_n, inputs) => [castTo(need(inputs, 0, 'input'), need(inputs, 1, 'target_type').dtype)],
  Not: (_n, inputs) => {
    const x = need(inputs, 0, 'X');
    if (x.dtype !== 'bool') throw new Error(`Not needs a bool input, got ${x.dtype}`);
    const out = new Uint8Array(x.data.length);
    for (let i = 0; i < out.length; i++) out[i] = x.data[i] ? 0 : 1;
    return [makeTensor('bool', [...x.dims], out)];
  },
  BitwiseNot: (_n, inputs) => {
    const x = need(inputs, 0, 'X');
    if (!(x.data instanceof BigInt64Array)) throw new Error(`BitwiseNot needs an integer input, got ${x.dtype}`);
    const out = new BigInt64Array(x.data.length);
    for (let i = 0; i < out.length; i++) out[i] = wrapInt(x.dtype, ~x.data[i]);
    return [makeTensor(x.dtype, [...x.dims], out)];
  },
  IsNaN: (_n, inputs) => {
    const x = need(inputs, 0, 'X'),
      out = new Uint8Array(x.data.length);
    if (x.data instanceof Float64Array) for (let i = 0; i < out.length; i++) out[i] = Number.isNaN(x.data[i]) ? 1 : 0;
    return [makeTensor('bool', [...x.dims], out)];
  },
  IsInf: (node, inputs) => {
    const x = need(inputs, 0, 'X'),
      out = new Uint8Array(x.data.length);
    const pos = attrInt(node, 'detect_positive', 1),
      neg = attrInt(node, 'detect_negative', 1);
    if (x.data instanceof Float64Array) {
      for (let i = 0; i < out.length; i++) {
        const v = x.data[i];
        out[i] = (pos && v === Infinity) || (neg && v === -Infinity) ? 1 : 0;
      }
    }
    return [makeTensor('bool', [...x.dims], out)];
  },
};

export const kernels: Record<string, Kernel> = {
  ...Object.fromEntries(Object.keys(FLOAT_UNARY).map((op) => [op, floatUnary(op)])),
  ...other,
};
