/** Undoing broadcasting in the backward pass: sum a gradient down to an input's shape. */
import type { Dim } from '../onnx/ir.js';
import type { GradContext } from './rule.js';

/**
 * Reduces `grad` (shaped like `from`) to the shape of `to`. When both shapes are known the axes are
 * found statically (no runtime shape ops); a symbolic dimension that may or may not broadcast
 * falls back to computing the axes at run time.
 */
export function unbroadcast(ctx: GradContext, grad: string, from: string, to: string): string {
  const fs = ctx.shape(from);
  const ts = ctx.shape(to);
  const lead = fs.length - ts.length;
  const axes: number[] = [];
  let dynamic = false;
  for (let i = 0; i < fs.length; i++) {
    if (i < lead) {
      axes.push(i);
      continue;
    }
    const t = ts[i - lead];
    const f = fs[i];
    if (t === 1 && f !== 1) axes.push(i);
    else if (t !== 1 && (t === null || f === null || (typeof t === 'string' && typeof f === 'number'))) dynamic = true;
  }
  if (dynamic) return dynamicUnbroadcast(ctx, grad, to, fs.length, ts.length);
  if (axes.length === 0) return grad;
  const { b } = ctx;
  const summed = b.op('ReduceSum', [grad, b.ints(axes)], { keepdims: 0 }, 'unbroadcast');
  const kept: Dim[] = fs.filter((_, i) => !axes.includes(i));
  if (kept.length === ts.length) return summed;
  // size-1 axes of `to` that were summed away: restore them
  return b.op('Reshape', [summed, shapeConst(ctx, to, ts)], {}, 'unbroadcast_shape');
}

function shapeConst(ctx: GradContext, to: string, ts: Dim[]): string {
  if (ts.every((d) => typeof d === 'number')) return ctx.b.ints(ts as number[]);
  return ctx.b.op('Shape', [to]);
}

function dynamicUnbroadcast(ctx: GradContext, grad: string, to: string, rf: number, rt: number): string {
  const { b } = ctx;
  const gShape = b.op('Shape', [grad]);
  let tShape = b.op('Shape', [to]);
  if (rf > rt) tShape = b.op('Concat', [b.ints(Array(rf - rt).fill(1)), tShape], { axis: 0 });
  const differ = b.op('Not', [b.op('Equal', [gShape, tShape])]);
  const axes = b.op('Reshape', [b.op('NonZero', [differ]), b.ints([-1])]);
  const summed = b.op('ReduceSum', [grad, axes], { keepdims: 1, noop_with_empty_axes: 1 });
  return b.op('Reshape', [summed, b.op('Shape', [to])]);
}
