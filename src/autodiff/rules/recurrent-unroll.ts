/**
 * LSTM and GRU written out over a static sequence length with standard ops (MatMul, Sigmoid,
 * Tanh, Mul, Add, Split, Concat): the same function as the ONNX node, in a form every other rule
 * can differentiate. `sequence_lens` becomes a per-step mask: past a row's length the state is held
 * and Y is zero; the reverse direction therefore starts at the row's own last step, as ONNX says.
 */
import type { GraphBuilder } from '../../onnx/builder.js';
import type { RecurrentSpec } from '../../onnx/recurrent-spec.js';
import type { DType } from '../../onnx/tensor.js';

/** Names of the node's inputs ('' where absent). */
export interface RecurrentInputs {
  X: string;
  W: string;
  R: string;
  B: string;
  lens: string;
  h0: string;
  c0: string;
  P: string;
}

export interface Unrolled {
  y: string;
  yh: string;
  yc?: string;
}

export function unrollRecurrent(
  b: GraphBuilder,
  spec: RecurrentSpec,
  inp: RecurrentInputs,
  T: number,
  H: number,
  dtype: DType,
): Unrolled {
  const one = b.constant(dtype, 1, []);
  const split = (v: string, sizes: number[], axis: number) =>
    b.opN('Split', [v, b.ints(sizes)], sizes.length, { axis });
  const add = (a: string, c: string | undefined) => (c === undefined ? a : b.op('Add', [a, c]));
  const addOpt = (a: string | undefined, c: string | undefined) => (a === undefined ? c : add(a, c));
  const G = spec.gates;
  const nd = spec.numDirections;
  const X = spec.layout ? b.op('Transpose', [inp.X], { perm: [1, 0, 2] }) : inp.X;
  /** Direction d of a per-direction tensor (direction axis `axis`). */
  const dirOf = (v: string, d: number, axis = 0) =>
    b.op('Squeeze', [nd === 1 ? v : b.op('Slice', [v, b.ints([d]), b.ints([d + 1]), b.ints([axis])]), b.ints([axis])]);
  const stateAxis = spec.layout ? 1 : 0;
  let masks: string[] | undefined;
  if (inp.lens) {
    const lens = b.op('Unsqueeze', [b.op('CastLike', [inp.lens, X]), b.ints([1])]);
    masks = Array.from({ length: T }, (_, t) => b.op('CastLike', [b.op('Less', [b.constant(dtype, t, []), lens]), X]));
  }
  const yDirs: string[] = [],
    hDirs: string[] = [],
    cDirs: string[] = [];
  for (let d = 0; d < nd; d++) {
    const reverse = spec.direction === 'reverse' || d === 1;
    const WT = b.op('Transpose', [dirOf(inp.W, d)], { perm: [1, 0] });
    const RT = b.op('Transpose', [dirOf(inp.R, d)], { perm: [1, 0] });
    let wb: string | undefined, rb: string | undefined;
    if (inp.B) [wb, rb] = split(dirOf(inp.B, d), [G * H, G * H], 0);
    const XW = b.op('MatMul', [X, WT]);
    const xs =
      T === 1
        ? [b.op('Squeeze', [XW, b.ints([0])])]
        : split(XW, Array(T).fill(1), 0).map((s) => b.op('Squeeze', [s, b.ints([0])]));
    let h = inp.h0 ? dirOf(inp.h0, d, stateAxis) : undefined;
    let c = inp.c0 ? dirOf(inp.c0, d, stateAxis) : undefined;
    const ys: string[] = new Array(T);
    const P = spec.op === 'LSTM' && inp.P ? split(dirOf(inp.P, d), [H, H, H], 0) : undefined;
    const lstmBias = wb && rb ? b.op('Add', [wb, rb]) : undefined;
    let gru: { RzrT: string; RhT: string; rbzr?: string; rbh?: string; wbzr?: string; wbh?: string } | undefined;
    if (spec.op === 'GRU') {
      const [RzrT, RhT] = split(RT, [2 * H, H], 1);
      const [rbzr, rbh] = rb ? split(rb, [2 * H, H], 0) : [undefined, undefined];
      const [wbzr, wbh] = wb ? split(wb, [2 * H, H], 0) : [undefined, undefined];
      gru = { RzrT, RhT, rbzr, rbh, wbzr, wbh };
    }
    for (let s = 0; s < T; s++) {
      const t = reverse ? T - 1 - s : s;
      let hn: string, cn: string | undefined;
      if (spec.op === 'LSTM') {
        let g = add(xs[t], lstmBias);
        if (h) g = b.op('Add', [g, b.op('MatMul', [h, RT])]);
        const [gi, go, gf, gc] = split(g, [H, H, H, H], 1);
        const peep = (x: string, p: number, state: string | undefined) =>
          P && state ? b.op('Add', [x, b.op('Mul', [P[p], state])]) : x;
        const i = b.op('Sigmoid', [peep(gi, 0, c)]);
        const cand = b.op('Mul', [i, b.op('Tanh', [gc])]);
        cn = c ? b.op('Add', [b.op('Mul', [b.op('Sigmoid', [peep(gf, 2, c)]), c]), cand]) : cand;
        const o = b.op('Sigmoid', [peep(go, 1, cn)]);
        hn = b.op('Mul', [o, b.op('Tanh', [cn])]);
      } else {
        const q = gru!;
        const [xzr, xh] = split(xs[t], [2 * H, H], 1);
        const zr = b.op('Sigmoid', [
          addOpt(add(add(xzr, q.wbzr), q.rbzr), h ? b.op('MatMul', [h, q.RzrT]) : undefined)!,
        ]);
        const [z, r] = split(zr, [H, H], 1);
        let rec: string | undefined;
        if (spec.linearBeforeReset)
          rec = h || q.rbh ? b.op('Mul', [r, addOpt(h ? b.op('MatMul', [h, q.RhT]) : undefined, q.rbh)!]) : undefined;
        else rec = addOpt(h ? b.op('MatMul', [b.op('Mul', [r, h]), q.RhT]) : undefined, q.rbh);
        const cand = b.op('Tanh', [addOpt(add(xh, q.wbh), rec)!]);
        const keep = b.op('Sub', [one, z]);
        hn = h ? b.op('Add', [b.op('Mul', [keep, cand]), b.op('Mul', [z, h])]) : b.op('Mul', [keep, cand]);
      }
      if (masks) {
        const m = masks[t];
        ys[t] = b.op('Mul', [m, hn]);
        h = h ? b.op('Add', [h, b.op('Mul', [m, b.op('Sub', [hn, h])])]) : ys[t];
        if (cn) c = c ? b.op('Add', [c, b.op('Mul', [m, b.op('Sub', [cn, c])])]) : b.op('Mul', [m, cn]);
      } else {
        ys[t] = hn;
        h = hn;
        c = cn;
      }
    }
    yDirs.push(
      b.op('Unsqueeze', [
        b.op(
          'Concat',
          ys.map((y) => b.op('Unsqueeze', [y, b.ints([0])])),
          { axis: 0 },
        ),
        b.ints([1]),
      ]),
    );
    hDirs.push(b.op('Unsqueeze', [h!, b.ints([0])]));
    if (c) cDirs.push(b.op('Unsqueeze', [c, b.ints([0])]));
  }
  const cat = (vs: string[], axis: number) => (vs.length === 1 ? vs[0] : b.op('Concat', vs, { axis }));
  let y = cat(yDirs, 1),
    yh = cat(hDirs, 0);
  let yc = cDirs.length ? cat(cDirs, 0) : undefined;
  if (spec.layout) {
    y = b.op('Transpose', [y], { perm: [2, 0, 1, 3] });
    yh = b.op('Transpose', [yh], { perm: [1, 0, 2] });
    if (yc) yc = b.op('Transpose', [yc], { perm: [1, 0, 2] });
  }
  return { y, yh, yc };
}
