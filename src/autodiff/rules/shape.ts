/**
 * Gradient rules for data movement: Reshape-like ops reshape back, Transpose inverts its
 * permutation, Concat/Split swap roles, Slice pads (interleaving zeros for strides), Expand and
 * Tile sum over the copies, Pad crops (and folds edge/reflect padding back onto the border).
 */
import { attrInt, attrInts, attrString, type Dim } from '../../onnx/ir.js';
import { clampSlice } from '../../onnx/shapes/shape-ops.js';
import { AutodiffError, type GradContext, type GradRuleFamily } from '../rule.js';
import { BIG, axisOf, isStatic, reshapeLike, zerosLike } from './shape-helpers.js';

const reshapeBack = (c: GradContext) => [c.needs(0) ? reshapeLike(c, c.dy(0)!, c.x(0)) : undefined];

/** Sizes of `names` along `axis` as an int64 1-D tensor (constant when static). */
function sizesAlong(c: GradContext, names: string[], axis: number): string {
  const dims = names.map((n) => c.shape(n)[axis]);
  if (isStatic(dims)) return c.b.ints(dims);
  return c.b.op(
    'Concat',
    names.map((n) => c.b.op('Shape', [n], { start: axis, end: axis + 1 })),
    { axis: 0 },
  );
}

function concatGrad(c: GradContext): Array<string | undefined> {
  const { b, node } = c;
  const rank = c.shape(c.x(0)).length;
  const axis = axisOf(c, attrInt(node, 'axis'), rank);
  const n = node.inputs.length;
  if (n === 1) return [c.dy(0)];
  const parts = b.opN('Split', [c.dy(0)!, sizesAlong(c, node.inputs, axis)], n, { axis }, 'concat_grad');
  return node.inputs.map((_, i) => (c.needs(i) ? parts[i] : undefined));
}

function splitGrad(c: GradContext): Array<string | undefined> {
  const { b, node } = c;
  const axis = axisOf(c, attrInt(node, 'axis', 0), c.shape(c.x(0)).length);
  const parts = node.outputs.map((y, i) => c.dy(i) ?? zerosLike(c, y));
  return [parts.length === 1 ? parts[0] : b.op('Concat', parts, { axis }, 'split_grad'), undefined];
}

/** Puts zeros between the elements of `g` along `axis` (stride `k`): length m becomes min(m*k, limit). */
function interleave(c: GradContext, g: string, shape: Dim[], axis: number, k: number, limit: number): [string, Dim[]] {
  const { b } = c;
  const m = shape[axis] as number;
  const u = b.op('Unsqueeze', [g, b.ints([axis + 1])]);
  const pads = Array(2 * (shape.length + 1)).fill(0);
  pads[shape.length + 1 + axis + 1] = k - 1;
  const padded = b.op('Pad', [u, b.ints(pads)]);
  const out = [...shape];
  out[axis] = m * k;
  let target: string;
  if (isStatic(out)) target = b.ints(out);
  else {
    const before = axis > 0 ? [b.op('Shape', [padded], { start: 0, end: axis })] : [];
    const after = axis + 1 < shape.length ? [b.op('Shape', [padded], { start: axis + 2 })] : [];
    target = b.op('Concat', [...before, b.ints([m * k]), ...after], { axis: 0 });
  }
  let r = b.op('Reshape', [padded, target]);
  if (m * k > limit) {
    r = b.op('Slice', [r, b.ints([0]), b.ints([limit]), b.ints([axis])]);
    out[axis] = limit;
  }
  return [r, out];
}

function sliceGrad(c: GradContext): Array<string | undefined> {
  const { b } = c;
  const x = c.x(0);
  const xs = c.shape(x);
  const rank = xs.length;
  const starts = c.constInts(1, 'Slice starts');
  const ends = c.constInts(2, 'Slice ends');
  const axes = c.node.inputs[3] ? c.constInts(3, 'Slice axes') : starts.map((_, i) => i);
  const steps = c.node.inputs[4] ? c.constInts(4, 'Slice steps') : starts.map(() => 1);
  let g = c.dy(0)!;
  let shape: Dim[] = [...c.shape(c.y(0))];
  const pads = Array(2 * rank).fill(0);
  for (let k = 0; k < axes.length; k++) {
    const a = axisOf(c, axes[k], rank);
    const d = xs[a];
    if (typeof d !== 'number') {
      if (starts[k] === 0 && ends[k] >= 2 ** 31 - 1 && steps[k] === 1) continue;
      throw new AutodiffError(
        `${c.where}: slicing axis ${a} of '${x}' needs its static size, but it is '${d}'; slice only axes whose size is fixed`,
      );
    }
    const [s, e, st] = clampSlice(starts[k], ends[k], steps[k], d);
    const m = st > 0 ? Math.max(0, Math.ceil((e - s) / st)) : Math.max(0, Math.ceil((s - e) / -st));
    if (m === 0) return [zerosLike(c, x)];
    let lo = s;
    if (st < 0) {
      // reverse the gradient so the picked positions run upwards from the lowest one
      g = b.op('Slice', [g, b.ints([-1]), b.ints([-BIG]), b.ints([a]), b.ints([-1])], {}, 'slice_grad_rev');
      lo = s + (m - 1) * st;
    }
    const stride = Math.abs(st);
    let len = m;
    if (stride > 1 && m > 1) {
      [g, shape] = interleave(c, g, shape, a, stride, d - lo);
      len = shape[a] as number;
    }
    pads[a] = lo;
    pads[a + rank] = d - lo - len;
  }
  if (pads.some((p) => p !== 0)) g = b.op('Pad', [g, b.ints(pads)], {}, 'slice_grad');
  return [g];
}

function transposeGrad(c: GradContext): Array<string | undefined> {
  const rank = c.shape(c.x(0)).length;
  const perm = attrInts(
    c.node,
    'perm',
    Array.from({ length: rank }, (_, i) => rank - 1 - i),
  );
  const inv = Array<number>(rank);
  perm.forEach((p, i) => {
    inv[p] = i;
  });
  return [c.b.op('Transpose', [c.dy(0)!], { perm: inv })];
}

function tileGrad(c: GradContext): Array<string | undefined> {
  const { b } = c;
  const x = c.x(0);
  const xs = c.shape(x);
  const reps = c.constInts(1, 'Tile repeats');
  if (reps.every((r) => r === 1)) return [c.dy(0), undefined];
  // [r0*d0, r1*d1, ...] -> [r0, d0, r1, d1, ...] (only axes that repeat are split), sum the r's
  const split: Dim[] = [];
  const sumAxes: number[] = [];
  xs.forEach((d, i) => {
    if (reps[i] !== 1) {
      sumAxes.push(split.length);
      split.push(reps[i]);
    }
    split.push(d);
  });
  let target: string;
  if (isStatic(split)) target = b.ints(split);
  else {
    const parts: string[] = [];
    xs.forEach((d, i) => {
      if (reps[i] !== 1) parts.push(b.ints([reps[i]]));
      parts.push(typeof d === 'number' ? b.ints([d]) : b.op('Shape', [x], { start: i, end: i + 1 }));
    });
    target = b.op('Concat', parts, { axis: 0 });
  }
  const r = b.op('Reshape', [c.dy(0)!, target]);
  c.setShape(r, split, c.dtype(x));
  return [b.op('ReduceSum', [r, b.ints(sumAxes)], { keepdims: 0 }, 'tile_grad'), undefined];
}

/** Per-axis (begin, end) pads of a Pad node over all axes of the input. */
function padAmounts(c: GradContext, rank: number): [number[], number[]] {
  const pads = c.constInts(1, 'Pad pads');
  const axes = c.node.inputs[3]
    ? c.constInts(3, 'Pad axes').map((a) => axisOf(c, a, rank))
    : Array.from({ length: rank }, (_, i) => i);
  const begin = Array(rank).fill(0);
  const end = Array(rank).fill(0);
  axes.forEach((a, k) => {
    begin[a] = pads[k];
    end[a] = pads[k + axes.length];
  });
  return [begin, end];
}

function padGrad(c: GradContext): Array<string | undefined> {
  const { b } = c;
  const x = c.x(0);
  const xs = c.shape(x);
  const rank = xs.length;
  const mode = attrString(c.node, 'mode', 'constant');
  const [begin, end] = padAmounts(c, rank);
  const dy = c.dy(0)!;
  if (mode === 'constant') {
    // crop what was padded, then restore with zeros what a negative pad cropped
    const axes = xs.map((_, i) => i).filter((i) => begin[i] > 0 || end[i] > 0);
    let g = dy;
    if (axes.length) {
      g = b.op(
        'Slice',
        [
          dy,
          b.ints(axes.map((a) => Math.max(begin[a], 0))),
          b.ints(axes.map((a) => (end[a] > 0 ? -end[a] : BIG))),
          b.ints(axes),
        ],
        {},
        'pad_grad',
      );
    }
    const neg = [...begin, ...end].map((p) => Math.max(0, -p));
    const dx = neg.some((p) => p > 0) ? b.op('Pad', [g, b.ints(neg)]) : g;
    let dv: string | undefined;
    if (c.node.inputs[2] && c.needs(2)) {
      dv = b.op('Sub', [b.op('ReduceSum', [dy], { keepdims: 0 }), b.op('ReduceSum', [g], { keepdims: 0 })]);
    }
    return [c.needs(0) ? dx : undefined, undefined, dv, undefined];
  }
  if (mode !== 'edge' && mode !== 'reflect') {
    throw new AutodiffError(
      `${c.where}: no gradient for Pad mode '${mode}'; Gymnos differentiates modes constant, edge and reflect`,
    );
  }
  if ([...begin, ...end].some((p) => p < 0)) {
    throw new AutodiffError(
      `${c.where}: Pad mode '${mode}' with negative (cropping) pads has no gradient rule; crop with a Slice instead`,
    );
  }
  let g = dy;
  let shape: Dim[] = [...c.shape(c.y(0))];
  for (let a = 0; a < rank; a++) {
    const [p0, p1] = [begin[a], end[a]];
    if (p0 === 0 && p1 === 0) continue;
    const d = xs[a];
    if (typeof d !== 'number')
      throw new AutodiffError(`${c.where}: Pad mode '${mode}' needs the static size of axis ${a}, but it is '${d}'`);
    g = foldBorder(c, g, a, d, p0, p1, mode, rank);
    shape = [...shape];
    shape[a] = d;
    c.setShape(g, shape, c.dtype(x));
  }
  return [g, undefined, undefined, undefined];
}

/** Undoes edge/reflect padding along one axis: the border slices are summed back onto the rows they copied. */
function foldBorder(
  c: GradContext,
  g: string,
  a: number,
  d: number,
  p0: number,
  p1: number,
  mode: string,
  rank: number,
): string {
  const { b } = c;
  const slice = (s: number, e: number) => b.op('Slice', [g, b.ints([s]), b.ints([e]), b.ints([a])]);
  const padAxis = (t: string, lo: number, hi: number) => {
    const pads = Array(2 * rank).fill(0);
    pads[a] = lo;
    pads[a + rank] = hi;
    return lo === 0 && hi === 0 ? t : b.op('Pad', [t, b.ints(pads)]);
  };
  const terms = [slice(p0, p0 + d)];
  if (mode === 'edge') {
    if (p0 > 0) terms.push(padAxis(b.op('ReduceSum', [slice(0, p0), b.ints([a])], { keepdims: 1 }), 0, d - 1));
    if (p1 > 0)
      terms.push(padAxis(b.op('ReduceSum', [slice(p0 + d, p0 + d + p1), b.ints([a])], { keepdims: 1 }), d - 1, 0));
  } else {
    if (p0 >= d || p1 >= d)
      throw new AutodiffError(`${c.where}: reflect pads (${p0}, ${p1}) must be smaller than the axis size ${d}`);
    const rev = (t: string) => b.op('Slice', [t, b.ints([-1]), b.ints([-BIG]), b.ints([a]), b.ints([-1])]);
    if (p0 > 0) terms.push(padAxis(rev(slice(0, p0)), 1, d - 1 - p0));
    if (p1 > 0) terms.push(padAxis(rev(slice(p0 + d, p0 + d + p1)), d - 1 - p1, 1));
  }
  return terms.length === 1 ? terms[0] : b.op('Sum', terms, {}, 'pad_grad');
}

export const shapeFamily: GradRuleFamily = {
  family: 'shape',
  rules: {
    Reshape: (c) => [...reshapeBack(c), undefined],
    Flatten: reshapeBack,
    Squeeze: (c) => [...reshapeBack(c), undefined],
    Unsqueeze: (c) => [...reshapeBack(c), undefined],
    Transpose: transposeGrad,
    Concat: concatGrad,
    Split: splitGrad,
    Slice: sliceGrad,
    Expand: (c) => [c.needs(0) ? c.unbroadcast(c.dy(0)!, c.y(0), c.x(0)) : undefined, undefined],
    Tile: tileGrad,
    Pad: padGrad,
  },
};
