/**
 * Adagrad, PyTorch's `torch.optim.Adagrad`:
 *   g <- g + wd p;  clr = lr / (1 + (step - 1) lr_decay);  sum <- sum + g^2;
 *   p <- p - clr g / (sqrt(sum) + eps).  The accumulator starts at initial_accumulator_value.
 */
import { OptionReader } from '../losses/options.js';
import { Elementwise, Scalars, requireFloatParam, stateInput, type OptimizerDef } from './optimizer.js';

export interface AdagradOptions {
  lr: number;
  lrDecay: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  eps: number;
}

export const adagrad: OptimizerDef<AdagradOptions> = {
  name: 'adagrad',
  validate(options, where = 'optimizer') {
    const r = new OptionReader(where, options, ['lr', 'lr_decay', 'weight_decay', 'initial_accumulator_value', 'eps']);
    return {
      lr: r.number('lr', 1e-2, { min: 0 }),
      lrDecay: r.number('lr_decay', 0, { min: 0 }),
      weightDecay: r.number('weight_decay', 0, { min: 0 }),
      initialAccumulatorValue: r.number('initial_accumulator_value', 0, { min: 0 }),
      eps: r.number('eps', 1e-10, { min: 0 }),
    };
  },
  build(b, o, p, ctx) {
    requireFloatParam(this.name, p);
    const e = new Elementwise(b, p.dtype);
    const s = new Scalars(b, ctx);
    const g = e.l2(p.grad, p.param, p.weightDecay ?? o.weightDecay);
    const sum = stateInput(ctx, p, 'sum', o.initialAccumulatorValue);
    const sumNext = e.add(sum.name, e.mul(g, g), 'sum');
    let clr = s.lr(p.lrScale);
    if (o.lrDecay !== 0) {
      const decay = s.op('Add', s.const(1), s.op('Mul', s.op('Sub', s.step(), s.const(1)), s.const(o.lrDecay)));
      clr = s.op('Div', clr, decay);
    }
    const std = e.add(e.sqrt(sumNext), e.c(o.eps), 'std');
    const newParam = e.sub(p.param, e.mul(e.div(g, std), s.cast(clr, p.dtype)), 'param');
    return { newParam, state: [{ ...sum, next: sumNext }] };
  },
};
