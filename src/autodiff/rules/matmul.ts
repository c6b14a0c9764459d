/** Gradient rules for MatMul (batched, broadcast, 1-D) and Gemm (every transA/transB/alpha/beta). */
import { A, attrFloat, attrInt, type Dim } from '../../onnx/ir.js';
import { broadcastShapes } from '../../onnx/shapes/dims.js';
import type { GradContext, GradRuleFamily } from '../rule.js';

function swapLast(c: GradContext, x: string, rank: number): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return c.b.op('Transpose', [x], { perm });
}

function matmulGrad(c: GradContext): Array<string | undefined> {
  const { b } = c;
  let [a, w] = [c.x(0), c.x(1)];
  let dy = c.dy(0)!;
  let as = c.shape(a);
  let ws = c.shape(w);
  const dtype = c.dtype(a);
  const aVec = as.length === 1;
  const wVec = ws.length === 1;
  // 1-D operands behave as [1, K] and [K, 1]; restore those axes in dY too
  if (aVec) {
    a = b.op('Unsqueeze', [a, b.ints([0])]);
    as = [1, as[0]];
  }
  if (wVec) {
    w = b.op('Unsqueeze', [w, b.ints([1])]);
    ws = [ws[0], 1];
  }
  if (aVec) dy = b.op('Unsqueeze', [dy, b.ints([-2])]);
  if (wVec) dy = b.op('Unsqueeze', [dy, b.ints([-1])]);
  const batch = broadcastShapes([as.slice(0, -2), ws.slice(0, -2)], c.where);
  const yShape: Dim[] = [...batch, as[as.length - 2], ws[ws.length - 1]];
  c.setShape(dy, yShape, dtype);
  c.setShape(a, as, dtype);
  c.setShape(w, ws, dtype);

  let da: string | undefined;
  if (c.needs(0)) {
    let g = b.op('MatMul', [dy, swapLast(c, w, ws.length)]);
    const gShape: Dim[] = [...batch, as[as.length - 2], as[as.length - 1]];
    c.setShape(g, gShape, dtype);
    g = c.unbroadcast(g, g, a);
    da = aVec ? b.op('Squeeze', [g, b.ints([0])]) : g;
  }
  let dw: string | undefined;
  if (c.needs(1)) {
    let g: string;
    if (ws.length === 2 && as.length > 2) {
      // x[..., K] @ W[K, E]: fold the batch axes into one Gemm instead of a batched MatMul + sum
      const k = as[as.length - 1];
      const e = ws[1];
      const a2 = b.op('Reshape', [a, b.ints([-1, typeof k === 'number' ? k : 0])]);
      const dy2 = b.op('Reshape', [dy, b.ints([-1, typeof e === 'number' ? e : 0])]);
      g = b.op('Gemm', [a2, dy2], { transA: 1 });
    } else {
      g = b.op('MatMul', [swapLast(c, a, as.length), dy]);
      c.setShape(g, [...batch, ws[ws.length - 2], ws[ws.length - 1]], dtype);
      g = c.unbroadcast(g, g, w);
    }
    dw = wVec ? b.op('Squeeze', [g, b.ints([1])]) : g;
  }
  return [da, dw];
}

function gemmGrad(c: GradContext): Array<string | undefined> {
  const { b } = c;
  const [a, w, bias] = [c.x(0), c.x(1), c.x(2)];
  const dy = c.dy(0)!;
  const alpha = attrFloat(c.node, 'alpha', 1);
  const beta = attrFloat(c.node, 'beta', 1);
  const ta = attrInt(c.node, 'transA', 0);
  const tb = attrInt(c.node, 'transB', 0);
  const da = !c.needs(0)
    ? undefined
    : ta === 0
      ? b.op('Gemm', [dy, w], { alpha: A.float(alpha), transB: 1 - tb })
      : b.op('Gemm', [w, dy], { alpha: A.float(alpha), transA: tb, transB: 1 });
  const dw = !c.needs(1)
    ? undefined
    : tb === 0
      ? b.op('Gemm', [a, dy], { alpha: A.float(alpha), transA: 1 - ta })
      : b.op('Gemm', [dy, a], { alpha: A.float(alpha), transA: 1, transB: ta });
  let dc: string | undefined;
  if (bias && c.needs(2)) {
    const scaled = beta === 1 ? dy : b.op('Mul', [dy, c.scalar(beta, dy)]);
    dc = c.unbroadcast(scaled, c.y(0), bias);
  }
  return [da, dw, dc];
}

export const matmulFamily: GradRuleFamily = {
  family: 'matmul',
  rules: { MatMul: matmulGrad, Gemm: gemmGrad },
};
