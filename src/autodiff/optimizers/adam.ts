/**
 * Adam, PyTorch's `torch.optim.Adam` (L2 weight decay folded into the gradient, optional AMSGrad):
 *   g <- g + wd p;  m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;  (AMSGrad: vmax <- max(vmax, v))
 *   p <- p - (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps),  bc_i = 1 - b_i^step.
 * The update is emitted as p - a m / (sqrt(v) + eps_hat) with a = lr sqrt(bc2) / bc1 and
 * eps_hat = eps sqrt(bc2) (both float64 scalars), which is the same number with one multiply fewer
 * per element. AdamW (adamw.ts) reuses this with decoupled decay.
 */
import type { GraphBuilder } from '../../onnx/builder.js';
import { arr, bool, check, num, type Props } from '../../config/schema.js';
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

export interface AdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
}

/** Adam's options; AdamW differs only in the weight-decay default and meaning. */
export function adamOptions(weightDecay: number, decayDoc: string) {
  return {
    lr: lrOption(1e-3),
    betas: check(
      arr(num({ min: 0 }), {
        default: [0.9, 0.999],
        doc: 'decay rates of the first and second moment estimates, e.g. [0.9, 0.999]',
      }),
      (v, path) =>
        v.length === 2 && v.every((x) => x < 1)
          ? undefined
          : `expected two numbers in [0, 1), e.g. [0.9, 0.999], for ${path} but got ${JSON.stringify(v)}`,
    ),
    eps: num({ min: 0, default: 1e-8, doc: 'added to the denominator for numerical stability' }),
    weight_decay: weightDecayOption(weightDecay, decayDoc),
    amsgrad: bool({ default: false, doc: 'use the maximum of past second moments (AMSGrad)' }),
  } satisfies Props;
}

/** Adam (or AdamW when `decoupled`) from resolved options. */
export function createAdam(
  r: { lr: number; betas: number[]; eps: number; weight_decay: number; amsgrad: boolean },
  decoupled: boolean,
  type: string,
): ResolvedOptimizer<AdamOptions> {
  const o: AdamOptions = {
    lr: r.lr,
    betas: [r.betas[0], r.betas[1]],
    eps: r.eps,
    weightDecay: r.weight_decay,
    amsgrad: r.amsgrad,
  };
  return { type, options: o, build: (b, p, ctx) => buildAdam(b, o, p, ctx, decoupled, type) };
}

/** The Adam update of one parameter; `decoupled` applies weight decay AdamW's way. */
export function buildAdam(
  b: GraphBuilder,
  o: AdamOptions,
  p: ParamUpdate,
  ctx: UpdateContext,
  decoupled: boolean,
  name: string,
): OptimizerBuild {
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
  const state = [
    { ...m, next: mNext },
    { ...v, next: vNext },
  ];
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

export const adam = component({
  type: 'adam',
  description: "Adam with L2 weight decay and optional AMSGrad (PyTorch's Adam)",
  options: adamOptions(0, 'L2 penalty added to the gradient (wd * param)'),
  create: (r) => createAdam(r, false, 'adam'),
});
