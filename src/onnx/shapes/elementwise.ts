/** Shape rules for elementwise, broadcasting and normalization ops. */
import { attrInt } from '../ir.js';
import { dtypeFromCode } from '../tensor.js';
import { broadcastShapes, normAxis } from './dims.js';
import type { ShapeRule, ShapeCtx } from './context.js';
import { elementwiseValue } from './values.js';

const same: ShapeRule = (c) => [
  {
    dtype: c.dtype(0),
    shape: c.info(0).shape,
    value: PASS_VALUE.has(c.node.opType) ? c.value(0) : elementwiseValue(c),
  },
];

/** Unary ops that leave integer values as they are. */
const PASS_VALUE = new Set(['Identity', 'Floor', 'Ceil', 'Round']);

const UNARY = [
  'Identity',
  'Neg',
  'Abs',
  'Sqrt',
  'Exp',
  'Log',
  'Reciprocal',
  'Relu',
  'LeakyRelu',
  'Sigmoid',
  'Tanh',
  'Erf',
  'Gelu',
  'Softplus',
  'Softsign',
  'Elu',
  'Selu',
  'Celu',
  'HardSigmoid',
  'HardSwish',
  'Softmax',
  'LogSoftmax',
  'Floor',
  'Ceil',
  'Round',
  'Sign',
  'Sin',
  'Cos',
  'Not',
  'Clip',
  'Trilu',
  'CumSum',
  'Mish',
  'ThresholdedRelu',
  'InstanceNormalization',
  'LpNormalization',
  'IsNaN',
  'IsInf',
];

function broadcast(c: ShapeCtx, outDtype?: 'bool'): ReturnType<ShapeRule> {
  const shapes = [];
  for (let i = 0; i < c.count; i++)
    if (c.has(i)) {
      const s = c.info(i).shape;
      if (!s) return [{ dtype: outDtype ?? c.dtype(0) }];
      shapes.push(s);
    }
  const first = c.node.opType === 'Where' ? 1 : 0;
  return [{ dtype: outDtype ?? c.dtype(first), shape: broadcastShapes(shapes, c.where), value: elementwiseValue(c) }];
}

const BROADCAST = [
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Min',
  'Max',
  'Sum',
  'Mean',
  'Where',
  'Mod',
  'PRelu',
  'BitwiseXor',
  'BitwiseAnd',
  'BitwiseOr',
  'BitShift',
];
const COMPARE = ['Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Xor'];

export const elementwiseRules: Record<string, ShapeRule> = {
  ...Object.fromEntries(UNARY.map((op) => [op, same])),
  ...Object.fromEntries(BROADCAST.map((op) => [op, (c: ShapeCtx) => broadcast(c)])),
  ...Object.fromEntries(COMPARE.map((op) => [op, (c: ShapeCtx) => broadcast(c, 'bool')])),
  Cast: (c) => {
    const to = dtypeFromCode(attrInt(c.node, 'to'));
    // float -> int truncates; to bool is "not zero"
    const v = c
      .value(0)
      ?.map((d) =>
        typeof d !== 'number' ? d : to === 'bool' ? +(d !== 0) : to.startsWith('float') ? d : Math.trunc(d),
      );
    return [{ dtype: to, shape: c.info(0).shape, value: v }];
  },
  CastLike: (c) => [{ dtype: c.dtype(1), shape: c.info(0).shape, value: c.value(0) }],
  Dropout: (c) => [
    { dtype: c.dtype(0), shape: c.info(0).shape },
    { dtype: 'bool', shape: c.info(0).shape },
  ],
  BatchNormalization: (c) => {
    const s = c.info(0).shape;
    const ch = s && s.length > 1 ? [s[1]] : undefined;
    return [
      { dtype: c.dtype(0), shape: s },
      { dtype: c.dtype(0), shape: ch },
      { dtype: c.dtype(0), shape: ch },
    ];
  },
  LayerNormalization: (c) => {
    const s = c.info(0).shape;
    let stat;
    if (s) {
      const axis = normAxis(attrInt(c.node, 'axis', -1), s.length, c.where);
      stat = s.map((d, i) => (i < axis ? d : 1));
    }
    return [
      { dtype: c.dtype(0), shape: s },
      { dtype: 'float32', shape: stat },
      { dtype: 'float32', shape: stat },
    ];
  },
};
