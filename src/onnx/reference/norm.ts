/**
 * Normalization and Dropout: BatchNormalization (inference, and training_mode=1 per opset 15
 * with running-statistics outputs), LayerNormalization (with Mean/InvStdDev outputs),
 * InstanceNormalization, GroupNormalization, Dropout.
 */
import { attrFloat, attrInt } from '../ir.js';
import { dtypeFromCode } from '../tensor.js';
import type { Kernel } from './kernel.js';
import { need } from './kernel.js';
import type { RefTensor } from './tensor-util.js';
import { broadcastMap, floatData, makeTensor, normAxis, scalarOf, sizeOf } from './tensor-util.js';

/** Per-channel mean and population variance of X [N, C, ...]. */
function channelStats(X: Float64Array, N: number, C: number, S: number): { mean: Float64Array; vari: Float64Array } {
  const mean = new Float64Array(C),
    vari = new Float64Array(C),
    M = N * S;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const b = (n * C + c) * S;
      for (let s = 0; s < S; s++) mean[c] += X[b + s];
    }
  for (let c = 0; c < C; c++) mean[c] /= M;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const b = (n * C + c) * S;
      for (let s = 0; s < S; s++) {
        const d = X[b + s] - mean[c];
        vari[c] += d * d;
      }
    }
  }
  for (let c = 0; c < C; c++) vari[c] /= M;
  return { mean, vari };
}

const batchNorm: Kernel = (node, inputs) => {
  const x = need(inputs, 0, 'X'),
    X = floatData(x, 'X');
  const scale = floatData(need(inputs, 1, 'scale'), 'scale'),
    bias = floatData(need(inputs, 2, 'B'), 'B');
  const inMean = floatData(need(inputs, 3, 'input_mean'), 'input_mean'),
    inVar = floatData(need(inputs, 4, 'input_var'), 'input_var');
  const eps = attrFloat(node, 'epsilon', 1e-5),
    momentum = attrFloat(node, 'momentum', 0.9);
  const training = attrInt(node, 'training_mode', 0) !== 0;
  if (x.dims.length < 2) throw new Error(`X must have rank >= 2, got [${x.dims}]`);
  const N = x.dims[0],
    C = x.dims[1],
    S = sizeOf(x.dims.slice(2));
  let mean = inMean,
    vari = inVar;
  let runMean: Float64Array | null = null,
    runVar: Float64Array | null = null;
  if (training) {
    ({ mean, vari } = channelStats(X, N, C, S));
    runMean = new Float64Array(C);
    runVar = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      runMean[c] = inMean[c] * momentum + mean[c] * (1 - momentum);
      runVar[c] = inVar[c] * momentum + vari[c] * (1 - momentum);
    }
  }
  const out = new Float64Array(X.length);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const b = (n * C + c) * S,
        inv = 1 / Math.sqrt(vari[c] + eps),
        m = mean[c],
        g = scale[c],
        be = bias[c];
      for (let s = 0; s < S; s++) out[b + s] = (X[b + s] - m) * inv * g + be;
    }
  }
  const res: Array<RefTensor | undefined> = [makeTensor(x.dtype, [...x.dims], out)];
  if (runMean && runVar) {
    res.push(makeTensor(inputs[3]!.dtype, [C], runMean), makeTensor(inputs[4]!.dtype, [C], runVar));
  }
  return res;
};

const layerNorm: Kernel = (node, inputs) => {
  const x = need(inputs, 0, 'X'),
    X = floatData(x, 'X');
  const sc = need(inputs, 1, 'Scale'),
    bi = inputs[2];
  const r = x.dims.length;
  const axis = normAxis(attrInt(node, 'axis', -1), r);
  const eps = attrFloat(node, 'epsilon', 1e-5);
  const normDims = x.dims.slice(axis),
    outer = sizeOf(x.dims.slice(0, axis)),
    len = sizeOf(normDims);
  const S = floatData(sc, 'Scale'),
    B = bi ? floatData(bi, 'B') : null;
  const ms = broadcastMap(sc.dims, normDims),
    mb = bi ? broadcastMap(bi.dims, normDims) : null;
  const out = new Float64Array(X.length),
    meanOut = new Float64Array(outer),
    invOut = new Float64Array(outer);
  for (let o = 0; o < outer; o++) {
    const b = o * len;
    let m = 0;
    for (let i = 0; i < len; i++) m += X[b + i];
    m /= len;
    let v = 0;
    for (let i = 0; i < len; i++) {
      const d = X[b + i] - m;
      v += d * d;
    }
    const inv = 1 / Math.sqrt(v / len + eps);
    meanOut[o] = m;
    invOut[o] = inv;
    for (let i = 0; i < len; i++) {
      out[b + i] = (X[b + i] - m) * inv * S[ms ? ms[i] : i] + (B ? B[mb ? mb[i] : i] : 0);
    }
  }
  const statDims = x.dims.map((d, i) => (i < axis ? d : 1));
  const statType = node.attrs.stash_type ? dtypeFromCode(attrInt(node, 'stash_type')) : 'float32';
  return [
    makeTensor(x.dtype, [...x.dims], out),
    makeTensor(statType, statDims, meanOut),
    makeTensor(statType, statDims, invOut),
  ];
};

const instanceNorm: Kernel = (node, inputs) => {
  const x = need(inputs, 0, 'input'),
    X = floatData(x, 'input');
  const S = floatData(need(inputs, 1, 'scale'), 'scale'),
    B = floatData(need(inputs, 2, 'B'), 'B');
  const eps = attrFloat(node, 'epsilon', 1e-5);
  if (x.dims.length < 3) throw new Error(`input must have rank >= 3, got [${x.dims}]`);
  const N = x.dims[0],
    C = x.dims[1],
    len = sizeOf(x.dims.slice(2));
  const out = new Float64Array(X.length);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const b = (n * C + c) * len;
      let m = 0;
      for (let i = 0; i < len; i++) m += X[b + i];
      m /= len;
      let v = 0;
      for (let i = 0; i < len; i++) {
        const d = X[b + i] - m;
        v += d * d;
      }
      const inv = 1 / Math.sqrt(v / len + eps);
      for (let i = 0; i < len; i++) out[b + i] = (X[b + i] - m) * inv * S[c] + B[c];
    }
  }
  return [makeTensor(x.dtype, [...x.dims], out)];
};

/**
 * GroupNormalization: statistics over each group of C/num_groups channels. Scale and bias are
 * per group ([num_groups], opset 18) or per channel ([C], opset 21); their length decides.
 */
const groupNorm: Kernel = (node, inputs) => {
  const x = need(inputs, 0, 'X'),
    X = floatData(x, 'X');
  const S = floatData(need(inputs, 1, 'scale'), 'scale'),
    B = floatData(need(inputs, 2, 'bias'), 'bias');
  const G = attrInt(node, 'num_groups'),
    eps = attrFloat(node, 'epsilon', 1e-5);
  const N = x.dims[0],
    C = x.dims[1],
    sp = sizeOf(x.dims.slice(2));
  if (C % G !== 0) throw new Error(`channels ${C} are not divisible by num_groups ${G}`);
  const perChannel = S.length === C && C !== G ? true : S.length === G ? false : S.length === C;
  const cg = C / G,
    len = cg * sp;
  const out = new Float64Array(X.length);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const b = (n * C + g * cg) * sp;
      let m = 0;
      for (let i = 0; i < len; i++) m += X[b + i];
      m /= len;
      let v = 0;
      for (let i = 0; i < len; i++) {
        const d = X[b + i] - m;
        v += d * d;
      }
      const inv = 1 / Math.sqrt(v / len + eps);
      for (let i = 0; i < len; i++) {
        const c = g * cg + Math.floor(i / sp),
          k = perChannel ? c : g;
        out[b + i] = (X[b + i] - m) * inv * S[k] + B[k];
      }
    }
  }
  return [makeTensor(x.dtype, [...x.dims], out)];
};

/**
 * Dropout. Inference (training_mode absent or false) and ratio 0 are the identity with an all-true
 * mask. Training with ratio > 0 throws: a random mask cannot match ORT's generator; feed a mask
 * and multiply instead.
 */
const dropout: Kernel = (_node, inputs) => {
  const x = need(inputs, 0, 'data');
  const ratio = inputs[1] !== undefined ? scalarOf(inputs[1], 'ratio') : 0.5;
  const training = inputs[2] !== undefined && scalarOf(inputs[2], 'training_mode') !== 0;
  if (training && ratio !== 0) {
    throw new Error(
      `Dropout in training mode with ratio ${ratio} is random and cannot be reproduced by the reference interpreter; use ratio 0 or an explicit mask`,
    );
  }
  const mask = new Uint8Array(x.data.length).fill(1);
  return [x, makeTensor('bool', [...x.dims], mask)];
};

export const kernels: Record<string, Kernel> = {
  BatchNormalization: batchNorm,
  LayerNormalization: layerNorm,
  InstanceNormalization: instanceNorm,
  GroupNormalization: groupNorm,
  Dropout: dropout,
};
