import ort from 'onnxruntime-node';
import { encodeModel } from '../src/onnx/io.js';
import { GraphBuilder } from '../src/onnx/builder.js';
import { emptyGraph, type Graph } from '../src/onnx/ir.js';
import { inferShapes } from '../src/onnx/shapes/infer.js';
import { differentiate } from '../src/autodiff/engine.js';
import { NCHWC_DOMAIN, lowerConvsToNchwc } from '../src/autodiff/rules/conv-nchwc.js';
const N = 64, C = Number(process.argv[2] ?? 16), H = Number(process.argv[3] ?? 32), B = 8;
const v = (name: string, shape: number[]) => ({ name, dtype: 'float32' as const, shape });
function current(): { g: Graph; out: string } {
  const g = emptyGraph('g'); const b = new GraphBuilder(g, 'fw');
  g.inputs.push(v('X', [N, C, H, H]), v('W', [C, C, 3, 3]), v('G', [N, C, H, H]));
  const y = b.op('Conv', ['X', 'W'], { pads: [1, 1, 1, 1] });
  const loss = b.op('ReduceSum', [b.op('Mul', [y, 'G'])], { keepdims: 0 });
  g.outputs = [v(loss, [])];
  const { grads } = differentiate(g, inferShapes(g, 18), { loss, wrt: ['W'], opset: 18 });
  // keep only the gradient: drop the forward Conv's cost by making the loss gradient G itself (ReduceSum(Mul(y,G)) -> dY = G)
  g.outputs = [v(grads.get('W')!, [C, C, 3, 3])];
  return { g, out: grads.get('W')! };
}
function batchAsChannels(lower: boolean): { g: Graph; out: string } {
  const g = emptyGraph('g'); const b = new GraphBuilder(g, 'x');
  g.inputs.push(v('X', [N, C, H, H]), v('W', [C, C, 3, 3]), v('G', [N, C, H, H]));
  const xt = b.op('Transpose', [b.op('Pad', ['X', b.ints([0, 0, 1, 1, 0, 0, 1, 1])])], { perm: [1, 0, 2, 3] });
  const gt = b.op('Transpose', ['G'], { perm: [1, 0, 2, 3] });
  const o = b.op('Conv', [xt, gt]);
  b.emit('Transpose', [o], ['dW'], { perm: [1, 0, 2, 3] });
  g.outputs = [v('dW', [C, C, 3, 3])];
  if (lower) lowerConvsToNchwc(g, inferShapes(g, 18), B);
  return { g, out: 'dW' };
}
const enc = (g: Graph) => encodeModel({ irVersion: 8, opset: new Map([['', 18], [NCHWC_DOMAIN, 1]]), producerName: 'x', producerVersion: '', domain: '', modelVersion: 1, docString: '', metadata: {}, graph: g });
const rnd = (d: number[]) => new ort.Tensor('float32', Float32Array.from({ length: d.reduce((a, x) => a * x, 1) }, (_, i) => Math.sin(i * 1.3)), d);
const feeds = { X: rnd([N, C, H, H]), W: rnd([C, C, 3, 3]), G: rnd([N, C, H, H]) };
const cases = { current: current(), bac: batchAsChannels(false), bacNchwc: batchAsChannels(true) };
const ss: Record<string, ort.InferenceSession> = {};
for (const [k, c] of Object.entries(cases)) ss[k] = await ort.InferenceSession.create(enc(c.g), { intraOpNumThreads: 1, graphOptimizationLevel: 'all' });
const res: Record<string, Float32Array> = {};
for (const [k, c] of Object.entries(cases)) { const f: Record<string, ort.Tensor> = {}; for (const n of ss[k].inputNames) f[n] = (feeds as any)[n]; res[k] = (await ss[k].run(f))[c.out].data as Float32Array; }
for (const k of ['bac', 'bacNchwc']) { let md = 0; for (let i = 0; i < res.current.length; i++) md = Math.max(md, Math.abs(res[k][i] - res.current[i]) / Math.max(1, Math.abs(res.current[i]))); console.log(k, 'max rel diff', md); }
const t: Record<string, number[]> = {};
for (let i = 0; i < 9; i++) for (const k of Object.keys(cases)) { const f: Record<string, ort.Tensor> = {}; for (const n of ss[k].inputNames) f[n] = (feeds as any)[n]; const c0 = process.cpuUsage(); await ss[k].run(f); const c = process.cpuUsage(c0); (t[k] ??= []).push((c.user + c.system) / 1e3); }
const med = (x: number[]) => x.sort((p, q) => p - q)[x.length >> 1];
console.log(`C=${C} H=${H} dW CPU ms:`, Object.keys(t).map((k) => `${k} ${med(t[k])}`).join(', '));
