/**
 * Adagrad, PyTorch's `torch.optim.Adagrad`:
 *   g <- g + wd p;  clr = lr / (1 + (step - 1) lr_decay);  sum <- sum + g^2;
 *   p <- p - clr g / (sqrt(sum) + eps).  The accumulator starts at initial_accumulator_value.
 */
import type { GraphBuilder } from '../../onnx/builder.js';
import { num } from '../../config/schema.js';
import { component } from '../../config/component.js';
import {
  Elementwise,
  Scalars,
  lrOption,
  requireFloatParam,
  stateInput,
  weightDecayOption,
  type OptimizerBuild,
  type ParamUpdate,
  type ResolvedOptimizer,
  type UpdateContext,
} from './optimizer.js';

export interface AdagradOptions {
  lr: number;
  lrDecay: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  eps: number;
}

export const adagrad = component({
  type: 'adagrad',
  description: "Adagrad: per-element rates from the sum of squared gradients (PyTorch's Adagrad)",
  options: {
    lr: lrOption(1e-2),
    lr_decay: num({ min: 0, default: 0, doc: 'learning-rate decay: lr / (1 + (step - 1) lr_decay)' }),
    weight_decay: weightDecayOption(0),
    initial_accumulator_value: num({ min: 0, default: 0, doc: 'starting value of the squared-gradient sum' }),
    eps: num({ min: 0, default: 1e-10, doc: 'added to the denominator for numerical stability' }),
  },
  create: (r): ResolvedOptimizer<AdagradOptions> => {
    const o: AdagradOptions = {
      lr: r.lr,
      lrDecay: r.lr_decay,
      weightDecay: r.weight_decay,
      initialAccumulatorValue: r.initial_accumulator_value,
      eps: r.eps,
    };
    return { type: 'adagrad', options: o, build: (b, p, ctx) => buildAdagrad(b, o, p, ctx) };
  },
});

function buildAdagrad(b: GraphBuilder, o: AdagradOptions, p: ParamUpdate, ctx: UpdateContext): OptimizerBuild {
  requireFloatParam('adagrad', p);
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
}
