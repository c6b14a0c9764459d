/**
 * Stochastic gradient descent, PyTorch's `torch.optim.SGD`:
 *   g <- g + wd p;  b <- g at the first step, else mu b + (1 - dampening) g;
 *   d <- g + mu b (nesterov) or b;  p <- p - lr d.
 * The momentum buffer starts at zero, so the first step needs only a scalar switch of the
 * dampening factor (none when dampening = 0).
 */
import { OptionReader } from '../losses/options.js';
import { Elementwise, Scalars, shared, requireFloatParam, stateInput, type OptimizerDef, type OptimizerState } from './optimizer.js';

export interface SgdOptions {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
}

export const sgd: OptimizerDef<SgdOptions> = {
  name: 'sgd',
  validate(options, where = 'optimizer') {
    const r = new OptionReader(where, options, ['lr', 'momentum', 'dampening', 'nesterov', 'weight_decay']);
    const o = {
      lr: r.number('lr', 1e-3, { min: 0 }),
      momentum: r.number('momentum', 0, { min: 0 }),
      dampening: r.number('dampening', 0, { min: 0, max: 1 }),
      nesterov: r.boolean('nesterov', false),
      weightDecay: r.number('weight_decay', 0, { min: 0 }),
    };
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) r.fail('nesterov', 'false unless momentum > 0 and dampening = 0 (Nesterov momentum needs both)');
    return o;
  },
  build(b, o, p, ctx) {
    requireFloatParam(this.name, p);
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
          b.op('Where', [b.op('Equal', [ctx.step, b.int(1)]), s.const(1), s.const(1 - o.dampening)], {}, 'dampening_f64'));
        gIn = e.mul(g, s.cast(k, p.dtype));
      }
      const next = e.add(e.mul(buf.name, e.c(o.momentum)), gIn, 'momentum_buffer');
      state.push({ ...buf, next });
      d = o.nesterov ? e.add(g, e.mul(next, e.c(o.momentum))) : next;
    }
    const lr = s.cast(s.lr(p.lrScale), p.dtype);
    return { newParam: e.sub(p.param, e.mul(d, lr), 'param'), state };
  },
};
