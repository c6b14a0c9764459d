/** Shape rules for the data-movement ops (Reshape, Transpose, Slice, Gather, ...). */
import { attrInt, attrInts, type Dim } from '../ir.js';
import { dtypeFromCode, toNumbers } from '../tensor.js';
import { broadcastShapes, divDims, mulDims, normAxis } from './dims.js';
import type { OutputInfo, ShapeCtx, ShapeRule } from './context.js';

/** Axes from the second input (opset >= 13 form) or the `axes` attribute. */
function axesOf(c: ShapeCtx, inputIndex: number): number[] | undefined {
  if (c.has(inputIndex)) return c.staticInts(inputIndex, 'axes');
  const a = c.node.attrs.axes;
  return a && a.type === 'ints' ? a.value : undefined;
}

/** A 1-D shape input of static length whose values are unknown: that many unknown dims. */
function unknownOfLength(c: ShapeCtx, i: number): Dim[] | undefined {
  const s = c.info(i).shape;
  return s?.length === 1 && typeof s[0] === 'number' ? Array<Dim>(s[0]).fill(null) : undefined;
}

function reshape(c: ShapeCtx): OutputInfo[] {
  const x = c.info(0).shape;
  const target = c.value(1) ?? unknownOfLength(c, 1);
  if (!target) return [{ dtype: c.dtype(0) }];
  const allowZero = attrInt(c.node, 'allowzero', 0) === 1;
  const out: Dim[] = target.map((d, i) => (d === 0 && !allowZero ? (x ? (x[i] ?? null) : null) : d));
  const neg = out.findIndex((d) => d === -1);
  if (neg >= 0) {
    const rest = out.filter((_, i) => i !== neg);
    out[neg] = x ? divDims(mulDims(x), mulDims(rest)) : null;
  }
  return [{ dtype: c.dtype(0), shape: out, value: c.value(0) && out.length <= 1 ? c.value(0) : undefined }];
}

function gather(c: ShapeCtx): OutputInfo[] {
  const data = c.shape(0);
  const idx = c.info(1).shape;
  const axis = normAxis(attrInt(c.node, 'axis', 0), data.length, c.where);
  if (!idx) return [{ dtype: c.dtype(0) }];
  const shape = [...data.slice(0, axis), ...idx, ...data.slice(axis + 1)];
  let value: Dim[] | undefined;
  const dv = c.value(0);
  const iv = c.value(1);
  if (dv && iv && data.length === 1 && iv.every((v) => typeof v === 'number')) {
    value = iv.map((i) => dv[(i as number) < 0 ? (i as number) + dv.length : (i as number)] ?? null);
  }
  return [{ dtype: c.dtype(0), shape, value }];
}

function slice(c: ShapeCtx): OutputInfo[] {
  const x = c.shape(0);
  const starts = c.staticInts(1, 'starts');
  const ends = c.staticInts(2, 'ends');
  const axes = c.has(3) ? c.staticInts(3, 'axes') : starts.map((_, i) => i);
  const steps = c.has(4) ? c.staticInts(4, 'steps') : starts.map(() => 1);
  const out = [...x];
  const v = c.value(0);
  let value: Dim[] | undefined;
  axes.forEach((a0, k) => {
    const a = normAxis(a0, x.length, c.where);
    const dim = x[a];
    if (typeof dim !== 'number') {
      // only a full slice keeps a symbolic dimension
      out[a] = starts[k] === 0 && ends[k] >= 2 ** 31 - 1 && steps[k] === 1 ? dim : null;
      return;
    }
    const [s, e, st] = clampSlice(starts[k], ends[k], steps[k], dim);
    out[a] = st > 0 ? Math.max(0, Math.ceil((e - s) / st)) : Math.max(0, Math.ceil((s - e) / -st));
    if (v && x.length === 1) {
      value = [];
      for (let i = s; st > 0 ? i < e : i > e; i += st) value.push(v[i]);
    }
  });
  return [{ dtype: c.dtype(0), shape: out, value }];
}

/** Clamps Slice start/end for one axis of size `dim` as the ONNX spec describes. */
export function clampSlice(start: number, end: number, step: number, dim: number): [number, number, number] {
  if (step === 0) throw new Error('Slice step cannot be 0');
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), dim);
    e = Math.min(Math.max(e, 0), dim);
  } else {
    s = Math.min(Math.max(s, 0), dim - 1);
    e = Math.min(Math.max(e, -1), dim - 1);
  }
  return [s, e, step];
}

export const shapeOpRules: Record<string, ShapeRule> = {
  Shape: (c) => {
    const s = c.shape(0);
    const r = s.length;
    let start = attrInt(c.node, 'start', 0);
    let end = attrInt(c.node, 'end', r);
    start = Math.min(Math.max(start < 0 ? start + r : start, 0), r);
    end = Math.min(Math.max(end < 0 ? end + r : end, 0), r);
    const value = s.slice(start, Math.max(start, end));
    return [{ dtype: 'int64', shape: [value.length], value }];
  },
  Size: (c) => [{ dtype: 'int64', shape: [], value: c.info(0).shape ? [mulDims(c.shape(0))] : undefined }],
  Reshape: reshape,
  Flatten: (c) => {
    const s = c.shape(0);
    const axis = attrInt(c.node, 'axis', 1);
    const a = axis < 0 ? axis + s.length : axis;
    return [{ dtype: c.dtype(0), shape: [mulDims(s.slice(0, a)), mulDims(s.slice(a))] }];
  },
  Transpose: (c) => {
    const s = c.shape(0);
    const perm = attrInts(
      c.node,
      'perm',
      s.map((_, i) => s.length - 1 - i),
    );
    return [{ dtype: c.dtype(0), shape: perm.map((p) => s[p]) }];
  },
  Squeeze: (c) => {
    const s = c.shape(0);
    const axes = axesOf(c, 1)?.map((a) => normAxis(a, s.length, c.where));
    const shape = s.filter((d, i) => (axes ? !axes.includes(i) : d !== 1));
    return [{ dtype: c.dtype(0), shape, value: c.value(0) }];
  },
  Unsqueeze: (c) => {
    const s = c.shape(0);
    const axes = axesOf(c, 1);
    if (!axes) throw new Error(`${c.where}: Unsqueeze needs axes`);
    const r = s.length + axes.length;
    const norm = axes.map((a) => normAxis(a, r, c.where)).sort((a, b) => a - b);
    const out: Dim[] = [];
    let k = 0;
    for (let i = 0; i < r; i++) out.push(norm.includes(i) ? 1 : s[k++]);
    return [{ dtype: c.dtype(0), shape: out, value: c.value(0) }];
  },
  Concat: (c) => {
    const shapes: Dim[][] = [];
    for (let i = 0; i < c.count; i++) shapes.push(c.shape(i));
    const axis = normAxis(attrInt(c.node, 'axis'), shapes[0].length, c.where);
    const out = [...shapes[0]];
    out[axis] = shapes.reduce<Dim>(
      (acc, s) => (typeof acc === 'number' && typeof s[axis] === 'number' ? acc + (s[axis] as number) : null),
      0,
    );
    if (shapes.length === 1) out[axis] = shapes[0][axis];
    let value: Dim[] | undefined;
    if (shapes[0].length === 1) {
      const vals = Array.from({ length: c.count }, (_, i) => c.value(i));
      if (vals.every((v) => v)) value = vals.flatMap((v) => v!);
    }
    return [{ dtype: c.dtype(0), shape: out, value }];
  },
  Split: (c) => {
    const s = c.shape(0);
    const axis = normAxis(attrInt(c.node, 'axis', 0), s.length, c.where);
    const n = c.node.outputs.length;
    let sizes: Dim[];
    if (c.has(1)) sizes = c.staticInts(1, 'split');
    else if (c.node.attrs.split) sizes = attrInts(c.node, 'split');
    else {
      const d = s[axis];
      if (typeof d !== 'number') sizes = Array(n).fill(null);
      else {
        const chunk = Math.ceil(d / n);
        sizes = Array.from({ length: n }, (_, i) => Math.min(chunk, d - chunk * i));
      }
    }
    return sizes.map((k) => ({ dtype: c.dtype(0), shape: s.map((d, i) => (i === axis ? k : d)) }));
  },
  Slice: slice,
  Expand: (c) => {
    // an unknown target of known length still gives the rank (the values are computed at run time)
    const target = c.value(1) ?? unknownOfLength(c, 1);
    if (!target || !c.info(0).shape) return [{ dtype: c.dtype(0) }];
    return [{ dtype: c.dtype(0), shape: broadcastShapes([c.shape(0), target], c.where) }];
  },
  Tile: (c) => {
    const s = c.shape(0);
    const reps = c.value(1);
    return [{ dtype: c.dtype(0), shape: s.map((d, i) => (reps ? mulDims([d, reps[i]]) : null)) }];
  },
  Pad: (c) => {
    const s = c.shape(0);
    const pads = c.has(1) ? c.staticInts(1, 'pads') : attrInts(c.node, 'pads');
    const axes = c.has(3) ? c.staticInts(3, 'axes').map((a) => normAxis(a, s.length, c.where)) : s.map((_, i) => i);
    const out = [...s];
    axes.forEach((a, k) => {
      const d = s[a];
      out[a] =
        typeof d === 'number'
          ? d + pads[k] + pads[k + axes.length]
          : pads[k] === 0 && pads[k + axes.length] === 0
            ? d
            : null;
    });
    return [{ dtype: c.dtype(0), shape: out }];
  },
  ConstantOfShape: (c) => {
    const v = c.node.attrs.value;
    const dtype = v && v.type === 'tensor' ? v.value.dtype : 'float32';
    const target = c.value(0);
    // a small integer fill (a shape being built) keeps its values
    let value: Dim[] | undefined;
    if (
      v &&
      v.type === 'tensor' &&
      !v.value.dtype.startsWith('float') &&
      target &&
      target.length <= 1 &&
      target.every((d) => typeof d === 'number') &&
      ((target[0] ?? 1) as number) <= 64
    ) {
      value = Array((target[0] ?? 1) as number).fill(Number(v.value.data[0] ?? 0));
    }
    return [
      {
        dtype,
        shape:
          target ??
          (c.info(0).shape && typeof c.shape(0)[0] === 'number'
            ? Array(c.shape(0)[0] as number).fill(null)
            : undefined),
        value,
      },
    ];
  },
  Range: (c) => {
    const [s, l, d] = [c.value(0), c.value(1), c.value(2)];
    let n: Dim = null;
    if (s && l && d && [s[0], l[0], d[0]].every((x) => typeof x === 'number')) {
      n = Math.max(0, Math.ceil(((l[0] as number) - (s[0] as number)) / (d[0] as number)));
    } else if (s && d && s[0] === 0 && d[0] === 1 && l) n = l[0];
    return [{ dtype: c.dtype(0), shape: [n] }];
  },
  Gather: gather,
  GatherElements: (c) => [{ dtype: c.dtype(0), shape: c.info(1).shape }],
  ScatterElements: (c) => [{ dtype: c.dtype(0), shape: c.info(0).shape }],
  ScatterND: (c) => [{ dtype: c.dtype(0), shape: c.info(0).shape }],
  GatherND: (c) => {
    const d = c.shape(0);
    const i = c.shape(1);
    const b = attrInt(c.node, 'batch_dims', 0);
    const last = i[i.length - 1];
    if (typeof last !== 'number') return [{ dtype: c.dtype(0) }];
    return [{ dtype: c.dtype(0), shape: [...i.slice(0, -1), ...d.slice(b + last)] }];
  },
  OneHot: (c) => {
    const idx = c.shape(0);
    const depth = c.value(1);
    const axis = attrInt(c.node, 'axis', -1);
    const r = idx.length + 1;
    const a = normAxis(axis, r, c.where);
    const out = [...idx];
    out.splice(a, 0, depth ? depth[0] : null);
    return [{ dtype: c.dtype(2), shape: out }];
  },
  NonZero: (c) => [{ dtype: 'int64', shape: [c.info(0).shape ? c.shape(0).length : null, null] }],
  DepthToSpace: (c) => {
    const [n, ch, h, w] = c.shape(0);
    const b = attrInt(c.node, 'blocksize');
    return [{ dtype: c.dtype(0), shape: [n, divDims(ch, b * b), mulDims([h, b]), mulDims([w, b])] }];
  },
  SpaceToDepth: (c) => {
    const [n, ch, h, w] = c.shape(0);
    const b = attrInt(c.node, 'blocksize');
    return [{ dtype: c.dtype(0), shape: [n, mulDims([ch, b * b]), divDims(h, b), divDims(w, b)] }];
  },
  Constant: (c) => {
    const a = Object.entries(c.node.attrs)[0];
    if (!a) throw new Error(`${c.where}: Constant has no value attribute`);
    const [k, v] = a;
    if (v.type === 'tensor') {
      const t = v.value;
      const value =
        t.dims.length <= 1 && ['int64', 'int32', 'float32', 'float64'].includes(t.dtype) && t.data.length <= 64
          ? toNumbers(t)
          : undefined;
      return [{ dtype: t.dtype, shape: t.dims, value }];
    }
    if (k === 'value_int') return [{ dtype: 'int64', shape: [], value: [v.value as number] }];
    if (k === 'value_ints')
      return [{ dtype: 'int64', shape: [(v.value as number[]).length], value: v.value as number[] }];
    if (k === 'value_float') return [{ dtype: 'float32', shape: [], value: [v.value as number] }];
    if (k === 'value_floats')
      return [{ dtype: 'float32', shape: [(v.value as number[]).length], value: v.value as number[] }];
    return [{ dtype: dtypeFromCode(8) }];
  },
};
