/**
 * Micro-benchmark of the depthwise weight-gradient formulations on MobileNetV2-style layer
 * shapes (3x3 depthwise, pads 1, batch 64), as CPU sessions run them: lowered onto NCHWc
 * (src/sessions/nchwc.ts), graph optimization 'all', one thread. Each graph is the forward
 * depthwise Conv plus dW only; the forward-only graph is timed alongside and subtracted.
 * Sessions run interleaved; prints median process-CPU ms per run of each formulation's dW part
 * and its ratio to im2col.
 *
 * --symbolic makes the batch symbolic, as in training graphs ('batch-group-conv' needs it static).
 *
 * node --import tsx bench/dw-grad.ts [--runs 15] [--batch 64] [--symbolic] [--forms im2col,group-conv,batch-group-conv]
 */
import ort from 'onnxruntime-node';
import { emptyGraph, type Graph } from '../src/onnx/ir.js';
import { encodeModel } from '../src/onnx/io.js';
import { GraphBuilder } from '../src/onnx/builder.js';
import { inferShapes } from '../src/onnx/shapes/infer.js';
import { differentiate } from '../src/autodiff/engine.js';
import { withRuleOverride } from '../src/autodiff/registry.js';
import { convGradWith } from '../src/autodiff/rules/conv.js';
import { withDepthwiseForm, type DepthwiseForm } from '../src/autodiff/rules/conv-depthwise.js';
import { lowerForCpu, nchwcBlockSize } from '../src/sessions/nchwc.js';
import { Rng } from '../src/util/rng.js';

const OPSET = 18;
const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const RUNS = Number(arg('runs', '15'));
const BATCH = Number(arg('batch', '64'));
const SYMBOLIC = process.argv.includes('--symbolic');
const FORMS = arg('forms', 'im2col,group-conv,stacked').split(',');
/** [channels, input size, stride] of the MobileNetV2-style workload's depthwise Convs. */
const LAYERS: Array<[number, number, number]> = [
  [32, 32, 1],
  [96, 32, 2],
  [144, 16, 1],
  [144, 16, 2],
  [192, 8, 1],
  [192, 8, 2],
  [384, 4, 1],
];

function graphFor(ch: number, size: number, stride: number, form: string | undefined): Graph {
  const g = emptyGraph('dw');
  const b = new GraphBuilder(g, 'fw');
  const out = Math.floor((size + 2 - 3) / stride) + 1;
  g.inputs.push(
    { name: 'X', dtype: 'float32', shape: [SYMBOLIC ? 'N' : BATCH, ch, size, size] },
    { name: 'W', dtype: 'float32', shape: [ch, 1, 3, 3] },
    { name: 'R', dtype: 'float32', shape: [SYMBOLIC ? 'N' : BATCH, ch, out, out] },
  );
  const y = b.op('Conv', ['X', 'W'], { group: ch, pads: [1, 1, 1, 1], strides: [stride, stride] });
  const loss = b.op('ReduceSum', [b.op('Mul', [y, 'R'])], { keepdims: 0 });
  if (!form) {
    g.outputs = [{ name: loss, dtype: 'float32', shape: [] }];
    return g;
  }
  const build = () => {
    const { grads } = differentiate(g, inferShapes(g, OPSET), { loss, wrt: ['W'], opset: OPSET });
    g.outputs = [{ name: grads.get('W')!, dtype: 'float32', shape: [ch, 1, 3, 3] }];
    return g;
  };
  const rule = convGradWith('flipped', form === 'im2col' ? 'im2col' : 'batch-conv');
  return withRuleOverride('Conv', rule, () =>
    form === 'im2col' ? build() : withDepthwiseForm(form as DepthwiseForm, build),
  );
}

async function session(graph: Graph, block: number): Promise<ort.InferenceSession> {
  const bytes = encodeModel({
    irVersion: 8,
    opset: new Map([['', OPSET]]),
    producerName: 'gymnos-bench',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    graph,
  });
  return ort.InferenceSession.create(lowerForCpu(bytes, block), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
}

const block = await nchwcBlockSize(ort);
const rng = new Rng(1);
const med = (t: number[]) => [...t].sort((a, b) => a - b)[Math.floor(t.length / 2)];
const totals = new Map<string, number>();
console.log(
  `depthwise dW, batch ${BATCH}, 1 thread, NCHWc block ${block}, median CPU ms of the dW part over ${RUNS} runs`,
);
console.log(`| C x H, stride | ${FORMS.join(' | ')} |`);
for (const [ch, size, stride] of LAYERS) {
  const out = Math.floor((size + 2 - 3) / stride) + 1;
  const t = (dims: number[]) =>
    new ort.Tensor(
      'float32',
      Float32Array.from({ length: dims.reduce((a, d) => a * d, 1) }, () => rng.uniform(-1, 1)),
      dims,
    );
  const feeds = { X: t([BATCH, ch, size, size]), W: t([ch, 1, 3, 3]), R: t([BATCH, ch, out, out]) };
  const names = ['forward', ...FORMS];
  const sessions = await Promise.all(
    names.map((f, i) => session(graphFor(ch, size, stride, i ? f : undefined), block)),
  );
  const results: Float32Array[] = [];
  for (const s of sessions) {
    const o = await s.run(feeds);
    results.push(o[s.outputNames[0]].data as Float32Array);
  }
  // every formulation must give im2col's dW
  for (let i = 2; i < results.length; i++)
    for (let j = 0; j < results[1].length; j++)
      if (Math.abs(results[i][j] - results[1][j]) > 1e-3 * Math.max(1, Math.abs(results[1][j])))
        throw new Error(`${names[i]} differs from ${names[1]} at ${j}: ${results[i][j]} vs ${results[1][j]}`);
  const cpu: number[][] = sessions.map(() => []);
  for (let r = 0; r < RUNS; r++)
    for (const [i, s] of sessions.entries()) {
      const c0 = process.cpuUsage();
      await s.run(feeds);
      const c = process.cpuUsage(c0);
      cpu[i].push((c.user + c.system) / 1000);
    }
  for (const s of sessions) await s.release();
  const fwd = med(cpu[0]);
  const parts = cpu.slice(1).map((c) => med(c) - fwd);
  parts.forEach((p, i) => totals.set(FORMS[i], (totals.get(FORMS[i]) ?? 0) + p));
  console.log(
    `| ${ch} x ${size}, s${stride} | ${parts.map((p) => `${p.toFixed(2)} (${(p / parts[0]).toFixed(2)}x)`).join(' | ')} |`,
  );
}
const base = totals.get(FORMS[0])!;
console.log(
  `| sum | ${FORMS.map((f) => `${totals.get(f)!.toFixed(2)} (${(totals.get(f)! / base).toFixed(2)}x)`).join(' | ')} |`,
);
