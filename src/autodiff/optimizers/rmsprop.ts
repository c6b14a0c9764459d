/**
 * RMSprop, PyTorch's `torch.optim.RMSprop`:
 *   g <- g + wd p;  sq <- alpha sq + (1 - alpha) g^2;
 *   centered: ga <- alpha ga + (1 - alpha) g, avg = sqrt(sq - ga^2) + eps;  else avg = sqrt(sq) + eps;
 *   momentum > 0: buf <- mu buf + g / avg, p <- p - lr buf;  else p <- p - lr g / avg.
 */
import type { GraphBuilder } from '../../onnx/builder.js';
import { bool, num } from '../../config/schema.js';
import { component } from '../../config/component.js';
import {
  Elementwise,
  Scalars,
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

export interface RmspropOptions {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
}

export const rmsprop = component({
  type: 'rmsprop',
  description: "RMSprop: rates from a moving average of squared gradients (PyTorch's RMSprop)",
  options: {
    lr: lrOption(1e-2),
    alpha: num({ min: 0, max: 1, default: 0.99, doc: 'smoothing constant of the squared-gradient average' }),
    eps: num({ min: 0, default: 1e-8, doc: 'added to the denominator for numerical stability' }),
    weight_decay: weightDecayOption(0),
    momentum: num({ min: 0, default: 0, doc: 'momentum factor (0: none)' }),
    centered: bool({ default: false, doc: 'normalize by the estimated variance of the gradient' }),
  },
  create: (r): ResolvedOptimizer<RmspropOptions> => {
    const o: RmspropOptions = {
      lr: r.lr,
      alpha: r.alpha,
      eps: r.eps,
      weightDecay: r.weight_decay,
      momentum: r.momentum,
      centered: r.centered,
    };
    return { type: 'rmsprop', options: o, build: (b, p, ctx) => buildRmsprop(b, o, p, ctx) };
  },
});

function buildRmsprop(b: GraphBuilder, o: RmspropOptions, p: ParamUpdate, ctx: UpdateContext): OptimizerBuild {
  requireFloatParam('rmsprop', p);
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
}
