/**
 * Gradient of Resize (and of Upsample, which canonicalization turns into Resize): Resize is linear
 * and separable, y = M_k x along each resized axis k, with M_k [out, in] the interpolation matrix of
 * that axis (../../onnx/shapes/resize.ts: nearest and linear, the coordinate modes exporters use).
 * So dX is dY with M_k transposed applied along the same axes, each one MatMul against a constant:
 * the last axis as dY[..., out] @ M [out, in]; an inner axis k as M^T [in, out] @ dY viewed as
 * [-1, out, rest]. Only the batch dimension may stay symbolic; scales or sizes must be constant.
 */
import type { GradContext, GradRuleFamily } from '../rule.js';
import { AutodiffError } from '../rule.js';
import { resizeAttrs, resizeAxes, resizeMatrix } from '../../onnx/shapes/resize.js';

function transpose(m: Float64Array, rows: number, cols: number): number[] {
  const t = new Array<number>(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c];
  return t;
}

function resizeGrad(c: GradContext): Array<string | undefined> {
  if (!c.needs(0)) return [];
  const { b, node, where } = c;
  const x = c.x(0);
  const xs = c.shape(x);
  const fail = (why: string) => new AutodiffError(`${where}: the Resize gradient ${why}`);
  let attrs;
  let axes;
  try {
    attrs = resizeAttrs(node, where);
    const scales = c.x(2) ? c.value(c.x(2)) : undefined;
    const sizes = c.x(3) ? c.value(c.x(3)) : undefined;
    axes = resizeAxes(node, xs, scales, sizes, where);
  } catch (e) {
    throw new AutodiffError((e as Error).message);
  }
  const resized = axes.map((a, k) => ({ ...a, k })).filter((a) => !(a.in === a.out && a.scale === 1));
  if (resized.some((a) => a.k === 0)) throw fail('does not support resizing the batch axis (0)');
  const rest = xs.slice(1);
  if (rest.some((d) => typeof d !== 'number') || resized.some((a) => typeof a.out !== 'number')) {
    throw fail(
      `needs static sizes of every axis but the batch, but the input is [${xs.map((d) => d ?? '?').join(', ')}]; pin them with the model option inputShapes`,
    );
  }
  const r = xs.length;
  // current gradient dims (axis 0 stays symbolic as -1); start from dY's dims
  const cur = axes.map((a) => a.out as number);
  let g = c.dy(0)!;
  for (const a of resized) {
    const [inn, out, k] = [a.in as number, a.out as number, a.k];
    const m = resizeMatrix(attrs, inn, out, a.scale ?? out / inn);
    if (k === r - 1) {
      g = b.op('MatMul', [g, c.constantLike(Array.from(m), [out, inn], x)], {}, 'resize_grad');
    } else {
      const inner = cur.slice(k + 1).reduce((p, v) => p * v, 1);
      const view = b.op('Reshape', [g, b.ints([-1, out, inner])]);
      const t = b.op('MatMul', [c.constantLike(transpose(m, out, inn), [inn, out], x), view], {}, 'resize_grad');
      cur[k] = inn;
      g = b.op('Reshape', [t, b.ints([-1, ...cur.slice(1)])]);
      continue;
    }
    cur[k] = inn;
  }
  return [g];
}

export const resizeFamily: GradRuleFamily = {
  family: 'resize',
  rules: { Resize: resizeGrad },
};
