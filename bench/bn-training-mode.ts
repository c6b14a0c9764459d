/**
 * BatchNormalization training form: 'fused' (batch stats + inference BN node + closed-form
 * gradient) vs 'primitives' (ReduceMean/Sub/Mul/... differentiated op by op), forward + backward
 * in ORT CPU, 1 thread. Usage: npx tsx bench/bn-training-mode.ts [N C H W]
 */
import ort from 'onnxruntime-node';
import { emptyGraph } from '../src/onnx/ir.js';
import { GraphBuilder } from '../src/onnx/builder.js';
import { encodeModel } from '../src/onnx/io.js';
import { inferShapes } from '../src/onnx/shapes/infer.js';
import { tensor, sizeOf } from '../src/onnx/tensor.js';
import { differentiate } from '../src/autodiff/engine.js';
import { rewriteForTraining } from '../src/autodiff/training-mode.js';
import { Rng } from '../src/util/rng.js';

const dims = process.argv.length >= 6 ? process.argv.slice(2, 6).map(Number) : [64, 16, 14, 14];
const C = dims[1];
const rng = new Rng(1);
const rand = (d: number[], lo = -1, hi = 1) => Float32Array.from({ length: sizeOf(d) }, () => rng.uniform(lo, hi));

async function build(form: 'fused' | 'primitives' | 'forward-only') {
  const g = emptyGraph('bn');
  g.inputs.push(
    { name: 'X', dtype: 'float32', shape: dims },
    { name: 'scale', dtype: 'float32', shape: [C] },
    { name: 'B', dtype: 'float32', shape: [C] },
    { name: 'R', dtype: 'float32', shape: dims },
    { name: 'seed', dtype: 'int64', shape: [] },
    { name: 'step', dtype: 'int64', shape: [] },
  );
  g.initializers.set('rm', tensor('float32', [C], rand([C])));
  g.initializers.set('rv', tensor('float32', [C], rand([C], 0.5, 1.5)));
  const b = new GraphBuilder(g, 'm');
  const y = b.op('BatchNormalization', ['X', 'scale', 'B', 'rm', 'rv']);
  const r = rewriteForTraining(g, inferShapes(g, 18), {
    dropoutSeedInput: 'seed',
    stepInput: 'step',
    batchNorm: form === 'primitives' ? 'primitives' : 'fused',
  });
  const b2 = new GraphBuilder(g, 'loss');
  const loss = b2.op('ReduceSum', [b2.op('Mul', [y, 'R'])], { keepdims: 0 });
  g.outputs = [
    { name: loss, dtype: 'float32', shape: [] },
    ...r.stateOutputs.map((s) => ({ name: s.output, dtype: 'float32' as const, shape: [C] })),
  ];
  if (form !== 'forward-only') {
    const { grads } = differentiate(g, inferShapes(g, 18), { loss, wrt: ['X', 'scale', 'B'], opset: 18 });
    g.outputs.push(
      ...['X', 'scale', 'B'].map((p) => ({
        name: grads.get(p)!,
        dtype: 'float32' as const,
        shape: p === 'X' ? dims : [C],
      })),
    );
  }
  const model = {
    irVersion: 8,
    opset: new Map([['', 18]]),
    producerName: '',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    graph: g,
  };
  const s = await ort.InferenceSession.create(encodeModel(model), { intraOpNumThreads: 1 });
  return { s, nodes: g.nodes.length };
}

const feeds = {
  X: new ort.Tensor('float32', rand(dims, -2, 2), dims),
  scale: new ort.Tensor('float32', rand([C]), [C]),
  B: new ort.Tensor('float32', rand([C]), [C]),
  R: new ort.Tensor('float32', rand(dims), dims),
  rm: new ort.Tensor('float32', rand([C]), [C]),
  rv: new ort.Tensor('float32', rand([C], 0.5, 1.5), [C]),
  seed: new ort.Tensor('int64', [1n], []),
  step: new ort.Tensor('int64', [1n], []),
};
const forms = ['forward-only', 'fused', 'primitives'] as const;
const sessions = await Promise.all(forms.map(build));
const times: Record<string, number[]> = Object.fromEntries(forms.map((f) => [f, []]));
for (let i = 0; i < 10; i++) for (const s of sessions) await s.s.run(feeds);
// interleave the variants so machine load affects them alike; report medians
for (let rep = 0; rep < 40; rep++) {
  for (let k = 0; k < forms.length; k++) {
    const t0 = performance.now();
    await sessions[k].s.run(feeds);
    times[forms[k]].push(performance.now() - t0);
  }
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
console.log(`BatchNormalization training step, X [${dims}], ORT CPU 1 thread (median of 40):`);
forms.forEach((f, k) =>
  console.log(`  ${f.padEnd(13)} ${median(times[f]).toFixed(3)} ms  (${sessions[k].nodes} nodes)`),
);
