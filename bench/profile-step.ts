/**
 * Op-by-op profile of one workload's training step (forward, backward, optimizer) with ONNX
 * Runtime's profiler, and what `graphOptimizationLevel: 'all'` makes of the convolutions: the
 * optimized model is saved and read back, and each Conv of the training graph is reported as
 * landing on the NCHWc (blocked MLAS) kernel or on the generic Conv / ConvTranspose path.
 *
 * Kernel time is split by node name: `grad/` is the backward, `train/` the loss and optimizer,
 * the rest the forward (including `train_mode/`, BatchNormalization with batch statistics).
 *
 * node --import tsx bench/profile-step.ts [--workload resnet20|mobilenetv2|lenet|mlp] [--runs 10] [--top 20] [--threads
 * 1] [--keep DIR]
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { encodeModel, loadModel } from '../src/onnx/io.js';
import { prepareOrtSession } from '../src/sessions/ort-backend.js';
import { IO_NAMES } from '../src/autodiff/io-names.js';
import { cpuSessionConfig, workloadArtifacts } from './peers/gymnos.js';
import { LEARNING_RATE, WORKLOADS, makeBatches, type WorkloadName } from './peers/workloads.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};

export interface StepProfile {
  workload: WorkloadName;
  runs: number;
  /** ms per step of kernel time by part. */
  parts: { forward: number; backward: number; optimizer: number };
  /** ms per step by part and op type, largest first. */
  byOp: Array<{ part: string; op: string; ms: number; nodes: number }>;
  top: Array<{ node: string; op: string; ms: number }>;
  /** Conv-like nodes of the optimized graph by (domain, op). */
  optimizedConvs: Record<string, number>;
}

const partOf = (node: string) =>
  node.startsWith('grad/') ? 'backward' : node.startsWith('train/') ? 'optimizer' : 'forward';

export async function profileStep(workload: WorkloadName, runs = 10, threads = 1, keep?: string): Promise<StepProfile> {
  const w = WORKLOADS[workload];
  const art = await workloadArtifacts(workload);
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'gymnos-profile-'));
  mkdirSync(dir, { recursive: true });
  try {
    const optimized = join(dir, `${workload}-optimized.onnx`);
    // the model and options of Gymnos's CPU sessions (NCHWc lowering: src/sessions/nchwc.ts; GYMNOS_NCHWC=0 keeps
    // it standard), plus the profiler
    const prepared = await prepareOrtSession(ort, encodeModel(art.trainStep), cpuSessionConfig(threads));
    const s = await ort.InferenceSession.create(prepared.model, {
      ...prepared.options,
      enableProfiling: true,
      profileFilePrefix: join(dir, 'prof'),
      optimizedModelFilePath: optimized,
    });
    const b = makeBatches(w, 1);
    const feeds: Record<string, ort.Tensor> = {
      [art.dataInputs[0].name]: new ort.Tensor('float32', b.x[0], [w.batch, ...w.sample]),
      [IO_NAMES.label]: new ort.Tensor('int32', b.y[0], [w.batch]),
      [IO_NAMES.lr]: new ort.Tensor('float32', Float32Array.of(LEARNING_RATE), []),
      [IO_NAMES.step]: new ort.Tensor('int64', BigInt64Array.of(1n), []),
      [IO_NAMES.seed]: new ort.Tensor('int64', BigInt64Array.of(0n), []),
    };
    for (const c of art.carried)
      feeds[c.input] = new ort.Tensor(c.init.dtype as 'float32', c.init.data as Float32Array, c.init.dims);
    for (const k of Object.keys(feeds)) if (!s.inputNames.includes(k)) delete feeds[k];
    const warm = 2;
    for (let i = 0; i < warm + runs; i++) await s.run(feeds);
    s.endProfiling();
    await s.release();
    type Ev = { cat: string; name: string; ts: number; dur: number; args?: { op_name?: string } };
    const all = JSON.parse(
      readFileSync(
        join(
          dir,
          readdirSync(dir).find((n) => n.startsWith('prof'))!,
        ),
        'utf8',
      ),
    ) as Ev[];
    const starts = all
      .filter((e) => e.cat === 'Session' && e.name === 'model_run')
      .map((e) => e.ts)
      .sort((a, b) => a - b);
    const cutoff = starts[warm] ?? 0;
    const per = new Map<string, { op: string; us: number }>();
    for (const e of all) {
      if (e.ts < cutoff || e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
      const node = e.name.slice(0, -'_kernel_time'.length);
      const cur = per.get(node) ?? { op: e.args?.op_name ?? '?', us: 0 };
      cur.us += e.dur;
      per.set(node, cur);
    }
    const nodes = [...per].map(([node, v]) => ({ node, op: v.op, ms: v.us / 1000 / runs })).sort((a, b) => b.ms - a.ms);
    const parts = { forward: 0, backward: 0, optimizer: 0 };
    const byOp = new Map<string, { part: string; op: string; ms: number; nodes: number }>();
    for (const n of nodes) {
      const part = partOf(n.node);
      parts[part as keyof typeof parts] += n.ms;
      const k = `${part}|${n.op}`;
      const cur = byOp.get(k) ?? { part, op: n.op, ms: 0, nodes: 0 };
      cur.ms += n.ms;
      cur.nodes++;
      byOp.set(k, cur);
    }
    const optimizedConvs: Record<string, number> = {};
    for (const n of loadModel(optimized).graph.nodes) {
      if (!/Conv|Reorder|Pool|MatMul|Gemm/.test(n.opType)) continue;
      const k = `${n.domain || 'ai.onnx'}:${n.opType} (${partOf(n.name)})`;
      optimizedConvs[k] = (optimizedConvs[k] ?? 0) + 1;
    }
    return {
      workload,
      runs,
      parts,
      byOp: [...byOp.values()].sort((a, b) => b.ms - a.ms),
      top: nodes.slice(0, 40),
      optimizedConvs,
    };
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

export function printProfile(p: StepProfile, top = 20): void {
  const total = p.parts.forward + p.parts.backward + p.parts.optimizer;
  console.log(
    `${WORKLOADS[p.workload].title}: kernel time ${total.toFixed(2)} ms/step: forward ${p.parts.forward.toFixed(2)}, backward ${p.parts.backward.toFixed(2)}, loss+optimizer ${p.parts.optimizer.toFixed(2)} (step/forward ${(total / p.parts.forward).toFixed(2)}x)`,
  );
  console.log('| part | op | nodes | ms/step | share |\n| --- | --- | ---: | ---: | ---: |');
  for (const r of p.byOp.slice(0, top))
    console.log(`| ${r.part} | ${r.op} | ${r.nodes} | ${r.ms.toFixed(3)} | ${((100 * r.ms) / total).toFixed(1)}% |`);
  console.log(
    'optimized graph (level all), conv-like nodes:',
    Object.entries(p.optimizedConvs)
      .sort()
      .map(([k, v]) => `${k} x${v}`)
      .join(', '),
  );
  console.log('top nodes:');
  for (const n of p.top.slice(0, top)) console.log(`  ${n.ms.toFixed(3).padStart(8)}  ${n.op.padEnd(16)} ${n.node}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const p = await profileStep(
    arg('workload', 'resnet20') as WorkloadName,
    Number(arg('runs', '10')),
    Number(arg('threads', '1')),
    process.argv.includes('--keep') ? arg('keep', '') : undefined,
  );
  printProfile(p, Number(arg('top', '20')));
}
