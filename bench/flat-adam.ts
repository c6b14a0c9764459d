/**
 * The optimizer update over flat buffers against the per-tensor update, on a workload's real
 * parameter shapes, through the update builder the training graphs use
 * (src/autodiff/optimizers/flat.ts, buildUpdates): `--max` lists flat-size thresholds to compare
 * (0: every tensor on its own; inf: every tensor in one flat buffer; the default includes
 * FLAT_MAX_ELEMENTS, the threshold the training graphs use). All graphs run in one process,
 * interleaved, median CPU ms per update (including the binding's output copies); the outputs are
 * checked to be bit-identical to the per-tensor ones.
 *
 *   node --import tsx bench/flat-adam.ts [--workload resnet20|mobilenetv2|lenet|mlp] [--runs 30]
 *     [--optimizer adam] [--max 0,1024,4096,16384,65536,inf]
 *   (as-is, always measured first: every tensor updated in its own shape, the update before flat.ts)
 */
import ort from 'onnxruntime-node';
import { emptyGraph, type Graph } from '../src/onnx/ir.js';
import { GraphBuilder } from '../src/onnx/builder.js';
import { encodeModel } from '../src/onnx/io.js';
import { sizeOf } from '../src/onnx/tensor.js';
import { resolveOptimizer, type ParamUpdate } from '../src/autodiff/optimizers/index.js';
import { buildUpdates, FLAT_MAX_ELEMENTS, type UpdateLayout } from '../src/autodiff/optimizers/flat.js';
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

const optimizer = resolveOptimizer({ type: arg('optimizer', 'adam') });

/** The update graph of `params` with flat groups of tensors up to `max` elements; outputs in a fixed order. */
function updateGraph(params: Param[], layout: UpdateLayout): { graph: Graph; outputs: string[] } {
  const g = emptyGraph('update');
  const b = new GraphBuilder(g, 'train');
  g.inputs.push({ name: 'lr', dtype: 'float32', shape: [] }, { name: 'step', dtype: 'int64', shape: [] });
  const updates: ParamUpdate[] = params.map((p) => {
    g.inputs.push(
      { name: p.name, dtype: 'float32', shape: p.shape },
      { name: `g/${p.name}`, dtype: 'float32', shape: p.shape },
    );
    return { param: p.name, grad: `g/${p.name}`, shape: p.shape, dtype: 'float32' };
  });
  const builds = buildUpdates(b, optimizer, updates, { lr: 'lr', step: 'step', prefix: (p) => `opt/${p}` }, layout);
  const outputs: string[] = [];
  for (const r of builds) {
    for (const s of r.state) g.inputs.push({ name: s.name, dtype: 'float32', shape: s.init.dims });
    outputs.push(r.newParam, ...r.state.map((s) => s.next));
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
const layouts: Array<[string, UpdateLayout]> = [
  ['as-is', { maxFlatElements: 0, flattenEach: false }],
  ...arg('max', `0,1024,4096,${FLAT_MAX_ELEMENTS},65536,inf`)
    .split(',')
    .map((m): [string, UpdateLayout] => {
      const max = m === 'inf' ? Infinity : Number(m);
      return [max === 0 ? 'per-tensor' : `flat<=${m}`, { maxFlatElements: max }];
    }),
];
const feeds: Record<string, ort.Tensor> = {
  lr: new ort.Tensor('float32', Float32Array.of(1e-3), []),
  step: new ort.Tensor('int64', BigInt64Array.of(3n), []),
};
const opts: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
};
const entries: Array<{ name: string; s: ort.InferenceSession; outputs: string[]; nodes: number }> = [];
for (const [name, layout] of layouts) {
  const { graph, outputs } = updateGraph(params, layout);
  for (const i of graph.inputs)
    feeds[i.name] ??= rand(i.shape as number[], /_sq$|sum$|square_avg$/.test(i.name) ? 0 : -1);
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
    name,
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
results.forEach((r, k) =>
  r.forEach((t, i) =>
    t.forEach((v, j) => {
      if (!Object.is(v, results[0][i][j]))
        throw new Error(`${entries[k].name} and per-tensor disagree at output ${i}[${j}]: ${v} vs ${results[0][i][j]}`);
    }),
  ),
);
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
  `${WORKLOADS[workload].title}: ${optimizer.type} over ${params.length} tensors, ${total} parameters; median of ${runs} interleaved runs (CPU ms, including the binding's output copies):`,
);
for (const e of entries)
  console.log(`  ${e.name.padEnd(12)} ${medianOf(cpu[e.name]).toFixed(3)} ms (${e.nodes} nodes)`);
for (const e of entries) await e.s.release();
