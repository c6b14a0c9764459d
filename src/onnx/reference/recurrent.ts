/**
 * LSTM and GRU (ONNX semantics, default activations) in float64: every direction, sequence_lens
 * (steps past a sequence's length leave the state unchanged and write zeros to Y; the reverse
 * direction starts at the sequence's own last step), initial states, peepholes and both layouts.
 */
import { recurrentSpec, type RecurrentSpec } from '../recurrent-spec.js';
import type { Kernel } from './kernel.js';
import { need } from './kernel.js';
import { makeTensor, type RefTensor } from './tensor-util.js';

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

function f64(t: RefTensor): Float64Array {
  return t.data instanceof Float64Array ? t.data : Float64Array.from(t.data as ArrayLike<number | bigint>, Number);
}

interface Dims {
  T: number;
  N: number;
  I: number;
  H: number;
}

/** x[t, b, :] for either layout. */
function xAt(X: Float64Array, spec: RecurrentSpec, d: Dims, t: number, b: number): Float64Array {
  const off = spec.layout === 0 ? (t * d.N + b) * d.I : (b * d.T + t) * d.I;
  return X.subarray(off, off + d.I);
}

/** out[g] = sum_k M[row0 + g, k] * v[k] for g < rows (M is [rows_total, cols], row-major). */
function matvec(M: Float64Array, cols: number, row0: number, rows: number, v: ArrayLike<number>): Float64Array {
  const out = new Float64Array(rows);
  for (let g = 0; g < rows; g++) {
    let s = 0;
    const o = (row0 + g) * cols;
    for (let k = 0; k < cols; k++) s += M[o + k] * v[k];
    out[g] = s;
  }
  return out;
}

/** One cell step for one batch row: returns the new hidden (and cell) state. */
type F = Float64Array<ArrayBufferLike>;
type Cell = (x: F, h: F, c: F, dir: number) => { h: F; c: F };

function lstmCell(
  W: Float64Array,
  R: Float64Array,
  B: Float64Array | undefined,
  P: Float64Array | undefined,
  d: Dims,
): Cell {
  const { I, H } = d;
  return (x, h, c, dir) => {
    const g = matvec(W, I, dir * 4 * H, 4 * H, x);
    const r = matvec(R, H, dir * 4 * H, 4 * H, h);
    for (let k = 0; k < 4 * H; k++) g[k] += r[k] + (B ? B[dir * 8 * H + k] + B[dir * 8 * H + 4 * H + k] : 0);
    const hn = new Float64Array(H),
      cn = new Float64Array(H);
    for (let k = 0; k < H; k++) {
      const p = (j: number) => (P ? P[dir * 3 * H + j * H + k] : 0);
      const i = sigmoid(g[k] + p(0) * c[k]);
      const f = sigmoid(g[2 * H + k] + p(2) * c[k]);
      cn[k] = f * c[k] + i * Math.tanh(g[3 * H + k]);
      const o = sigmoid(g[H + k] + p(1) * cn[k]);
      hn[k] = o * Math.tanh(cn[k]);
    }
    return { h: hn, c: cn };
  };
}

function gruCell(W: Float64Array, R: Float64Array, B: Float64Array | undefined, d: Dims, lbr: number): Cell {
  const { I, H } = d;
  return (x, h, c, dir) => {
    const g = matvec(W, I, dir * 3 * H, 3 * H, x);
    const wb = (k: number) => (B ? B[dir * 6 * H + k] : 0);
    const rb = (k: number) => (B ? B[dir * 6 * H + 3 * H + k] : 0);
    const rzr = matvec(R, H, dir * 3 * H, 2 * H, h);
    const z = new Float64Array(H),
      r = new Float64Array(H);
    for (let k = 0; k < H; k++) {
      z[k] = sigmoid(g[k] + rzr[k] + wb(k) + rb(k));
      r[k] = sigmoid(g[H + k] + rzr[H + k] + wb(H + k) + rb(H + k));
    }
    let rh: Float64Array;
    if (lbr) {
      rh = matvec(R, H, dir * 3 * H + 2 * H, H, h);
      for (let k = 0; k < H; k++) rh[k] = r[k] * (rh[k] + rb(2 * H + k));
    } else {
      rh = matvec(
        R,
        H,
        dir * 3 * H + 2 * H,
        H,
        Float64Array.from(h, (v, k) => v * r[k]),
      );
      for (let k = 0; k < H; k++) rh[k] += rb(2 * H + k);
    }
    const hn = new Float64Array(H);
    for (let k = 0; k < H; k++) {
      const ht = Math.tanh(g[2 * H + k] + wb(2 * H + k) + rh[k]);
      hn[k] = (1 - z[k]) * ht + z[k] * h[k];
    }
    return { h: hn, c };
  };
}

const recurrent: Kernel = (node, inputs) => {
  const spec = recurrentSpec(node);
  const x = need(inputs, 0, 'X'),
    w = need(inputs, 1, 'W'),
    r = need(inputs, 2, 'R');
  const [b, lens, h0, c0, p] = [inputs[3], inputs[4], inputs[5], inputs[6], inputs[7]];
  const [s0, s1, I] = x.dims;
  const d: Dims = { T: spec.layout === 0 ? s0 : s1, N: spec.layout === 0 ? s1 : s0, I, H: r.dims[2] };
  const { T, N, H } = d;
  const nd = spec.numDirections;
  const X = f64(x);
  const cell =
    spec.op === 'LSTM'
      ? lstmCell(f64(w), f64(r), b && f64(b), p && f64(p), d)
      : gruCell(f64(w), f64(r), b && f64(b), d, spec.linearBeforeReset);
  const Y = new Float64Array(T * nd * N * H),
    Yh = new Float64Array(nd * N * H),
    Yc = new Float64Array(nd * N * H);
  const H0 = h0 && f64(h0),
    C0 = c0 && f64(c0);
  for (let dir = 0; dir < nd; dir++) {
    const reverse = spec.direction === 'reverse' || dir === 1;
    for (let bi = 0; bi < N; bi++) {
      const len = lens ? Number(lens.data[bi]) : T;
      const so = spec.layout === 0 ? (dir * N + bi) * H : (bi * nd + dir) * H;
      let h: F = H0 ? H0.slice(so, so + H) : new Float64Array(H);
      let c: F = C0 ? C0.slice(so, so + H) : new Float64Array(H);
      for (let s = 0; s < len; s++) {
        const t = reverse ? len - 1 - s : s;
        ({ h, c } = cell(xAt(X, spec, d, t, bi), h, c, dir));
        const yo = spec.layout === 0 ? ((t * nd + dir) * N + bi) * H : ((bi * T + t) * nd + dir) * H;
        Y.set(h, yo);
      }
      const ho = so;
      Yh.set(h, ho);
      Yc.set(c, ho);
    }
  }
  const dtype = x.dtype;
  const yDims = spec.layout === 0 ? [T, nd, N, H] : [N, T, nd, H];
  const hDims = spec.layout === 0 ? [nd, N, H] : [N, nd, H];
  const outs: Array<RefTensor | undefined> = [makeTensor(dtype, yDims, Y), makeTensor(dtype, hDims, Yh)];
  if (spec.op === 'LSTM') outs.push(makeTensor(dtype, hDims, Yc));
  return outs;
};

export const kernels: Record<string, Kernel> = { LSTM: recurrent, GRU: recurrent };
