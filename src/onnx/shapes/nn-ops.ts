/** Shape rules for MatMul/Gemm, convolution, pooling, reductions and TopK. */
import { attrInt, attrInts, attrString, type Dim } from '../ir.js';
import { broadcastShapes, normAxis, windowOut, mulDims } from './dims.js';
import type { OutputInfo, ShapeCtx, ShapeRule } from './context.js';

function matmul(c: ShapeCtx): OutputInfo[] {
  let a = c.shape(0);
  let b = c.shape(1);
  const a1 = a.length === 1;
  const b1 = b.length === 1;
  if (a1) a = [1, a[0]];
  if (b1) b = [b[0], 1];
  const batch = broadcastShapes([a.slice(0, -2), b.slice(0, -2)], c.where);
  const out: Dim[] = [...batch, a[a.length - 2], b[b.length - 1]];
  if (a1) out.splice(out.length - 2, 1);
  if (b1) out.splice(out.length - 1, 1);
  return [{ dtype: c.dtype(0), shape: out }];
}

/** Spatial pads [begin..., end...] for a window op, resolving auto_pad. */
export function resolvePads(
  c: { node: ShapeCtx['node']; where: string },
  spatial: Dim[],
  kernel: number[],
  strides: number[],
  dilations: number[],
): number[] {
  const autoPad = attrString(c.node, 'auto_pad', 'NOTSET');
  const n = kernel.length;
  if (autoPad === 'NOTSET') return attrInts(c.node, 'pads', Array(2 * n).fill(0));
  if (autoPad === 'VALID') return Array(2 * n).fill(0);
  if (autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER') {
    throw new Error(`${c.where}: auto_pad '${autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
  }
  const begin: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = spatial[i];
    if (typeof d !== 'number')
      throw new Error(`${c.where}: auto_pad=${autoPad} needs a static spatial size, but axis ${i + 2} is '${d}'`);
    const out = Math.ceil(d / strides[i]);
    const total = Math.max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - d);
    const small = Math.floor(total / 2);
    if (autoPad === 'SAME_UPPER') {
      begin.push(small);
      end.push(total - small);
    } else {
      begin.push(total - small);
      end.push(small);
    }
  }
  return [...begin, ...end];
}

/**
 * Window output sizes, refusing a window that does not fit its padded input (an output size below
 * 1), which ONNX Runtime and the reference interpreter would otherwise hit at run time.
 */
function windows(
  c: ShapeCtx,
  spatial: Dim[],
  kernel: number[],
  strides: number[],
  pads: number[],
  dil: number[],
  ceil: boolean,
): Dim[] {
  const n = spatial.length;
  return spatial.map((d, i) => {
    if (!(strides[i] >= 1 && dil[i] >= 1))
      throw new Error(`${c.where}: strides [${strides}] and dilations [${dil}] must be >= 1`);
    const out = windowOut(d, kernel[i], strides[i], pads[i], pads[i + n], dil[i], ceil);
    if (typeof out === 'number' && out < 1) {
      const eff = (kernel[i] - 1) * dil[i] + 1;
      throw new Error(
        `${c.where}: the kernel (${kernel[i]}${dil[i] > 1 ? `, dilated to ${eff}` : ''}) is larger than its padded input along spatial axis ${i} (${d} + pads ${pads[i]} + ${pads[i + n]} = ${(d as number) + pads[i] + pads[i + n]}); use a smaller kernel, more padding or a larger input`,
      );
    }
    return out;
  });
}

function conv(c: ShapeCtx): OutputInfo[] {
  const x = c.shape(0);
  const w = c.shape(1);
  const spatial = x.slice(2);
  const n = spatial.length;
  if (w.length !== x.length)
    throw new Error(`${c.where}: the weight has rank ${w.length} but the input has rank ${x.length}; they must match`);
  const wk = w.slice(2);
  // a symbolic kernel extent (weights computed in the graph, e.g. a depthwise weight gradient with
  // the batch stacked into the kernel) leaves that output extent unknown, with explicit pads only
  const symbolic = !c.node.attrs.kernel_shape && attrString(c.node, 'auto_pad', 'NOTSET') === 'NOTSET';
  const kernel = attrInts(
    c.node,
    'kernel_shape',
    wk.map((d) => (typeof d === 'number' ? d : symbolic ? 1 : 0)),
  );
  if (kernel.length !== n || kernel.some((k, i) => k < 1 || (typeof wk[i] === 'number' && wk[i] !== k))) {
    throw new Error(`${c.where}: kernel_shape [${kernel}] does not match the weight's spatial dims [${wk}]`);
  }
  const strides = attrInts(c.node, 'strides', Array(n).fill(1));
  const dil = attrInts(c.node, 'dilations', Array(n).fill(1));
  const pads = resolvePads(c, spatial, kernel, strides, dil);
  const out = windows(c, spatial, kernel, strides, pads, dil, false).map((d, i) =>
    typeof wk[i] === 'number' || c.node.attrs.kernel_shape ? d : null,
  );
  return [{ dtype: c.dtype(0), shape: [x[0], w[0], ...out] }];
}

function convTranspose(c: ShapeCtx): OutputInfo[] {
  const x = c.shape(0);
  const w = c.shape(1);
  const group = attrInt(c.node, 'group', 1);
  const spatial = x.slice(2);
  const n = spatial.length;
  const kernel = attrInts(
    c.node,
    'kernel_shape',
    w.slice(2).map((d) => (typeof d === 'number' ? d : 0)),
  );
  const strides = attrInts(c.node, 'strides', Array(n).fill(1));
  const dil = attrInts(c.node, 'dilations', Array(n).fill(1));
  const outPad = attrInts(c.node, 'output_padding', Array(n).fill(0));
  const channels = typeof w[1] === 'number' ? w[1] * group : null;
  const explicit = c.node.attrs.output_shape;
  if (explicit && explicit.type === 'ints') {
    const os = explicit.value.slice(-n);
    return [{ dtype: c.dtype(0), shape: [x[0], channels, ...os] }];
  }
  const autoPad = attrString(c.node, 'auto_pad', 'NOTSET');
  const pads = autoPad === 'NOTSET' || autoPad === 'VALID' ? attrInts(c.node, 'pads', Array(2 * n).fill(0)) : null;
  const out = spatial.map((d, i) => {
    if (typeof d !== 'number') return null;
    if (!pads) return d * strides[i];
    return strides[i] * (d - 1) + outPad[i] + (kernel[i] - 1) * dil[i] + 1 - pads[i] - pads[i + n];
  });
  return [{ dtype: c.dtype(0), shape: [x[0], channels, ...out] }];
}

function pool(c: ShapeCtx): OutputInfo[] {
  const x = c.shape(0);
  const spatial = x.slice(2);
  const n = spatial.length;
  const kernel = attrInts(c.node, 'kernel_shape');
  const strides = attrInts(c.node, 'strides', Array(n).fill(1));
  const dil = attrInts(c.node, 'dilations', Array(n).fill(1));
  const pads = resolvePads(c, spatial, kernel, strides, dil);
  const ceil = attrInt(c.node, 'ceil_mode', 0) === 1;
  if (kernel.length !== n || kernel.some((k) => k < 1))
    throw new Error(`${c.where}: kernel_shape [${kernel}] must give one size >= 1 per spatial axis (${n})`);
  const out = windows(c, spatial, kernel, strides, pads, dil, ceil);
  const shape = [x[0], x[1], ...out];
  return [
    { dtype: c.dtype(0), shape },
    { dtype: 'int64', shape },
  ];
}

function reduce(c: ShapeCtx): OutputInfo[] {
  const x = c.shape(0);
  const keep = attrInt(c.node, 'keepdims', 1) === 1;
  const op = c.node.opType;
  const axesFromInput = c.opset >= 18 || op === 'ReduceSum';
  let axes: number[] | undefined;
  if (axesFromInput && c.has(1)) axes = c.staticInts(1, 'axes');
  else if (!axesFromInput && c.node.attrs.axes) axes = attrInts(c.node, 'axes');
  if (axes && axes.length === 0) axes = undefined;
  if (!axes) {
    if (attrInt(c.node, 'noop_with_empty_axes', 0) === 1) return [{ dtype: c.dtype(0), shape: x }];
    axes = x.map((_, i) => i);
  }
  const norm = axes.map((a) => normAxis(a, x.length, c.where));
  const shape = keep ? x.map((d, i) => (norm.includes(i) ? 1 : d)) : x.filter((_, i) => !norm.includes(i));
  let value;
  if (op === 'ReduceProd' && x.length === 1 && c.value(0)) value = [mulDims(c.value(0)!)];
  return [{ dtype: c.dtype(0), shape, value }];
}

function argReduce(c: ShapeCtx): OutputInfo[] {
  const x = c.shape(0);
  const axis = normAxis(attrInt(c.node, 'axis', 0), x.length, c.where);
  const keep = attrInt(c.node, 'keepdims', 1) === 1;
  return [{ dtype: 'int64', shape: keep ? x.map((d, i) => (i === axis ? 1 : d)) : x.filter((_, i) => i !== axis) }];
}

const REDUCE = [
  'ReduceSum',
  'ReduceMean',
  'ReduceMax',
  'ReduceMin',
  'ReduceProd',
  'ReduceSumSquare',
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSum',
  'ReduceLogSumExp',
];

export const nnRules: Record<string, ShapeRule> = {
  MatMul: matmul,
  Gemm: (c) => {
    const a = c.shape(0);
    const b = c.shape(1);
    const ta = attrInt(c.node, 'transA', 0) === 1;
    const tb = attrInt(c.node, 'transB', 0) === 1;
    return [{ dtype: c.dtype(0), shape: [ta ? a[1] : a[0], tb ? b[0] : b[1]] }];
  },
  Conv: conv,
  ConvTranspose: convTranspose,
  MaxPool: pool,
  AveragePool: pool,
  LpPool: pool,
  GlobalAveragePool: (c) => [{ dtype: c.dtype(0), shape: c.shape(0).map((d, i) => (i < 2 ? d : 1)) }],
  GlobalMaxPool: (c) => [{ dtype: c.dtype(0), shape: c.shape(0).map((d, i) => (i < 2 ? d : 1)) }],
  MaxUnpool: (c) => {
    if (c.has(2)) {
      const v = c.value(2);
      return [{ dtype: c.dtype(0), shape: v }];
    }
    const x = c.shape(0);
    const kernel = attrInts(c.node, 'kernel_shape');
    const n = kernel.length;
    const strides = attrInts(c.node, 'strides', Array(n).fill(1));
    const pads = attrInts(c.node, 'pads', Array(2 * n).fill(0));
    return [
      {
        dtype: c.dtype(0),
        shape: [
          x[0],
          x[1],
          ...x
            .slice(2)
            .map((d, i) => (typeof d === 'number' ? (d - 1) * strides[i] + kernel[i] - pads[i] - pads[i + n] : null)),
        ],
      },
    ];
  },
  ...Object.fromEntries(REDUCE.map((op) => [op, reduce])),
  ArgMax: argReduce,
  ArgMin: argReduce,
  TopK: (c) => {
    const x = c.shape(0);
    const axis = normAxis(attrInt(c.node, 'axis', -1), x.length, c.where);
    const k = c.value(1);
    const shape = x.map((d, i) => (i === axis ? (k ? k[0] : null) : d));
    return [
      { dtype: c.dtype(0), shape },
      { dtype: 'int64', shape },
    ];
  },
};
