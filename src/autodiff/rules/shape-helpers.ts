/**
 * Small helpers the data-movement, indexing, reduction and normalization rules share: shape
 * tensors that stay static when they can (no runtime Shape ops on the hot path), zeros, axis
 * lists of Reduce*-style nodes.
 */
import type { Dim } from '../../onnx/ir.js';
import { attrInt } from '../../onnx/ir.js';
import { normAxis } from '../../onnx/shapes/dims.js';
import { tensor, type DType } from '../../onnx/tensor.js';
import { AutodiffError, type GradContext } from '../rule.js';

/** Largest int64 Slice bound used for "to the end"/"from the start" (well inside int64). */
export const BIG = 2 ** 62;

/** True when every dim is a known number. */
export function isStatic(dims: readonly Dim[]): dims is number[] {
  return dims.every((d) => typeof d === 'number');
}

/** int64 1-D tensor holding the exact shape of `name`: a constant when static, else Shape(name). */
export function shapeOf(c: GradContext, name: string): string {
  const s = c.shape(name);
  return isStatic(s) ? c.b.ints(s) : c.b.op('Shape', [name]);
}

/**
 * A Reshape target that gives `name`'s shape: a constant when static or when only one dim is
 * unknown (it becomes -1), else Shape(name).
 */
export function reshapeTarget(c: GradContext, name: string): string {
  const s = c.shape(name);
  const unknown = s.filter((d) => typeof d !== 'number').length;
  if (unknown > 1 || s.some((d) => d === 0)) return c.b.op('Shape', [name]);
  return c.b.ints(s.map((d) => (typeof d === 'number' ? d : -1)));
}

/** Reshapes `g` to the shape of `like` (a no-op when the shapes are already equal is not assumed). */
export function reshapeLike(c: GradContext, g: string, like: string): string {
  return c.b.op('Reshape', [g, reshapeTarget(c, like)]);
}

/** A zero tensor of `dtype` whose shape is the int64 1-D tensor `shape`. */
export function zerosOfShape(c: GradContext, shape: string, dtype: DType): string {
  return c.b.op('ConstantOfShape', [shape], { value: { type: 'tensor', value: tensor(dtype, [1], [0]) } }, 'zeros');
}

/** A zero tensor with the shape and element type of `like`. */
export function zerosLike(c: GradContext, like: string): string {
  const dtype = c.dtype(like);
  const z = zerosOfShape(c, shapeOf(c, like), dtype);
  c.setShape(z, c.shape(like), dtype);
  return z;
}

/** int64 scalar holding dim `axis` of `name` (constant when static). */
export function dimOf(c: GradContext, name: string, axis: number): string {
  const d = c.shape(name)[axis];
  if (typeof d === 'number') return c.b.int(d);
  return c.b.op('Squeeze', [c.b.op('Shape', [name], { start: axis, end: axis + 1 })]);
}

/**
 * Axes a Reduce* node reduces (normalized, sorted), or null when it is a no-op
 * (empty axes with noop_with_empty_axes = 1). Axes must be constant.
 */
export function reduceAxes(c: GradContext, rank: number): number[] | null {
  const { node } = c;
  let axes: number[] | undefined;
  if (node.inputs[1]) axes = c.constInts(1, 'the reduced axes');
  else if (node.attrs.axes && node.attrs.axes.type === 'ints') axes = node.attrs.axes.value;
  if (!axes || axes.length === 0) {
    if (attrInt(node, 'noop_with_empty_axes', 0) === 1) return null;
    return Array.from({ length: rank }, (_, i) => i);
  }
  const norm = axes.map((a) => {
    try {
      return normAxis(a, rank, c.where);
    } catch (e) {
      throw new AutodiffError((e as Error).message);
    }
  });
  return [...new Set(norm)].sort((a, b) => a - b);
}

/** Normalizes an axis, rethrowing as an AutodiffError naming the node. */
export function axisOf(c: GradContext, axis: number, rank: number): number {
  try {
    return normAxis(axis, rank, c.where);
  } catch (e) {
    throw new AutodiffError((e as Error).message);
  }
}
