/** Shape rules for elementwise, broadcasting and normalization ops. */
import { attrInt } from '../ir.js';
import { dtypeFromCode } from '../tensor.js';
import { broadcastShapes, normAxis } from './dims.js';
import type { ShapeRule, ShapeCtx } from './context.js';

const same: ShapeRule = (c) => [{ dtype: c.dtype(0), shape: c.info(0).shape, value: c.value(0) }];

const UNARY = [
  'Identity', 'Neg', 'Abs', 'Sqrt', 'Exp', 'Log', 'Reciprocal', 'Relu', 'LeakyRelu', 'Sigmoid', 'Tanh',
  'Erf', 'Gelu', 'Softplus', 'Softsign', 'Elu', 'Selu', 'Celu', 'HardSigmoid', 'HardSwish', 'Softmax', 'LogSoftmax',
  'Floor', 'Ceil', 'Round', 'Sign', 'Sin', 'Cos', 'Not', 'Clip', 'Trilu', 'CumSum', 'Mish', 'ThresholdedRelu',
  'InstanceNormalization', 'LpNormalization', 'IsNaN', 'IsInf',
];

function broadcast(c: ShapeCtx, outDtype?: 'bool'): ReturnType<ShapeRule> {
  const shapes = [];
  for (let i = 0; i < c.count; i++) if (c.has(i)) {
    const s = c.info(i).shape;
    if (!s) return [{ dtype: outDtype ?? c.dtype(0) }];
    shapes.push(s);
  }
  const first = c.node.opType === 'Where' ? 1 : 0;
  return [{ dtype: outDtype ?? c.dtype(first), shape: broadcastShapes(shapes, c.where), value: elementwiseValue(c) }];
}

/** Data propagation of integer arithmetic on known 0-D/1-D values (shape computations). */
function elementwiseValue(c: ShapeCtx) {
  const op = c.node.opType;
  if (!['Add', 'Sub', 'Mul', 'Div'].includes(op) || c.count !== 2) return undefined;
  const a = c.value(0);
  const b = c.value(1);
  if (!a || !b) return undefined;
  const n = Math.max(a.length, b.length);
  if (a.length !== n && a.length !== 1) return undefined;
  if (b.length !== n && b.length !== 1) return undefined;
  const out = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length === 1 ? 0 : i];
    const y = b[b.length === 1 ? 0 : i];
    if (typeof x !== 'number' || typeof y !== 'number') {
      if (op === 'Mul' && y === 1) out.push(x);
      else if (op === 'Mul' && x === 1) out.push(y);
      else if ((op === 'Add' || op === 'Sub') && y === 0) out.push(x);
      else if (op === 'Div' && y === 1) out.push(x);
      else out.push(null);
      continue;
    }
    out.push(op === 'Add' ? x + y : op === 'Sub' ? x - y : op === 'Mul' ? x * y : Math.trunc(x / y));
  }
  return out;
}

const BROADCAST = ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Min', 'Max', 'Sum', 'Mean', 'Where', 'Mod', 'PRelu', 'BitwiseXor', 'BitwiseAnd', 'BitwiseOr', 'BitShift'];
const COMPARE = ['Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Xor'];

export const elementwiseRules: Record<string, ShapeRule> = {
  ...Object.fromEntries(UNARY.map((op) => [op, same])),
  ...Object.fromEntries(BROADCAST.map((op) => [op, (c: ShapeCtx) => broadcast(c)])),
  ...Object.fromEntries(COMPARE.map((op) => [op, (c: ShapeCtx) => broadcast(c, 'bool')])),
  Cast: (c) => [{ dtype: dtypeFromCode(attrInt(c.node, 'to')), shape: c.info(0).shape, value: c.value(0) }],
  CastLike: (c) => [{ dtype: c.dtype(1), shape: c.info(0).shape, value: c.value(0) }],
  Dropout: (c) => [
    { dtype: c.dtype(0), shape: c.info(0).shape },
    { dtype: 'bool', shape: c.info(0).shape },
  ],
  BatchNormalization: (c) => {
    const s = c.info(0).shape;
    const ch = s && s.length > 1 ? [s[1]] : undefined;
    return [{ dtype: c.dtype(0), shape: s }, { dtype: c.dtype(0), shape: ch }, { dtype: c.dtype(0), shape: ch }];
  },
  LayerNormalization: (c) => {
    const s = c.info(0).shape;
    let stat;
    if (s) {
      const axis = normAxis(attrInt(c.node, 'axis', -1), s.length, c.where);
      stat = s.map((d, i) => (i < axis ? d : 1));
    }
    return [{ dtype: c.dtype(0), shape: s }, { dtype: 'float32', shape: stat }, { dtype: 'float32', shape: stat }];
  },
};
