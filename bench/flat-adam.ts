/**
 * Adam over one flat parameter buffer against today's per-tensor update, on a workload's real
 * parameter shapes: the per-tensor graph is what the artifact builder emits (one elementwise chain
 * per parameter, src/autodiff/optimizers/adam.ts); the flat graph concatenates the flattened
 * parameters, gradients and both moments, runs the same update once over all of them, and splits
 * the results back into tensors (the state stays per tensor, as checkpoints hold it). Both graphs
 * run in one process, interleaved, median CPU ms per update; the outputs are compared.
 *
 *   node --import tsx bench/flat-adam.ts [--workload resnet20|mobilenetv2|lenet|mlp] [--runs 30]
 */
import ort from 'onnxruntime-node';
import { emptyGraph, type Graph } from '../src/onnx/ir.js';
import { GraphBuilder } from '../src/onnx/builder.js';
import { encodeModel } from '../src/onnx/io.js';
import { sizeOf } from '../src/onnx/tensor.js';
import { resolveOptimizer, type OptimizerBuild, type ParamUpdate } from '../src/autodiff/optimizers/index.js';
import { workloadArtifacts } from './peers/gymnos.js';
import { WORKLOADS, type WorkloadName } from './peers/workloads.js';
import { medianOf } from './peers/results.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};

interface Param {
  name: string;
  shape: number[];
}

/** The update graph of `params`, per tensor or flat; outputs are the new parameters and moments in a fixed order. */
function updateGraph(params: Param[], flat: boolean): { graph: Graph; outputs: string[] } {
  const g = emptyGraph(flat ? 'flat_adam' : 'adam');
  const b = new GraphBuilder(g, 'train');
  const opt = resolveOptimizer({ type: 'adam', lr: 1e-3 });
  g.inputs.push({ name: 'lr', dtype: 'float32', shape: [] }, { name: 'step', dtype: 'int64', shape: [] });
  for (const p of params) {
    for (const k of ['', 'g/', 'opt/m/', 'opt/v/'])
      g.inputs.push({ name: `${k}${p.name}`, dtype: 'float32', shape: p.shape });
  }
  const outputs: string[] = [];
  if (!flat) {
    for (const p of params) {
      const u: ParamUpdate = { param: p.name, grad: `g/${p.name}`, shape: p.shape, dtype: 'float32' };
      const r: OptimizerBuild = opt.build(b, u, { lr: 'lr', step: 'step', prefix: `opt/${p.name}` });
      // the builder names state `${prefix}/${key}`: feed the moments under those names
      outputs.push(r.newParam, ...r.state.map((s) => s.next));
    }
    // map the builder's state input names onto the declared moment inputs
    for (const n of g.nodes)
      n.inputs = n.inputs.map((i) =>
        i.replace(/^opt\/(.+)\/exp_avg$/, 'opt/m/$1').replace(/^opt\/(.+)\/exp_avg_sq$/, 'opt/v/$1'),
      );
  } else {
    const total = params.reduce((s, p) => s + sizeOf(p.shape), 0);
    const cat = (prefix: string) =>
      b.op(
        'Concat',
        params.map((p) => b.op('Reshape', [`${prefix}${p.name}`, b.ints([-1])])),
        { axis: 0 },
      );
    const [pf, gf, mf, vf] = ['', 'g/', 'opt/m/', 'opt/v/'].map(cat);
    const r = opt.build(
      b,
      { param: pf, grad: gf, shape: [total], dtype: 'float32' },
      { lr: 'lr', step: 'step', prefix: 'flat' },
    );
    for (const n of g.nodes)
      n.inputs = n.inputs.map((i) => (i === 'flat/exp_avg' ? mf : i === 'flat/exp_avg_sq' ? vf : i));
    const sizes = b.ints(params.map((p) => sizeOf(p.shape)));
    const split = (t: string) => {
      const parts = params.map((p) => b.fresh(`split_${p.name}`));
      b.emit('Split', [t, sizes], parts, { axis: 0 });
      return parts.map((part, i) => b.op('Reshape', [part, b.ints(params[i].shape)]));
    };
    const [np, nm, nv] = [r.newParam, ...r.state.map((s) => s.next)].map(split);
    params.forEach((_, i) => outputs.push(np[i], nm[i], nv[i]));
  }
  g.outputs = outputs.map((name) => ({ name, dtype: 'float32' as const }));
  return { graph: g, outputs };
}

const workload = arg('workload', 'resnet20') as WorkloadName;
const runs = Number(arg('runs', '30'));
const art = await workloadArtifacts(workload);
const params: Param[] = art.carried
  .filter((c) => c.kind === 'param')
  .map((c, i) => ({ name: `p${i}`, shape: c.init.dims.map(Number) }));
const rand = (dims: number[], lo = -1) =>
  new ort.Tensor(
    'float32',
    Float32Array.from({ length: sizeOf(dims) }, () => lo + Math.random() * (1 - lo)),
    dims,
  );
const feeds: Record<string, ort.Tensor> = {
  lr: new ort.Tensor('float32', Float32Array.of(1e-3), []),
  step: new ort.Tensor('int64', BigInt64Array.of(3n), []),
};
for (const p of params) {
  feeds[p.name] = rand(p.shape);
  feeds[`g/${p.name}`] = rand(p.shape);
  feeds[`opt/m/${p.name}`] = rand(p.shape);
  feeds[`opt/v/${p.name}`] = rand(p.shape, 0);
}
const opts: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
};
const entries = [];
for (const flat of [false, true]) {
  const { graph, outputs } = updateGraph(params, flat);
  const model = {
    irVersion: 8,
    opset: new Map([['', 18]]),
    producerName: 'gymnos-bench',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    graph,
  };
  entries.push({
    name: flat ? 'flat' : 'per-tensor',
    s: await ort.InferenceSession.create(encodeModel(model), opts),
    outputs,
    nodes: graph.nodes.length,
  });
}
const results = await Promise.all(
  entries.map(async (e) => {
    const o = await e.s.run(feeds);
    return e.outputs.map((n) => o[n].data as Float32Array);
  }),
);
let worst = 0;
results[0].forEach((t, i) =>
  t.forEach((v, j) => {
    worst = Math.max(worst, Math.abs(v - results[1][i][j]) / Math.max(1, Math.abs(v)));
  }),
);
if (worst > 1e-5) throw new Error(`flat and per-tensor Adam disagree by ${worst}`);
const cpu: Record<string, number[]> = {};
for (let r = 0; r < runs; r++) {
  for (const e of r % 2 ? [...entries].reverse() : entries) {
    const c0 = process.cpuUsage();
    await e.s.run(feeds);
    const c = process.cpuUsage(c0);
    (cpu[e.name] ??= []).push((c.user + c.system) / 1e3);
  }
}
const total = params.reduce((s, p) => s + sizeOf(p.shape), 0);
console.log(
  `${WORKLOADS[workload].title}: Adam over ${params.length} tensors, ${total} parameters; median of ${runs} interleaved runs (CPU ms, including the binding's output copies):`,
);
for (const e of entries)
  console.log(`  ${e.name.padEnd(10)} ${medianOf(cpu[e.name]).toFixed(3)} ms (${e.nodes} nodes)`);
for (const e of entries) await e.s.release();
