/**
 * Stochastic gradient descent, PyTorch's `torch.optim.SGD`:
 *   g <- g + wd p;  b <- g at the first step, else mu b + (1 - dampening) g;
 *   d <- g + mu b (nesterov) or b;  p <- p - lr d.
 * The momentum buffer starts at zero, so the first step needs only a scalar switch of the
 * dampening factor (none when dampening = 0).
 */
import type { GraphBuilder } from '../../onnx/builder.js';
import { bool, num } from '../../config/schema.js';
import { component } from '../../config/component.js';
import {
  Elementwise,
  Scalars,
  shared,
  lrOption,
  requireFloatParam,
  stateInput,
  weightDecayOption,
  type OptimizerBuild,
  type OptimizerState,
  type ParamUpdate,
  type ResolvedOptimizer,
  type UpdateContext,
} from './optimizer.js';

export interface SgdOptions {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
}

export const sgd = component({
  type: 'sgd',
  description: "stochastic gradient descent with optional (Nesterov) momentum (PyTorch's SGD)",
  options: {
    lr: lrOption(1e-3),
    momentum: num({ min: 0, default: 0, doc: 'momentum factor (0: plain SGD)' }),
    dampening: num({ min: 0, max: 1, default: 0, doc: 'dampening of the momentum' }),
    nesterov: bool({ default: false, doc: 'Nesterov momentum (needs momentum > 0 and dampening = 0)' }),
    weight_decay: weightDecayOption(0),
  },
  check: (o, path) =>
    o.nesterov && (o.momentum <= 0 || o.dampening !== 0)
      ? `expected false unless momentum > 0 and dampening = 0 (Nesterov momentum needs both) for ${path}.nesterov but got true`
      : undefined,
  create: (r): ResolvedOptimizer<SgdOptions> => {
    const o: SgdOptions = {
      lr: r.lr,
      momentum: r.momentum,
      dampening: r.dampening,
      nesterov: r.nesterov,
      weightDecay: r.weight_decay,
    };
    return { type: 'sgd', options: o, build: (b, p, ctx) => buildSgd(b, o, p, ctx) };
  },
});

function buildSgd(b: GraphBuilder, o: SgdOptions, p: ParamUpdate, ctx: UpdateContext): OptimizerBuild {
  requireFloatParam('sgd', p);
  const e = new Elementwise(b, p.dtype);
  const s = new Scalars(b, ctx);
  const g = e.l2(p.grad, p.param, p.weightDecay ?? o.weightDecay);
  const state: OptimizerState[] = [];
  let d = g;
  if (o.momentum > 0) {
    const buf = stateInput(ctx, p, 'momentum_buffer');
    let gIn = g;
    if (o.dampening !== 0) {
      // 1 at the first step (the buffer is the gradient itself), 1 - dampening afterwards
      const k = shared(b, `dampening|${ctx.step}|${o.dampening}`, () =>
        b.op('Where', [b.op('Equal', [ctx.step, b.int(1)]), s.const(1), s.const(1 - o.dampening)], {}, 'dampening_f64'),
      );
      gIn = e.mul(g, s.cast(k, p.dtype));
    }
    const next = e.add(e.mul(buf.name, e.c(o.momentum)), gIn, 'momentum_buffer');
    state.push({ ...buf, next });
    d = o.nesterov ? e.add(g, e.mul(next, e.c(o.momentum))) : next;
  }
  const lr = s.cast(s.lr(p.lrScale), p.dtype);
  return { newParam: e.sub(p.param, e.mul(d, lr), 'param'), state };
}
