/**
 * Training-step time over forward time, and K-step Loop runs against single steps, in ONNX
 * Runtime on the CPU with one thread. The train step is Gymnos's full generated graph (forward,
 * softmax cross-entropy, backward, Adam); the forward is the inference model alone.
 *
 * Forward is timed two ways: with weights as initializers (plain inference, what ORT can
 * optimize best) and with weights as graph inputs (as the training graph has them).
 * Variants are timed alternately, warm-up first, and medians reported.
 *
 *   node --import tsx bench/train-step.ts [--runs 30]
 */
import ort from 'onnxruntime-node';
import { buildMlp } from '../src/models/zoo/small.js';
import { LayerBuilder } from '../src/models/zoo/layers.js';
import type { Model } from '../src/onnx/ir.js';
import { cloneModel } from '../src/onnx/clone.js';
import { encodeModel } from '../src/onnx/io.js';
import { buildTrainingArtifacts, type TrainingArtifacts } from '../src/autodiff/artifacts.js';
import { IO_NAMES } from '../src/autodiff/io-names.js';
import { Rng } from '../src/util/rng.js';
import { sizeOf, type Tensor } from '../src/onnx/tensor.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};

/** LeNet-style CNN of the issue: Conv 1->8 3x3, Relu, MaxPool 2, Conv 8->16, Relu, MaxPool, Gemm 10. */
export function lenetLike(): Model {
  const l = new LayerBuilder('lenet', 1);
  let x = l.maxPool(l.relu(l.conv2d('input', 1, 8, 3)), 2);
  x = l.maxPool(l.relu(l.conv2d(x, 8, 16, 3)), 2);
  return l.finish({ name: 'input', shape: ['N', 1, 28, 28] }, l.dense(l.flatten(x), 16 * 7 * 7, 10));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const toOrt = (t: Tensor) => new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, t.dims);
const opts: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
};

function randomInput(rng: Rng, dims: number[]): ort.Tensor {
  return new ort.Tensor(
    'float32',
    Float32Array.from({ length: sizeOf(dims) }, () => rng.uniform(0, 1)),
    dims,
  );
}

function trainFeeds(art: TrainingArtifacts, rng: Rng, batch: number, K: number): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const v of art.dataInputs) {
    const dims = v.shape!.map((d) => (typeof d === 'number' ? d : batch));
    feeds[v.name] = randomInput(rng, K > 1 ? [K, ...dims] : dims);
  }
  const labels = BigInt64Array.from({ length: batch * K }, () => BigInt(rng.int(10)));
  feeds[IO_NAMES.label] = new ort.Tensor('int64', labels, K > 1 ? [K, batch] : [batch]);
  feeds[IO_NAMES.lr] = new ort.Tensor('float32', new Float32Array(K).fill(1e-3), K > 1 ? [K] : []);
  feeds[IO_NAMES.step] = new ort.Tensor('int64', BigInt64Array.of(1n), []);
  feeds[IO_NAMES.seed] = new ort.Tensor('int64', BigInt64Array.of(0n), []);
  for (const c of art.carried) feeds[c.input] = toOrt(c.init);
  return feeds;
}

/**
 * Median wall-clock and CPU milliseconds per call, variants interleaved. With one intra-op
 * thread ONNX Runtime computes on the calling thread, so process CPU time measures the work
 * itself even when other processes load the machine (wall clock then inflates).
 */
async function timeRuns(
  runs: Array<{ name: string; fn: () => Promise<unknown> }>,
  n: number,
): Promise<Record<string, { wall: number; cpu: number }>> {
  for (const r of runs) for (let i = 0; i < 3; i++) await r.fn();
  const wall: Record<string, number[]> = Object.fromEntries(runs.map((r) => [r.name, []]));
  const cpu: Record<string, number[]> = Object.fromEntries(runs.map((r) => [r.name, []]));
  for (let i = 0; i < n; i++) {
    for (const r of runs) {
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      await r.fn();
      wall[r.name].push(Number(process.hrtime.bigint() - t0) / 1e6);
      const c = process.cpuUsage(c0);
      cpu[r.name].push((c.user + c.system) / 1e3);
    }
  }
  return Object.fromEntries(runs.map((r) => [r.name, { wall: median(wall[r.name]), cpu: median(cpu[r.name]) }]));
}

export interface StepRatioResult {
  workload: string;
  batch: number;
  optimizer: string;
  forwardMs: number;
  forwardWeightsAsInputsMs: number;
  stepMs: number;
  ratio: number;
  ratioVsInputs: number;
  /** The same from process CPU time (robust to a loaded machine). */
  forwardCpuMs: number;
  stepCpuMs: number;
  cpuRatio: number;
}

/** Step / forward ratio for one model. */
export async function stepRatio(
  workload: string,
  model: Model,
  batch: number,
  runs: number,
  optimizer = 'adam',
): Promise<StepRatioResult> {
  const rng = new Rng(1);
  const art = buildTrainingArtifacts(model, {
    loss: { type: 'softmax_cross_entropy' },
    optimizer: { type: optimizer, lr: 1e-3 },
  });
  const train = await ort.InferenceSession.create(encodeModel(art.trainStep), opts);
  const fwd = await ort.InferenceSession.create(encodeModel(art.base), opts);
  // forward with weights as inputs
  const asInputs = cloneModel(art.base);
  for (const c of art.carried)
    if (c.kind !== 'optimizer') {
      asInputs.graph.initializers.delete(c.input);
      asInputs.graph.inputs.push({ name: c.input, dtype: c.init.dtype, shape: c.init.dims });
    }
  const fwdIn = await ort.InferenceSession.create(encodeModel(asInputs), opts);
  const tf = trainFeeds(art, rng, batch, 1);
  const x: Record<string, ort.Tensor> = {};
  for (const v of art.dataInputs) x[v.name] = tf[v.name];
  const xIn: Record<string, ort.Tensor> = { ...x };
  for (const c of art.carried) if (c.kind !== 'optimizer') xIn[c.input] = tf[c.input];
  const trainUsed: Record<string, ort.Tensor> = {};
  for (const n of train.inputNames) trainUsed[n] = tf[n];
  const t = await timeRuns(
    [
      { name: 'forward', fn: () => fwd.run(x) },
      { name: 'forwardIn', fn: () => fwdIn.run(xIn) },
      { name: 'step', fn: () => train.run(trainUsed) },
    ],
    runs,
  );
  await Promise.all([train.release(), fwd.release(), fwdIn.release()]);
  return {
    workload,
    batch,
    optimizer,
    forwardMs: t.forward.wall,
    forwardWeightsAsInputsMs: t.forwardIn.wall,
    stepMs: t.step.wall,
    ratio: t.step.wall / t.forward.wall,
    ratioVsInputs: t.step.wall / t.forwardIn.wall,
    forwardCpuMs: t.forward.cpu,
    stepCpuMs: t.step.cpu,
    cpuRatio: t.step.cpu / t.forward.cpu,
  };
}

export interface LoopResult {
  workload: string;
  params: number;
  K: number;
  singleStepMs: number;
  loopPerStepMs: number;
  speedup: number;
  cpuSpeedup: number;
}

/** K single-step runs against one K-step Loop run (per step), carried values fed back each run. */
export async function loopSpeedup(
  workload: string,
  model: Model,
  batch: number,
  K: number,
  runs: number,
): Promise<LoopResult> {
  const rng = new Rng(2);
  const spec = { loss: { type: 'softmax_cross_entropy' }, optimizer: { type: 'adam', lr: 1e-3 } };
  const single = buildTrainingArtifacts(model, spec);
  const looped = buildTrainingArtifacts(model, { ...spec, stepsPerRun: K });
  const s1 = await ort.InferenceSession.create(encodeModel(single.trainStep), opts);
  const sK = await ort.InferenceSession.create(encodeModel(looped.trainStep), opts);
  const f1 = trainFeeds(single, rng, batch, 1);
  const fK = trainFeeds(looped, rng, batch, K);
  const pick = (s: ort.InferenceSession, f: Record<string, ort.Tensor>) =>
    Object.fromEntries(s.inputNames.map((n) => [n, f[n]]));
  const feed1 = pick(s1, f1);
  const feedK = pick(sK, fK);
  // carry outputs back into the inputs, as training does
  const carry = async (s: ort.InferenceSession, feeds: Record<string, ort.Tensor>, art: TrainingArtifacts) => {
    const out = await s.run(feeds);
    for (const c of art.carried) feeds[c.input] = out[c.output];
  };
  const t = await timeRuns(
    [
      {
        name: 'single',
        fn: async () => {
          for (let k = 0; k < K; k++) await carry(s1, feed1, single);
        },
      },
      { name: 'loop', fn: () => carry(sK, feedK, looped) },
    ],
    runs,
  );
  await Promise.all([s1.release(), sK.release()]);
  const params = single.carried.filter((c) => c.kind === 'param').reduce((a, c) => a + sizeOf(c.init.dims), 0);
  return {
    workload,
    params,
    K,
    singleStepMs: t.single.wall / K,
    loopPerStepMs: t.loop.wall / K,
    speedup: t.single.wall / t.loop.wall,
    cpuSpeedup: t.single.cpu / t.loop.cpu,
  };
}

export async function benchTrainStep(runs = 30) {
  const mlp = buildMlp({ inputs: 784, hidden: [256, 128], classes: 10 });
  const big = buildMlp({ inputs: 784, hidden: [2048, 1024], classes: 10 });
  const ratios = [
    await stepRatio('MLP 784-256-128-10, batch 128', mlp, 128, runs, 'adam'),
    await stepRatio('MLP 784-256-128-10, batch 128', mlp, 128, runs, 'sgd'),
    await stepRatio('LeNet-style CNN 28x28, batch 64', lenetLike(), 64, runs, 'adam'),
    await stepRatio('LeNet-style CNN 28x28, batch 64', lenetLike(), 64, runs, 'sgd'),
  ];
  const loops = [
    await loopSpeedup('MLP 784-256-128-10, batch 128', mlp, 128, 8, Math.max(5, Math.floor(runs / 3))),
    await loopSpeedup('MLP 784-2048-1024-10 (3.7M params), batch 128', big, 128, 8, Math.max(5, Math.floor(runs / 3))),
  ];
  return { ratios, loops };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchTrainStep(arg('runs', 30));
  for (const x of r.ratios)
    console.log(
      `${x.workload}, ${x.optimizer}: forward ${x.forwardMs.toFixed(3)} ms (weights as inputs ${x.forwardWeightsAsInputsMs.toFixed(3)} ms), step ${x.stepMs.toFixed(3)} ms, step/forward ${x.ratio.toFixed(2)}x wall, ${x.cpuRatio.toFixed(2)}x CPU (${x.forwardCpuMs.toFixed(3)} / ${x.stepCpuMs.toFixed(3)} ms)`,
    );
  for (const x of r.loops)
    console.log(
      `${x.workload}: ${x.params} params, single step ${x.singleStepMs.toFixed(3)} ms, ${x.K}-step Loop ${x.loopPerStepMs.toFixed(3)} ms/step, speedup ${x.speedup.toFixed(2)}x wall, ${x.cpuSpeedup.toFixed(2)}x CPU`,
    );
}
