/**
 * Gradient rules for LSTM and GRU (every direction, sequence_lens, initial states, peepholes,
 * `layout` 0 and 1, GRU `linear_before_reset` 0 and 1; default activations only). The rule writes
 * the recurrence out over the static sequence length with standard ops (`recurrent-unroll.ts`)
 * and differentiates that with the other rules: backpropagation through time, exact.
 */
import { emptyGraph } from '../../onnx/ir.js';
import { GraphBuilder } from '../../onnx/builder.js';
import { recurrentSpec, type RecurrentSpec } from '../../onnx/recurrent-spec.js';
import { AutodiffError, type GradContext, type GradRuleFamily } from '../rule.js';
import { unrollRecurrent, type RecurrentInputs } from './recurrent-unroll.js';

function readSpec(c: GradContext): RecurrentSpec {
  try {
    return recurrentSpec(c.node);
  } catch (e) {
    throw new AutodiffError((e as Error).message);
  }
}

function recurrentGrad(c: GradContext): Array<string | undefined> {
  const { node } = c;
  const spec = readSpec(c);
  const x = c.x(0);
  const xs = c.shape(x);
  const T = xs[spec.layout ? 1 : 0];
  if (typeof T !== 'number') {
    throw new AutodiffError(
      `${c.where}: the sequence length (axis ${spec.layout ? 1 : 0} of '${x}') must be static to train through ${node.opType}, but it is '${T}'; pin the input's sequence length`,
    );
  }
  const H = spec.hidden ?? c.staticShape(c.x(2), 'the hidden size')[2];
  const dtype = c.dtype(x);
  const sub = emptyGraph(`${node.name}/unrolled`);
  const seen = new Set<string>();
  const declare = (name: string) => {
    if (!name || seen.has(name)) return;
    seen.add(name);
    sub.inputs.push({ name, dtype: c.dtype(name), shape: [...c.shape(name)] });
  };
  node.inputs.forEach(declare);
  const b = new GraphBuilder(sub, `${c.b.prefix}/${node.name}/unroll`);
  const inp: RecurrentInputs = {
    X: x,
    W: c.x(1),
    R: c.x(2),
    B: c.x(3),
    lens: c.x(4),
    h0: c.x(5),
    c0: c.x(6),
    P: spec.op === 'LSTM' ? c.x(7) : '',
  };
  const out = unrollRecurrent(b, spec, inp, T, H, dtype);
  // loss = sum_k <output_k, dY_k>: its gradient is the vector-Jacobian product of the node
  const terms: string[] = [];
  [out.y, out.yh, out.yc].forEach((o, k) => {
    const dy = c.dy(k);
    if (!o || !dy) return;
    declare(dy);
    terms.push(b.op('ReduceSum', [b.op('Mul', [o, dy])], { keepdims: 0 }));
  });
  const loss = terms.length === 1 ? terms[0] : b.op('Sum', terms);
  const wrt = [...new Set(node.inputs.filter((n, i) => n && c.needs(i)))];
  const grads = c.subgraphGrad(sub, loss, wrt);
  const given = new Set<string>();
  return node.inputs.map((n, i) => {
    if (!c.needs(i) || given.has(n)) return undefined;
    given.add(n);
    return grads.get(n);
  });
}

export const recurrentFamily: GradRuleFamily = {
  family: 'recurrent',
  rules: { LSTM: recurrentGrad, GRU: recurrentGrad },
};
