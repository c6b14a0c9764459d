/**
 * Loss ops that exporters emit (e.g. PyTorch's CrossEntropyLoss): NegativeLogLikelihoodLoss and
 * SoftmaxCrossEntropyLoss (opset 13), with weights, ignore_index and reduction none/sum/mean.
 */
import type { Node } from '../ir.js';
import { attrInt, attrString } from '../ir.js';
import type { Kernel } from './kernel.js';
import { need } from './kernel.js';
import type { RefTensor } from './tensor-util.js';
import { floatData, makeTensor, numbersOf, sizeOf } from './tensor-util.js';

/** NLL over log-probabilities `L` [N, C, d...] and targets [N, d...]. */
function nll(
  node: Node,
  lp: Float64Array,
  dims: number[],
  target: RefTensor,
  weight: RefTensor | undefined,
  dtype: RefTensor['dtype'],
): RefTensor {
  const N = dims[0],
    C = dims[1],
    D = sizeOf(dims.slice(2));
  const tdims = [N, ...dims.slice(2)];
  if (target.dims.length !== tdims.length || target.dims.some((d, i) => d !== tdims[i]))
    throw new Error(`target [${target.dims}] should be [${tdims}]`);
  const T = numbersOf(target),
    W = weight ? floatData(weight, 'weight') : null;
  const ignore = node.attrs.ignore_index ? attrInt(node, 'ignore_index') : null;
  const reduction = attrString(node, 'reduction', 'mean');
  const loss = new Float64Array(N * D);
  let wsum = 0;
  for (let n = 0; n < N; n++) {
    for (let d = 0; d < D; d++) {
      const t = T[n * D + d];
      if (ignore !== null && t === ignore) continue;
      if (!(t >= 0 && t < C)) throw new Error(`target ${t} is out of range for ${C} classes`);
      const w = W ? W[t] : 1;
      loss[n * D + d] = -lp[(n * C + t) * D + d] * w;
      wsum += w;
    }
  }
  if (reduction === 'none') return makeTensor(dtype, tdims, loss);
  let s = 0;
  for (let i = 0; i < loss.length; i++) s += loss[i];
  if (reduction === 'sum') return makeTensor(dtype, [], Float64Array.of(s));
  if (reduction !== 'mean') throw new Error(`reduction must be none, sum or mean, got '${reduction}'`);
  return makeTensor(dtype, [], Float64Array.of(s / wsum));
}

const nllLoss: Kernel = (node, inputs) => {
  const x = need(inputs, 0, 'input');
  return [nll(node, floatData(x, 'input'), x.dims, need(inputs, 1, 'target'), inputs[2], x.dtype)];
};

const softmaxCrossEntropy: Kernel = (node, inputs) => {
  const x = need(inputs, 0, 'scores'),
    X = floatData(x, 'scores');
  if (x.dims.length < 2) throw new Error(`scores must have rank >= 2, got [${x.dims}]`);
  const N = x.dims[0],
    C = x.dims[1],
    D = sizeOf(x.dims.slice(2));
  const lp = new Float64Array(X.length);
  for (let n = 0; n < N; n++) {
    for (let d = 0; d < D; d++) {
      const b = n * C * D + d;
      let m = -Infinity;
      for (let c = 0; c < C; c++) m = Math.max(m, X[b + c * D]);
      let s = 0;
      for (let c = 0; c < C; c++) s += Math.exp(X[b + c * D] - m);
      const ls = m + Math.log(s);
      for (let c = 0; c < C; c++) lp[b + c * D] = X[b + c * D] - ls;
    }
  }
  const loss = nll(node, lp, x.dims, need(inputs, 1, 'labels'), inputs[2], x.dtype);
  return [loss, makeTensor(x.dtype, [...x.dims], lp)];
};

export const kernels: Record<string, Kernel> = {
  NegativeLogLikelihoodLoss: nllLoss,
  SoftmaxCrossEntropyLoss: softmaxCrossEntropy,
};
