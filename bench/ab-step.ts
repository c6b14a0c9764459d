/**
 * A/B of gradient-rule formulations on a whole training step: the workload's training graph built
 * with the current rules and with an older formulation (a rule override), both sessions in one
 * process, runs interleaved, median CPU and wall ms per step (CPU time is the steadier number
 * on a shared machine). Also times the forward alone for step/forward.
 *
 * node --import tsx bench/ab-step.ts [--workload resnet20] [--variant before|standard|before-nchwc] [--runs 10]
 * [--threads 1]
 *
 * 'current' is today's training graph as a CPU session runs it (Convs lowered onto ORT's NCHWc
 * kernels, src/sessions/nchwc.ts). Variants: before (the Conv rules before: dX by ConvTranspose,
 * dW by im2col + MatMul, no lowering), standard (today's rules, not lowered), before-nchwc.
 */
import ort from 'onnxruntime-node';
import { encodeModel } from '../src/onnx/io.js';
import { IO_NAMES } from '../src/autodiff/io-names.js';
import { buildTrainingArtifacts, type TrainingArtifacts } from '../src/autodiff/artifacts.js';
import { withRuleOverride } from '../src/autodiff/registry.js';
import { convGradWith } from '../src/autodiff/rules/conv.js';
import { workloadModel } from './peers/gymnos.js';
import type { Model } from '../src/onnx/ir.js';
import { cloneModel } from '../src/onnx/clone.js';
import { inferShapes } from '../src/onnx/shapes/infer.js';
import { NCHWC_DOMAIN, lowerConvsToNchwc } from '../src/autodiff/rules/conv-nchwc.js';
import { LEARNING_RATE, WORKLOADS, makeBatches, type WorkloadName } from './peers/workloads.js';
import { medianOf } from './peers/results.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};

const SPEC = {
  loss: { type: 'softmax_cross_entropy', label_dtype: 'int32' },
  optimizer: { type: 'adam', lr: LEARNING_RATE },
};

/** The training step with its Convs lowered onto ORT's NCHWc kernels (block from --block, default 8). */
function nchwc(art: TrainingArtifacts): TrainingArtifacts {
  const m = cloneModel(art.trainStep);
  lowerConvsToNchwc(m.graph, inferShapes(m.graph, 18), Number(arg('block', '8')));
  m.opset.set(NCHWC_DOMAIN, 1);
  return { ...art, trainStep: m };
}

export const VARIANTS: Record<string, (model: Model) => TrainingArtifacts> = {
  /** Conv dX by ConvTranspose, dW by im2col + MatMul, no lowering: the rules before issue 11. */
  before: (model) =>
    withRuleOverride('Conv', convGradWith('transpose', 'im2col'), () => buildTrainingArtifacts(model, SPEC)),
  /** Today's rules in standard ONNX (what non-CPU providers, or GYMNOS_NCHWC=0, run). */
  standard: (model) => buildTrainingArtifacts(model, SPEC),
  /** The old rules, lowered onto NCHWc. */
  'before-nchwc': (model) =>
    nchwc(withRuleOverride('Conv', convGradWith('transpose', 'im2col'), () => buildTrainingArtifacts(model, SPEC))),
};

function feedsFor(
  art: TrainingArtifacts,
  workload: WorkloadName,
  names: readonly string[],
): Record<string, ort.Tensor> {
  const w = WORKLOADS[workload];
  const b = makeBatches(w, 1);
  const f: Record<string, ort.Tensor> = {
    [art.dataInputs[0].name]: new ort.Tensor('float32', b.x[0], [w.batch, ...w.sample]),
    [IO_NAMES.label]: new ort.Tensor('int32', b.y[0], [w.batch]),
    [IO_NAMES.lr]: new ort.Tensor('float32', Float32Array.of(LEARNING_RATE), []),
    [IO_NAMES.step]: new ort.Tensor('int64', BigInt64Array.of(1n), []),
    [IO_NAMES.seed]: new ort.Tensor('int64', BigInt64Array.of(0n), []),
  };
  for (const c of art.carried)
    f[c.input] = new ort.Tensor(c.init.dtype as 'float32', c.init.data as Float32Array, c.init.dims);
  for (const k of Object.keys(f)) if (!names.includes(k)) delete f[k];
  return f;
}

export async function abStep(workload: WorkloadName, variant: string, runs = 10, threads = 1) {
  const model = await workloadModel(workload);
  const wrap = VARIANTS[variant];
  if (!wrap) throw new Error(`unknown variant '${variant}'; expected one of ${Object.keys(VARIANTS).join(', ')}`);
  // current: today's rules lowered onto NCHWc, as a CPU session runs them (src/sessions/nchwc.ts)
  const arts = { current: nchwc(buildTrainingArtifacts(model, SPEC)), [variant]: wrap(model) };
  const opts: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
  const entries: Array<{ name: string; s: ort.InferenceSession; f: Record<string, ort.Tensor> }> = [];
  for (const [name, art] of Object.entries(arts)) {
    const s = await ort.InferenceSession.create(encodeModel(art.trainStep), opts);
    entries.push({ name, s, f: feedsFor(art, workload, s.inputNames) });
  }
  // the inference model (weights as initializers: its convolutions get ORT's NCHWc kernels)
  const fs = await ort.InferenceSession.create(encodeModel(model), opts);
  const w = WORKLOADS[workload];
  const fwdFeeds = { [fs.inputNames[0]]: new ort.Tensor('float32', makeBatches(w, 1).x[0], [w.batch, ...w.sample]) };
  entries.push({ name: 'forward', s: fs, f: fwdFeeds });
  for (const e of entries) for (let i = 0; i < 2; i++) await e.s.run(e.f);
  const cpu: Record<string, number[]> = {};
  const wall: Record<string, number[]> = {};
  for (let r = 0; r < runs; r++) {
    for (const e of r % 2 ? [...entries].reverse() : entries) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await e.s.run(e.f);
      const c = process.cpuUsage(c0);
      (cpu[e.name] ??= []).push((c.user + c.system) / 1e3);
      (wall[e.name] ??= []).push(performance.now() - t0);
    }
  }
  for (const e of entries) await e.s.release();
  return Object.fromEntries(
    entries.map((e) => [e.name, { cpuMs: medianOf(cpu[e.name]), wallMs: medianOf(wall[e.name]) }]),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const workload = arg('workload', 'resnet20') as WorkloadName;
  const variant = arg('variant', 'before');
  const r = await abStep(workload, variant, Number(arg('runs', '10')), Number(arg('threads', '1')));
  const fwd = r.forward.cpuMs;
  console.log(
    `${WORKLOADS[workload].title}, ${arg('threads', '1')} thread(s), median of ${arg('runs', '10')} interleaved runs:`,
  );
  for (const [k, v] of Object.entries(r))
    console.log(
      `  ${k.padEnd(20)} CPU ${v.cpuMs.toFixed(1)} ms, wall ${v.wallMs.toFixed(1)} ms, step/forward (CPU) ${(v.cpuMs / fwd).toFixed(2)}x`,
    );
  console.log(
    `  current vs ${variant}: ${(r[variant].cpuMs / r.current.cpuMs).toFixed(3)}x (CPU; above 1: current is faster)`,
  );
}
