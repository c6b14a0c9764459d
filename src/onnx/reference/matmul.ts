/**
 * MatMul (numpy semantics: batched, broadcast batch dims, 1-D operands) and Gemm.
 */
import { attrFloat, attrInt } from '../ir.js';
import type { Kernel } from './kernel.js';
import { need } from './kernel.js';
import type { RefTensor } from './tensor-util.js';
import { broadcastMap, broadcastShapes, dataFromNumbers, makeTensor, sizeOf } from './tensor-util.js';

/** Element values as float64 (integer MatMul is computed in float64 and converted back). */
function asF64(t: RefTensor): Float64Array {
  if (t.data instanceof Float64Array) return t.data;
  return Float64Array.from(t.data as ArrayLike<number | bigint>, Number);
}

export function matmul(a: RefTensor, b: RefTensor): RefTensor {
  if (a.dims.length === 0 || b.dims.length === 0) throw new Error('MatMul inputs must have rank >= 1');
  const ad = a.dims.length === 1 ? [1, a.dims[0]] : a.dims;
  const bd = b.dims.length === 1 ? [b.dims[0], 1] : b.dims;
  const M = ad[ad.length - 2],
    K = ad[ad.length - 1],
    K2 = bd[bd.length - 2],
    N = bd[bd.length - 1];
  if (K !== K2) throw new Error(`MatMul inner dimensions differ: [${a.dims}] x [${b.dims}]`);
  const aBatch = ad.slice(0, -2),
    bBatch = bd.slice(0, -2);
  const batch = broadcastShapes(aBatch, bBatch);
  const nb = sizeOf(batch);
  const ma = broadcastMap(aBatch, batch),
    mb = broadcastMap(bBatch, batch);
  const A = asF64(a),
    B = asF64(b);
  const out = new Float64Array(nb * M * N);
  for (let bi = 0; bi < nb; bi++) {
    const ao = (ma ? ma[bi] : bi) * M * K,
      bo = (mb ? mb[bi] : bi) * K * N,
      oo = bi * M * N;
    for (let i = 0; i < M; i++) {
      const orow = oo + i * N,
        arow = ao + i * K;
      for (let k = 0; k < K; k++) {
        const av = A[arow + k];
        const brow = bo + k * N;
        for (let j = 0; j < N; j++) out[orow + j] += av * B[brow + j];
      }
    }
  }
  const dims = [...batch];
  if (a.dims.length !== 1) dims.push(M);
  if (b.dims.length !== 1) dims.push(N);
  const data = a.data instanceof Float64Array ? out : dataFromNumbers(a.dtype, out);
  return makeTensor(a.dtype, dims, data);
}

const gemm: Kernel = (node, inputs) => {
  const a = need(inputs, 0, 'A'),
    b = need(inputs, 1, 'B'),
    c = inputs[2];
  const alpha = attrFloat(node, 'alpha', 1),
    beta = attrFloat(node, 'beta', 1);
  const tA = attrInt(node, 'transA', 0),
    tB = attrInt(node, 'transB', 0);
  if (a.dims.length !== 2 || b.dims.length !== 2)
    throw new Error(`Gemm needs 2-D A and B, got [${a.dims}] and [${b.dims}]`);
  const M = tA ? a.dims[1] : a.dims[0],
    K = tA ? a.dims[0] : a.dims[1];
  const K2 = tB ? b.dims[1] : b.dims[0],
    N = tB ? b.dims[0] : b.dims[1];
  if (K !== K2) throw new Error(`Gemm inner dimensions differ: A [${a.dims}] transA=${tA}, B [${b.dims}] transB=${tB}`);
  const A = asF64(a),
    B = asF64(b);
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += A[tA ? k * M + i : i * K + k] * B[tB ? j * K + k : k * N + j];
      out[i * N + j] = alpha * s;
    }
  }
  if (c !== undefined && beta !== 0) {
    const cd = broadcastShapes(c.dims, [M, N]);
    if (cd.length !== 2 || cd[0] !== M || cd[1] !== N)
      throw new Error(`C [${c.dims}] does not broadcast to [${M}, ${N}]`);
    const map = broadcastMap(c.dims, [M, N]),
      C = asF64(c);
    for (let i = 0; i < M * N; i++) out[i] += beta * C[map ? map[i] : i];
  }
  return [makeTensor(a.dtype, [M, N], a.data instanceof Float64Array ? out : dataFromNumbers(a.dtype, out))];
};

export const kernels: Record<string, Kernel> = {
  MatMul: (_n, inputs) => [matmul(need(inputs, 0, 'A'), need(inputs, 1, 'B'))],
  Gemm: gemm,
};
