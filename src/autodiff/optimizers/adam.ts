/**
 * Adam, PyTorch's `torch.optim.Adam` (L2 weight decay folded into the gradient, optional AMSGrad):
 *   g <- g + wd p;  m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;  (AMSGrad: vmax <- max(vmax, v))
 *   p <- p - (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps),  bc_i = 1 - b_i^step.
 * The update is emitted as p - a m / (sqrt(v) + eps_hat) with a = lr sqrt(bc2) / bc1 and
 * eps_hat = eps sqrt(bc2) (both float64 scalars), which is the same number with one multiply fewer
 * per element. AdamW (adamw.ts) reuses this with decoupled decay.
 */
import type { GraphBuilder } from '../../onnx/builder.js';
import { OptionReader, type RawOptions } from '../losses/options.js';
import { Elementwise, Scalars, requireFloatParam, stateInput, type OptimizerBuild, type OptimizerDef, type ParamUpdate, type UpdateContext } from './optimizer.js';

export interface AdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
}

/** Reads Adam's options; AdamW differs only in the weight-decay default. */
export function readAdamOptions(options: RawOptions, where: string, weightDecayDefault: number): AdamOptions {
  const r = new OptionReader(where, options, ['lr', 'betas', 'eps', 'weight_decay', 'amsgrad']);
  return {
    lr: r.number('lr', 1e-3, { min: 0 }),
    betas: r.betas('betas', [0.9, 0.999]),
    eps: r.number('eps', 1e-8, { min: 0 }),
    weightDecay: r.number('weight_decay', weightDecayDefault, { min: 0 }),
    amsgrad: r.boolean('amsgrad', false),
  };
}

/** The Adam update of one parameter; `decoupled` applies weight decay AdamW's way. */
export function buildAdam(b: GraphBuilder, o: AdamOptions, p: ParamUpdate, ctx: UpdateContext, decoupled: boolean, name: string): OptimizerBuild {
  requireFloatParam(name, p);
  const e = new Elementwise(b, p.dtype);
  const s = new Scalars(b, ctx);
  const [b1, b2] = o.betas;
  const wd = p.weightDecay ?? o.weightDecay;
  const lr = s.lr(p.lrScale);
  let param = p.param;
  if (decoupled && wd !== 0) {
    // p <- p (1 - lr wd), before the Adam step (PyTorch AdamW)
    param = e.mul(param, s.cast(s.op('Sub', s.const(1), s.op('Mul', lr, s.const(wd))), p.dtype), 'param_decayed');
  }
  const g = decoupled ? p.grad : e.l2(p.grad, p.param, wd);
  const m = stateInput(ctx, p, 'exp_avg');
  const v = stateInput(ctx, p, 'exp_avg_sq');
  const mNext = e.lerp(m.name, b1, g, 1 - b1, 'exp_avg');
  const vNext = e.lerp(v.name, b2, e.mul(g, g), 1 - b2, 'exp_avg_sq');
  const state = [{ ...m, next: mNext }, { ...v, next: vNext }];
  let second = vNext;
  if (o.amsgrad) {
    const vmax = stateInput(ctx, p, 'max_exp_avg_sq');
    second = b.op('Max', [vmax.name, vNext], {}, 'max_exp_avg_sq');
    state.push({ ...vmax, next: second });
  }
  const sqrtBc2 = s.sqrt(s.biasCorrection(b2));
  const alpha = s.cast(s.op('Div', s.op('Mul', lr, sqrtBc2), s.biasCorrection(b1)), p.dtype);
  const epsHat = s.cast(s.op('Mul', s.const(o.eps), sqrtBc2), p.dtype);
  const denom = e.add(e.sqrt(second), epsHat, 'denom');
  const newParam = e.sub(param, e.mul(e.div(mNext, denom), alpha), 'param');
  return { newParam, state };
}

export const adam: OptimizerDef<AdamOptions> = {
  name: 'adam',
  validate: (options, where = 'optimizer') => readAdamOptions(options, where, 0),
  build(b, o, p, ctx) { return buildAdam(b, o, p, ctx, false, this.name); },
};
