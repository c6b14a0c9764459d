/**
 * Gradient rules for the Reduce* ops (opset 18 form: axes as an input; keepdims 0/1; axes omitted
 * means all axes unless noop_with_empty_axes = 1). The incoming gradient gets its reduced axes
 * back (Unsqueeze) and is broadcast by a Mul with a constant-of-shape rather than by Expand, which
 * was slow on ORT CPU.
 */
import { attrInt, type Dim } from '../../onnx/ir.js';
import { tensor } from '../../onnx/tensor.js';
import { AutodiffError, type GradContext, type GradRule, type GradRuleFamily } from '../rule.js';
import { reduceAxes, shapeOf } from './shape-helpers.js';

interface Reduced {
  x: string;
  /** Reduced axes (sorted), or null for a no-op reduction. */
  axes: number[] | null;
  /** The incoming gradient with the reduced axes restored as size 1. */
  dyk: string;
  /** The output with the reduced axes restored as size 1. */
  yk: string;
}

function reduced(c: GradContext): Reduced {
  const x = c.x(0);
  const xs = c.shape(x);
  const axes = reduceAxes(c, xs.length);
  const keep = attrInt(c.node, 'keepdims', 1) === 1;
  let dyk = c.dy(0)!;
  let yk = c.y(0);
  if (axes && !keep) {
    const ax = c.b.ints(axes);
    dyk = c.b.op('Unsqueeze', [dyk, ax]);
    yk = c.b.op('Unsqueeze', [yk, ax]);
  }
  if (axes) {
    const ks: Dim[] = xs.map((d, i) => (axes.includes(i) ? 1 : d));
    c.setShape(dyk, ks, c.dtype(x));
    c.setShape(yk, ks, c.dtype(x));
  }
  return { x, axes, dyk, yk };
}

/** `g * scale` broadcast to the shape of `x` (g has size-1 reduced axes). */
function broadcastTo(c: GradContext, g: string, x: string, axes: number[], scale: number | string): string {
  const { b } = c;
  const xs = c.shape(x);
  const dtype = c.dtype(x);
  const trivial = axes.every((a) => xs[a] === 1);
  if (trivial)
    return typeof scale === 'string' ? b.op('Div', [g, scale]) : scale === 1 ? g : b.op('Mul', [g, c.scalar(scale, x)]);
  const fill = typeof scale === 'number' ? scale : 1;
  const ones = b.op(
    'ConstantOfShape',
    [shapeOf(c, x)],
    { value: { type: 'tensor', value: tensor(dtype, [1], [fill]) } },
    'broadcast',
  );
  const scaled = typeof scale === 'string' ? b.op('Div', [g, scale]) : g;
  return b.op('Mul', [scaled, ones], {}, 'reduce_grad');
}

/** Number of elements reduced: a number when static, else a runtime scalar of x's element type. */
function count(c: GradContext, x: string, axes: number[]): number | string {
  const dims = axes.map((a) => c.shape(x)[a]);
  if (dims.every((d) => typeof d === 'number')) return (dims as number[]).reduce((p, d) => p * d, 1);
  const { b } = c;
  const n = b.op('ReduceProd', [b.op('Gather', [b.op('Shape', [x]), b.ints(axes)])], { keepdims: 0 });
  return b.op('CastLike', [n, x]);
}

/** A rule from the per-element local derivative, given the restored dyk/yk. */
function rule(
  local: (c: GradContext, r: Reduced & { axes: number[] }) => string,
  noop: (c: GradContext) => string | undefined,
): GradRule {
  return (c) => {
    if (!c.needs(0)) return [undefined, undefined];
    const r = reduced(c);
    if (!r.axes) return [noop(c), undefined];
    return [local(c, r as Reduced & { axes: number[] }), undefined];
  };
}

const identity = (c: GradContext) => c.dy(0);

function noopUnsupported(c: GradContext): string {
  throw new AutodiffError(
    `${c.where}: ${c.node.opType} with empty axes and noop_with_empty_axes = 1 has no gradient rule; give the axes explicitly`,
  );
}

export const reduceFamily: GradRuleFamily = {
  family: 'reduce',
  rules: {
    ReduceSum: rule((c, r) => broadcastTo(c, r.dyk, r.x, r.axes, 1), identity),
    ReduceMean: rule((c, r) => {
      const n = count(c, r.x, r.axes);
      return broadcastTo(c, r.dyk, r.x, r.axes, typeof n === 'number' ? 1 / n : n);
    }, identity),
    ReduceSumSquare: rule(
      (c, r) => c.b.op('Mul', [c.b.op('Mul', [r.dyk, c.scalar(2, r.x)]), r.x], {}, 'reduce_grad'),
      noopUnsupported,
    ),
    ReduceL1: rule((c, r) => c.b.op('Mul', [r.dyk, c.b.op('Sign', [r.x])], {}, 'reduce_grad'), noopUnsupported),
    ReduceL2: rule((c, r) => {
      const { b } = c;
      // d|x|/dx = x / |x|; zero where the norm is zero (the subgradient 0)
      const zero = c.scalar(0, r.x);
      const isZero = b.op('Equal', [r.yk, zero]);
      const safe = b.op('Where', [isZero, c.scalar(1, r.x), r.yk]);
      const g = b.op('Where', [isZero, zero, b.op('Div', [r.dyk, safe])]);
      return b.op('Mul', [g, r.x], {}, 'reduce_grad');
    }, noopUnsupported),
    ReduceLogSumExp: rule(
      (c, r) => c.b.op('Mul', [r.dyk, c.b.op('Exp', [c.b.op('Sub', [r.x, r.yk])])], {}, 'reduce_grad'),
      noopUnsupported,
    ),
    ReduceLogSum: rule(
      (c, r) => broadcastTo(c, c.b.op('Mul', [r.dyk, c.b.op('Exp', [c.b.op('Neg', [r.yk])])]), r.x, r.axes, 1),
      noopUnsupported,
    ),
    ReduceMax: rule(extremumGrad, identity),
    ReduceMin: rule(extremumGrad, identity),
  },
};

/** Max/Min: the gradient goes to the elements equal to the result, shared evenly among ties. */
function extremumGrad(c: GradContext, r: Reduced & { axes: number[] }): string {
  const { b } = c;
  const mask = b.op('CastLike', [b.op('Equal', [r.x, r.yk]), r.x]);
  const ties = b.op('ReduceSum', [mask, b.ints(r.axes)], { keepdims: 1 });
  return b.op('Mul', [mask, b.op('Div', [r.dyk, ties])], {}, 'reduce_grad');
}
