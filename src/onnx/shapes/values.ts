/**
 * Data propagation of small integer tensors (shapes being computed): the arithmetic, comparisons
 * and selections that PyTorch and tf2onnx exports build shapes with, such as
 * `Where(Equal(shape, ConstantOfShape(..) * -1), ones, shape)` before an Expand. A symbolic
 * dimension is a size: never negative, so it differs from any negative number.
 */
import type { Dim } from '../ir.js';
import { dimEq, mulDims } from './dims.js';
import type { ShapeCtx } from './context.js';

const ARITH = new Set(['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Mod']);
const COMPARE = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or']);

function arith(op: string, x: Dim, y: Dim, float: boolean): Dim {
  if (typeof x === 'number' && typeof y === 'number') {
    switch (op) {
      case 'Add':
        return x + y;
      case 'Sub':
        return x - y;
      case 'Mul':
        return x * y;
      case 'Div':
        return y === 0 ? null : float ? x / y : Math.trunc(x / y);
      case 'Max':
        return Math.max(x, y);
      case 'Min':
        return Math.min(x, y);
      default:
        return y === 0 ? null : ((x % y) + y) % y;
    }
  }
  if (x === null || y === null) return null;
  if (op === 'Mul' && (typeof x === 'number' || typeof y === 'number')) return x === 0 || y === 0 ? 0 : mulDims([x, y]);
  if ((op === 'Add' || op === 'Sub') && y === 0) return x;
  if (op === 'Add' && x === 0) return y;
  if (op === 'Div' && y === 1) return x;
  if (op === 'Sub' && dimEq(x, y)) return 0;
  // a size is >= 0: Max(size, k <= 0) is the size, Min(size, k <= 0) is k
  if (op === 'Max' && typeof y === 'number' && y <= 0) return x;
  if (op === 'Max' && typeof x === 'number' && x <= 0) return y;
  if (op === 'Min' && typeof y === 'number' && y <= 0) return y;
  if (op === 'Min' && typeof x === 'number' && x <= 0) return x;
  if ((op === 'Max' || op === 'Min') && dimEq(x, y)) return x;
  return null;
}

function compare(op: string, x: Dim, y: Dim): Dim {
  if (typeof x === 'number' && typeof y === 'number') {
    switch (op) {
      case 'Equal':
        return +(x === y);
      case 'Less':
        return +(x < y);
      case 'Greater':
        return +(x > y);
      case 'LessOrEqual':
        return +(x <= y);
      case 'GreaterOrEqual':
        return +(x >= y);
      case 'And':
        return +(x !== 0 && y !== 0);
      default:
        return +(x !== 0 || y !== 0);
    }
  }
  if (x === null || y === null) return null;
  if (op === 'Equal') {
    if (dimEq(x, y)) return 1;
    // a symbolic size never equals a negative number (PyTorch's "-1 means keep" test)
    if ((typeof x === 'number' && x < 0) || (typeof y === 'number' && y < 0)) return 0;
  }
  return null;
}

/** Pairs up two broadcastable 0-D/1-D value lists, or undefined when they do not pair. */
function pair(a: Dim[], b: Dim[]): number | undefined {
  const n = Math.max(a.length, b.length);
  if ((a.length !== n && a.length !== 1) || (b.length !== n && b.length !== 1)) return undefined;
  return n;
}

/** Known values of an elementwise op's output, when its inputs' values are known. */
export function elementwiseValue(c: ShapeCtx): Dim[] | undefined {
  const op = c.node.opType;
  if (op === 'Neg' || op === 'Not' || op === 'Abs') {
    const a = c.value(0);
    if (!a) return undefined;
    return a.map((x) =>
      typeof x !== 'number' ? (op === 'Abs' ? x : null) : op === 'Neg' ? -x : op === 'Not' ? +(x === 0) : Math.abs(x),
    );
  }
  if (op === 'Where') {
    const [cond, a, b] = [c.value(0), c.value(1), c.value(2)];
    if (!cond || !a || !b) return undefined;
    const n = Math.max(cond.length, a.length, b.length);
    if ([cond, a, b].some((v) => v.length !== n && v.length !== 1)) return undefined;
    const at = (v: Dim[], i: number) => v[v.length === 1 ? 0 : i];
    return Array.from({ length: n }, (_, i) => {
      const k = at(cond, i);
      return typeof k !== 'number' ? null : k !== 0 ? at(a, i) : at(b, i);
    });
  }
  if ((!ARITH.has(op) && !COMPARE.has(op)) || c.count !== 2) return undefined;
  const a = c.value(0);
  const b = c.value(1);
  if (!a || !b) return undefined;
  const n = pair(a, b);
  if (n === undefined) return undefined;
  const float = c.dtype(0).startsWith('float');
  const f = ARITH.has(op) ? (x: Dim, y: Dim) => arith(op, x, y, float) : (x: Dim, y: Dim) => compare(op, x, y);
  return Array.from({ length: n }, (_, i) => f(a[a.length === 1 ? 0 : i], b[b.length === 1 ? 0 : i]));
}
