/**
 * Gradient rules for normalization: LayerNormalization (any axis, optional Mean/InvStdDev outputs,
 * which also carry gradient), InstanceNormalization, and BatchNormalization in inference form
 * (statistics as inputs). With `xhat = (X - mean) * invstd` and `g = dY * gamma` the input gradient
 * is the closed form `invstd * (g - mean(g) - xhat * mean(g * xhat))` over the normalized axes.
 *
 * BatchNormalization: when its mean/var inputs are the batch statistics of X built by
 * `rewriteForTraining` (see `batchStatsOf`), the closed form above gives the full gradient and no
 * gradient flows into the statistics; otherwise the statistics are treated as ordinary inputs.
 */
import { attrFloat, attrInt, producers, type Dim, type Node } from '../../onnx/ir.js';
import { AutodiffError, type GradContext, type GradRuleFamily } from '../rule.js';
import { axisOf, shapeOf } from './shape-helpers.js';

const mul = (c: GradContext, a: string, b: string) => c.b.op('Mul', [a, b]);

/**
 * dX of y = xhat * gamma (+ beta) where xhat normalizes over `axes` (M elements each).
 * `gamma` must broadcast against X; `invstd` has size-1 normalized axes.
 */
export function normalizedInputGrad(
  c: GradContext,
  dy: string,
  xhat: string,
  invstd: string,
  gamma: string | undefined,
  axes: number[],
): string {
  const { b } = c;
  const g = gamma ? mul(c, dy, gamma) : dy;
  const ax = b.ints(axes);
  const meanG = b.op('ReduceMean', [g, ax], { keepdims: 1 });
  const meanGX = b.op('ReduceMean', [mul(c, g, xhat), ax], { keepdims: 1 });
  const inner = b.op('Sub', [b.op('Sub', [g, meanG]), mul(c, xhat, meanGX)]);
  return b.op('Mul', [inner, invstd], {}, 'norm_grad');
}

function layerNormGrad(c: GradContext): Array<string | undefined> {
  const { b, node } = c;
  const x = c.x(0);
  const xs = c.shape(x);
  const r = xs.length;
  const axis = axisOf(c, attrInt(node, 'axis', -1), r);
  const axes = Array.from({ length: r - axis }, (_, i) => axis + i);
  const normDims = xs.slice(axis);
  if (normDims.some((d) => typeof d !== 'number')) {
    throw new AutodiffError(`${c.where}: the normalized axes [${normDims.join(', ')}] must have static sizes`);
  }
  const m = (normDims as number[]).reduce((p, d) => p * d, 1);
  const statShape: Dim[] = xs.map((d, i) => (i < axis ? d : 1));
  // Mean and InvStdDev come from the forward node itself (ORT computes them anyway): ask it for
  // them when the model did not; recompute them only where their type would differ from X's
  const stashMatches = c.dtype(x) === 'float32' && attrInt(node, 'stash_type', 1) === 1;
  let stats: [string, string] | undefined;
  if ((!node.outputs[1] || !node.outputs[2]) && !stashMatches) {
    const ax = b.ints(axes);
    const mu = b.op('ReduceMean', [x, ax], { keepdims: 1 });
    const xc = b.op('Sub', [x, mu]);
    const v = b.op('ReduceMean', [mul(c, xc, xc), ax], { keepdims: 1 });
    stats = [mu, b.op('Reciprocal', [b.op('Sqrt', [b.op('Add', [v, c.scalar(attrFloat(node, 'epsilon', 1e-5), x)])])])];
  } else if (!node.outputs[1] || !node.outputs[2]) {
    for (const k of [1, 2]) {
      if (!node.outputs[k]) {
        while (node.outputs.length <= k) node.outputs.push('');
        node.outputs[k] = b.fresh(k === 1 ? 'ln_mean' : 'ln_invstd');
        c.setShape(node.outputs[k], statShape, 'float32');
      }
    }
  }
  let [mean, invstd] = stats ?? [node.outputs[1], node.outputs[2]];
  if (c.dtype(mean) !== c.dtype(x)) {
    mean = b.op('CastLike', [mean, x]);
    invstd = b.op('CastLike', [invstd, x]);
  }
  const xhat = mul(c, b.op('Sub', [x, mean]), invstd);
  c.setShape(xhat, xs, c.dtype(x));
  const dy = c.dy(0);
  let dx: string | undefined;
  if (c.needs(0)) {
    const terms: string[] = [];
    if (dy) terms.push(normalizedInputGrad(c, dy, xhat, invstd, c.x(1), axes));
    const dMean = c.dy(1);
    if (dMean) terms.push(mul(c, b.op('CastLike', [dMean, x]), c.scalar(1 / m, x)));
    const dInv = c.dy(2);
    if (dInv) {
      // d invstd / dx = -invstd^2 * xhat / M
      const k = mul(c, mul(c, b.op('CastLike', [dInv, x]), mul(c, invstd, invstd)), c.scalar(-1 / m, x));
      terms.push(mul(c, xhat, k));
    }
    // the Mean term alone is stat-shaped: broadcast it (rare path, so Expand is fine here)
    if (!dy && !dInv && dMean) terms[0] = b.op('Expand', [terms[0], shapeOf(c, x)]);
    dx = terms.length === 0 ? undefined : terms.length === 1 ? terms[0] : b.op('Sum', terms, {}, 'layer_norm_grad');
  }
  const dScale = dy && c.needs(1) ? c.unbroadcast(mul(c, dy, xhat), c.y(0), c.x(1)) : undefined;
  const dBias = dy && c.x(2) && c.needs(2) ? c.unbroadcast(dy, c.y(0), c.x(2)) : undefined;
  return [dx, dScale, dBias];
}

/** Per-channel tensor [C] reshaped to broadcast against [N, C, ...] of rank r. */
function perChannel(c: GradContext, t: string, r: number): string {
  if (r <= 2) return t;
  return c.b.op('Unsqueeze', [t, c.b.ints(Array.from({ length: r - 2 }, (_, i) => i + 1))]);
}

/** Gradients of scale and bias over all axes but 1: sum(dY * xhat), sum(dY). */
function channelParamGrads(
  c: GradContext,
  dy: string,
  xhat: string,
  axes: number[],
  si: number,
  bi: number,
): [string | undefined, string | undefined] {
  const { b } = c;
  const ax = b.ints(axes);
  const ds = c.needs(si) ? b.op('ReduceSum', [mul(c, dy, xhat), ax], { keepdims: 0 }, 'scale_grad') : undefined;
  const db = c.needs(bi) ? b.op('ReduceSum', [dy, ax], { keepdims: 0 }, 'bias_grad') : undefined;
  return [ds, db];
}

function instanceNormGrad(c: GradContext): Array<string | undefined> {
  const { b } = c;
  const x = c.x(0);
  const xs = c.shape(x);
  const r = xs.length;
  const spatial = Array.from({ length: r - 2 }, (_, i) => i + 2);
  const sdims = spatial.map((a) => xs[a]);
  if (sdims.some((d) => typeof d !== 'number'))
    throw new AutodiffError(`${c.where}: spatial sizes [${sdims.join(', ')}] must be static`);
  const eps = attrFloat(c.node, 'epsilon', 1e-5);
  const ax = b.ints(spatial);
  const mean = b.op('ReduceMean', [x, ax], { keepdims: 1 });
  const xc = b.op('Sub', [x, mean]);
  const variance = b.op('ReduceMean', [mul(c, xc, xc), ax], { keepdims: 1 });
  const invstd = b.op('Reciprocal', [b.op('Sqrt', [b.op('Add', [variance, c.scalar(eps, x)])])]);
  const xhat = mul(c, xc, invstd);
  const dy = c.dy(0)!;
  const dx = c.needs(0) ? normalizedInputGrad(c, dy, xhat, invstd, perChannel(c, c.x(1), r), spatial) : undefined;
  const [ds, db] = channelParamGrads(c, dy, xhat, [0, ...spatial], 1, 2);
  return [dx, ds, db];
}

/** Axes of X [N, C, ...] that BatchNormalization reduces over: all but 1. */
export function batchAxes(rank: number): number[] {
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)];
}

function sameInts(c: GradContext, name: string, want: number[]): boolean {
  const v = c.value(name);
  return !!v && v.length === want.length && v.every((d, i) => d === want[i]);
}

/**
 * When BN node `bn` reads the batch statistics of its own X, as `rewriteForTraining` builds them
 * (mean = Reshape(m, [-1]) or ReduceMean(X, axes, keepdims 0); var = ReduceMean(Mul(xc, xc), axes,
 * keepdims 0) with xc = Sub(X, m), m = ReduceMean(X, axes, keepdims 1)), returns xc; else undefined.
 */
export function batchStatsOf(c: GradContext, bn: Node): string | undefined {
  const prod = producers(c.b.graph);
  const [x, mean, vari] = [bn.inputs[0], bn.inputs[3], bn.inputs[4]];
  const axes = batchAxes(c.shape(x).length);
  const isMean = (n: Node | undefined, of: string, keep: number) =>
    !!n &&
    n.opType === 'ReduceMean' &&
    n.inputs[0] === of &&
    attrInt(n, 'keepdims', 1) === keep &&
    sameInts(c, n.inputs[1] ?? '', axes);
  const mp = prod.get(mean);
  const viaReshape = mp && mp.opType === 'Reshape' && isMean(prod.get(mp.inputs[0]), x, 1);
  if (!viaReshape && !isMean(mp, x, 0)) return undefined;
  const vn = prod.get(vari);
  const sq =
    vn && vn.opType === 'ReduceMean' && attrInt(vn, 'keepdims', 1) === 0 && sameInts(c, vn.inputs[1] ?? '', axes)
      ? prod.get(vn.inputs[0])
      : undefined;
  if (!sq || sq.opType !== 'Mul' || sq.inputs[0] !== sq.inputs[1]) return undefined;
  const sub = prod.get(sq.inputs[0]);
  if (!sub || sub.opType !== 'Sub' || sub.inputs[0] !== x || !isMean(prod.get(sub.inputs[1]), x, 1)) return undefined;
  return sub.outputs[0];
}

/**
 * The training form (BN over its own batch statistics, `xc` = X - mean): with per-channel
 * k = gamma invstd, s = sum(dY xc) and -1/M,
 *   dscale = invstd s,  dB = sum(dY),
 *   dX = k dY + xc (-k invstd^2 s / M) + (-k dB / M).
 * xhat is never materialized (its invstd folds into the per-channel factors), and the affine
 * map of xc is one BatchNormalization node (mean 0, var 1, epsilon 0: exactly xc a + b): five
 * passes over X-sized tensors plus two reductions, where the textbook form took seven plus two.
 */
function batchStatsGrad(
  c: GradContext,
  dy: string,
  xc: string,
  invstd: string,
  gammaInv: string,
  axes: number[],
): Array<string | undefined> {
  const { b } = c;
  const x = c.x(0);
  const xs = c.shape(x);
  const r = xs.length;
  const ch = xs[1];
  if (typeof ch !== 'number')
    throw new AutodiffError(
      `${c.where}: the batch-statistics gradient needs a static channel count, but '${x}' has shape [${xs.map((d) => d ?? '?').join(', ')}]`,
    );
  let negInvM: string;
  if (xs.every((d) => typeof d === 'number')) {
    negInvM = c.scalar(-1 / axes.reduce((p, a) => p * (xs[a] as number), 1), x);
  } else {
    // symbolic batch: M = Size(x) / C at run time
    negInvM = b.op('Div', [c.scalar(-ch, x), b.op('CastLike', [b.op('Size', [x]), x])]);
  }
  const ax = b.ints(axes);
  const sumDyXc = b.op('ReduceSum', [mul(c, dy, xc), ax], { keepdims: 0 });
  const sumDy = b.op('ReduceSum', [dy, ax], { keepdims: 0 }, 'bias_grad');
  const ds = c.needs(1) ? mul(c, sumDyXc, invstd) : undefined;
  const db = c.needs(2) ? sumDy : undefined;
  let dx: string | undefined;
  if (c.needs(0)) {
    const km = mul(c, gammaInv, negInvM);
    const a = mul(c, mul(c, km, invstd), mul(c, sumDyXc, invstd));
    const bb = mul(c, km, sumDy);
    const zeros = c.constantLike(Array(ch).fill(0), [ch], x);
    const ones = c.constantLike(Array(ch).fill(1), [ch], x);
    const affine = b.op('BatchNormalization', [xc, a, bb, zeros, ones], { epsilon: { type: 'float', value: 0 } });
    dx = b.op('Add', [mul(c, dy, perChannel(c, gammaInv, r)), affine], {}, 'bn_grad');
  }
  return [dx, ds, db, undefined, undefined];
}

function batchNormGrad(c: GradContext): Array<string | undefined> {
  const { b, node } = c;
  if (attrInt(node, 'training_mode', 0) !== 0) {
    throw new AutodiffError(
      `${c.where}: BatchNormalization with training_mode = 1 is not differentiated directly; run rewriteForTraining first, which turns it into batch statistics + an inference-form node`,
    );
  }
  if (c.dy(1) || c.dy(2)) {
    throw new AutodiffError(
      `${c.where}: gradients through BatchNormalization's running-statistics outputs are not supported`,
    );
  }
  const x = c.x(0);
  const r = c.shape(x).length;
  const eps = attrFloat(node, 'epsilon', 1e-5);
  const axes = batchAxes(r);
  const dy = c.dy(0)!;
  const invstd = b.op('Reciprocal', [b.op('Sqrt', [b.op('Add', [c.x(4), c.scalar(eps, x)])])]);
  const xc = batchStatsOf(c, node);
  const gammaInv = mul(c, c.x(1), invstd);
  if (xc) return batchStatsGrad(c, dy, xc, invstd, gammaInv, axes);
  const xhat = mul(c, b.op('Sub', [x, perChannel(c, c.x(3), r)]), perChannel(c, invstd, r));
  const [ds, db] = channelParamGrads(c, dy, xhat, axes, 1, 2);
  const dx = c.needs(0) ? mul(c, dy, perChannel(c, gammaInv, r)) : undefined;
  // statistics as inputs: y = (x - mean) * gamma * invstd + beta
  const dMean = c.needs(3)
    ? b.op('Neg', [mul(c, db ?? b.op('ReduceSum', [dy, b.ints(axes)], { keepdims: 0 }), gammaInv)])
    : undefined;
  let dVar: string | undefined;
  if (c.needs(4)) {
    const sumDyX = ds ?? b.op('ReduceSum', [mul(c, dy, xhat), b.ints(axes)], { keepdims: 0 });
    dVar = mul(c, mul(c, sumDyX, mul(c, gammaInv, invstd)), c.scalar(-0.5, x));
  }
  return [dx, ds, db, dMean, dVar];
}

export const normFamily: GradRuleFamily = {
  family: 'norm',
  rules: {
    LayerNormalization: layerNormGrad,
    InstanceNormalization: instanceNormGrad,
    BatchNormalization: batchNormGrad,
  },
};
