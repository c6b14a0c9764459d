/**
 * RMSprop, PyTorch's `torch.optim.RMSprop`:
 *   g <- g + wd p;  sq <- alpha sq + (1 - alpha) g^2;
 *   centered: ga <- alpha ga + (1 - alpha) g, avg = sqrt(sq - ga^2) + eps;  else avg = sqrt(sq) + eps;
 *   momentum > 0: buf <- mu buf + g / avg, p <- p - lr buf;  else p <- p - lr g / avg.
 */
import { OptionReader } from '../losses/options.js';
import { Elementwise, Scalars, requireFloatParam, stateInput, type OptimizerDef, type OptimizerState } from './optimizer.js';

export interface RmspropOptions {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
}

export const rmsprop: OptimizerDef<RmspropOptions> = {
  name: 'rmsprop',
  validate(options, where = 'optimizer') {
    const r = new OptionReader(where, options, ['lr', 'alpha', 'eps', 'weight_decay', 'momentum', 'centered']);
    return {
      lr: r.number('lr', 1e-2, { min: 0 }),
      alpha: r.number('alpha', 0.99, { min: 0, max: 1 }),
      eps: r.number('eps', 1e-8, { min: 0 }),
      weightDecay: r.number('weight_decay', 0, { min: 0 }),
      momentum: r.number('momentum', 0, { min: 0 }),
      centered: r.boolean('centered', false),
    };
  },
  build(b, o, p, ctx) {
    requireFloatParam(this.name, p);
    const e = new Elementwise(b, p.dtype);
    const s = new Scalars(b, ctx);
    const g = e.l2(p.grad, p.param, p.weightDecay ?? o.weightDecay);
    const sq = stateInput(ctx, p, 'square_avg');
    const sqNext = e.lerp(sq.name, o.alpha, e.mul(g, g), 1 - o.alpha, 'square_avg');
    const state: OptimizerState[] = [{ ...sq, next: sqNext }];
    let variance = sqNext;
    if (o.centered) {
      const ga = stateInput(ctx, p, 'grad_avg');
      const gaNext = e.lerp(ga.name, o.alpha, g, 1 - o.alpha, 'grad_avg');
      state.push({ ...ga, next: gaNext });
      variance = e.sub(sqNext, e.mul(gaNext, gaNext));
    }
    const avg = e.add(e.sqrt(variance), e.c(o.eps), 'avg');
    const lr = s.cast(s.lr(p.lrScale), p.dtype);
    let step: string;
    if (o.momentum > 0) {
      const buf = stateInput(ctx, p, 'momentum_buffer');
      step = e.add(e.mul(buf.name, e.c(o.momentum)), e.div(g, avg), 'momentum_buffer');
      state.push({ ...buf, next: step });
    } else {
      step = e.div(g, avg);
    }
    return { newParam: e.sub(p.param, e.mul(step, lr), 'param'), state };
  },
};
