/**
 * The same workloads in ONNX Runtime, three ways, all on Gymnos's generated training graph
 * (forward, softmax cross-entropy, backward, Adam; one intra-op thread unless `threads` says two):
 *
 * - `ort-raw`: a tight loop of `session.run` on the main thread with pre-built feeds, carrying
 *   parameters and optimizer state from outputs to inputs: the floor Gymnos can reach. It runs the
 *   model bytes and session options of Gymnos's own sessions (`prepareOrtSession`).
 * - `gymnos-steprunner`: the library's StepRunner with SessionManager sessions (worker thread).
 * - `gymnos-trainer`: the full Trainer (`fit`) over in-memory data: batching, metrics, events,
 *   logging per step included; the fixed epoch-end work is measured apart (see runTrainer).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { buildMlp } from '../../src/models/zoo/small.js';
import type { Model } from '../../src/onnx/ir.js';
import { encodeModel, saveModel } from '../../src/onnx/io.js';
import { buildTrainingArtifacts, type TrainingArtifacts } from '../../src/autodiff/artifacts.js';
import { IO_NAMES } from '../../src/autodiff/io-names.js';
import { StepRunner } from '../../src/trainer/step-runner.js';
import { SessionManager } from '../../src/sessions/session-manager.js';
import { prepareOrtSession } from '../../src/sessions/ort-backend.js';
import { validateSessionConfig } from '../../src/sessions/config.js';
import type { ResolvedSessionConfig } from '../../src/sessions/types.js';
import type { TrainingData, DataBatch } from '../../src/datasets/index.js';
import { tensor, type Tensor } from '../../src/onnx/tensor.js';
import { lenetLike } from '../train-step.js';
import {
  LEARNING_RATE,
  MOBILENET_STYLE,
  WORKLOADS,
  makeBatches,
  median,
  timeEpochs,
  type ToolResult,
  type Workload,
  type WorkloadName,
} from './workloads.js';

/** The zoo's `resnet` (depth 20), if this checkout's model zoo has it (resolved at run time). */
export async function zooResnet20(): Promise<Model | undefined> {
  const path = '../../src/models/registry.js';
  try {
    const reg = (await import(path)) as {
      zooModel(n: string): { build(o: unknown, ctx: { seed: number }): Model } | undefined;
    };
    return reg.zooModel('resnet')?.build({ depth: 20, width: 16, inputShape: [3, 32, 32], classes: 10 }, { seed: 1 });
  } catch {
    return undefined;
  }
}

/** The MobileNetV2-style workload from the zoo's `mobilenet_v2` (options in workloads.ts). */
export async function zooMobilenetStyle(): Promise<Model | undefined> {
  const path = '../../src/models/registry.js';
  try {
    const reg = (await import(path)) as {
      zooModel(
        n: string,
      ): { validate(o: unknown, p: string): unknown; build(o: unknown, ctx: { seed: number }): Model } | undefined;
    };
    const z = reg.zooModel('mobilenet_v2');
    return z?.build(z.validate(MOBILENET_STYLE, 'model'), { seed: 1 });
  } catch {
    return undefined;
  }
}

/** The workload's ONNX model (weights seeded). */
export async function workloadModel(name: WorkloadName): Promise<Model> {
  if (name === 'mlp') return buildMlp({ inputs: 784, hidden: [256, 128], classes: 10 });
  if (name === 'lenet') return lenetLike();
  if (name === 'mobilenetv2') {
    const m = await zooMobilenetStyle();
    if (!m) throw new Error('the model zoo has no mobilenet_v2 in this checkout');
    return m;
  }
  const m = await zooResnet20();
  if (!m) throw new Error('the model zoo has no resnet (depth 20) in this checkout');
  return m;
}

const SPEC = {
  loss: { type: 'softmax_cross_entropy', label_dtype: 'int32' },
  optimizer: { type: 'adam', lr: LEARNING_RATE },
};

export async function workloadArtifacts(name: WorkloadName): Promise<TrainingArtifacts> {
  return buildTrainingArtifacts(await workloadModel(name), SPEC);
}

/**
 * The session config a Gymnos CPU session of `threads` intra-op threads resolves to (every other
 * setting at its default, as the StepRunner and Trainer rows use).
 */
export function cpuSessionConfig(threads: number): ResolvedSessionConfig {
  const { device: _device, ...rest } = validateSessionConfig({ device: 'cpu', intraOpThreads: threads });
  return { ...rest, provider: 'cpu', deviceId: 0 };
}

/** The tool's name in results: `-2t` appended for two intra-op threads. */
export const toolName = (tool: string, threads: number): string => (threads === 1 ? tool : `${tool}-${threads}t`);

function gymBatches(w: Workload, count: number): Array<{ x: Tensor; y: Tensor }> {
  const b = makeBatches(w, count);
  return b.x.map((x, i) => ({
    x: tensor('float32', [w.batch, ...w.sample], x),
    y: tensor('int32', [w.batch], b.y[i]),
  }));
}

export interface RunOpts {
  warmup: number;
  epochs: number;
  steps?: number;
  /** intra-op threads (default 1) */ threads?: number;
}

/** Raw ONNX Runtime: pre-built feeds, `session.run` in a loop, outputs carried back. */
export async function runOrtRaw(name: WorkloadName, o: RunOpts): Promise<ToolResult & { sessionMs: number }> {
  const w = WORKLOADS[name];
  const steps = o.steps ?? w.stepsPerEpoch;
  const art = await workloadArtifacts(name);
  // exactly the model bytes and session options of Gymnos's own sessions (NCHWc lowering, memory
  // pattern off, no spinning, ...): with ORT's defaults instead, this "floor" ran ResNet-20 and
  // MobileNetV2 slower than the Trainer (the memory-pattern planner's first runs cost 3-5x a step)
  const prepared = await prepareOrtSession(ort, encodeModel(art.trainStep), cpuSessionConfig(o.threads ?? 1));
  const session = await ort.InferenceSession.create(prepared.model, prepared.options);
  const input = art.dataInputs[0].name;
  const batches = gymBatches(w, steps).map((b) => ({
    [input]: new ort.Tensor('float32', b.x.data as Float32Array, b.x.dims),
    [IO_NAMES.label]: new ort.Tensor('int32', b.y.data as Int32Array, b.y.dims),
  }));
  const fixed: Record<string, ort.Tensor> = {
    [IO_NAMES.lr]: new ort.Tensor('float32', Float32Array.of(LEARNING_RATE), []),
    [IO_NAMES.seed]: new ort.Tensor('int64', BigInt64Array.of(0n), []),
  };
  const carried: Record<string, ort.Tensor> = {};
  for (const c of art.carried)
    carried[c.input] = new ort.Tensor(c.init.dtype as 'float32', c.init.data as Float32Array, c.init.dims);
  const used = new Set(session.inputNames);
  // the outputs the StepRunner fetches (a graph's other outputs, the raw gradients, would be copies
  // that only the raw loop paid for)
  const fetch = [
    IO_NAMES.loss,
    art.prediction,
    ...(art.hasGradNorm ? [IO_NAMES.gradNorm] : []),
    ...art.carried.map((c) => c.output),
  ];
  const runMs: number[] = [];
  const r = await timeEpochs(
    toolName('ort-raw', o.threads ?? 1),
    w,
    o.warmup,
    o.epochs,
    steps,
    o.threads ?? 1,
    async (i) => {
      const feeds: Record<string, ort.Tensor> = {
        ...batches[i % steps],
        ...fixed,
        [IO_NAMES.step]: new ort.Tensor('int64', BigInt64Array.of(BigInt(i + 1)), []),
        ...carried,
      };
      for (const k of Object.keys(feeds)) if (!used.has(k)) delete feeds[k];
      const t0 = performance.now();
      const out = await session.run(feeds, fetch);
      runMs.push(performance.now() - t0);
      for (const c of art.carried) carried[c.input] = out[c.output];
      return (out[IO_NAMES.loss].data as Float32Array)[0];
    },
  );
  await session.release();
  return { ...r, sessionMs: median(runMs.slice(o.warmup * steps)) };
}

/** Gymnos's StepRunner with SessionManager sessions (a worker thread, `threads` intra-op threads). */
export async function runStepRunner(name: WorkloadName, o: RunOpts): Promise<ToolResult> {
  const w = WORKLOADS[name];
  const steps = o.steps ?? w.stepsPerEpoch;
  const art = await workloadArtifacts(name);
  const sessions = new SessionManager({ device: 'cpu', intraOpThreads: o.threads ?? 1 });
  const runner = new StepRunner(art, (n, b) => sessions.createSession(n, b), 0);
  await runner.open();
  const input = art.dataInputs[0].name;
  const batches = gymBatches(w, steps).map((b) => ({ inputs: { [input]: b.x }, label: b.y }));
  try {
    const r = await timeEpochs(
      toolName('gymnos-steprunner', o.threads ?? 1),
      w,
      o.warmup,
      o.epochs,
      steps,
      o.threads ?? 1,
      async (i) => (await runner.runSteps([batches[i % steps]], [LEARNING_RATE])).losses[0],
    );
    r.notes.push('StepRunner + SessionManager (worker thread); process CPU time includes the worker');
    return r;
  } finally {
    await runner.close();
    await sessions.close();
  }
}

/**
 * The full Trainer over in-memory batches: batching, metrics, events and logging per step
 * included. It trains ONE epoch of (warmup + epochs) x steps batches and times windows of `steps`
 * steps between its `batchEnd` events, the same windows the other tools time. A Trainer epoch per
 * window would charge the epoch-end work (metrics files written with fsync, the checkpoint) to
 * 1-20 steps, where a real epoch has hundreds; that fixed cost is measured apart (`epochEndMs`: from
 * the last step's `batchEnd` to `epochEnd`) and reported in the notes.
 */
export async function runTrainer(name: WorkloadName, o: RunOpts): Promise<ToolResult & { epochEndMs: number }> {
  const w = WORKLOADS[name];
  const steps = o.steps ?? w.stepsPerEpoch;
  const windows = o.warmup + o.epochs;
  const dir = mkdtempSync(join(tmpdir(), 'gymnos-bench-trainer-'));
  try {
    const modelPath = join(dir, `${name}.onnx`);
    saveModel(await workloadModel(name), modelPath);
    const batches: DataBatch[] = gymBatches(w, steps).map((b) => ({ features: b.x, target: b.y }));
    const total = windows * steps;
    const data: TrainingData = {
      train: {
        size: total * w.batch,
        batchCount: total,
        *batches(_epoch: number, from: number) {
          for (let i = from; i < total; i++) yield batches[i % steps];
        },
      },
      inputShape: w.sample,
      numClasses: w.classes,
    };
    // loaded here so the other runners work while the Trainer's module graph is being changed
    const { Trainer } = await import('../../src/trainer/trainer.js');
    const { parseExperiment } = await import('../../src/experiment/index.js');
    const config = parseExperiment({
      experiment: { name: `bench-${name}` },
      dataset: { type: 'digits' },
      model: { type: 'onnx', path: modelPath },
      training: {
        epochs: 1,
        batchSize: w.batch,
        seed: 1,
        optimizer: { type: 'adam', lr: LEARNING_RATE },
        loss: { type: 'softmax_cross_entropy', label_dtype: 'int32' },
      },
      session: { device: 'cpu', intraOpThreads: o.threads ?? 1 },
    });
    const walls: number[] = [];
    const cpus: number[] = [];
    const losses: number[][] = [];
    let t0 = 0;
    let c0 = process.cpuUsage();
    let lastStepAt = 0;
    let epochEndMs = 0;
    let done = 0;
    const res = await new Trainer(config, {
      output: join(dir, 'run'),
      baseDir: dir,
      data,
      onEvent: (e) => {
        if (e.type === 'epochStart') {
          t0 = performance.now();
          c0 = process.cpuUsage();
          losses.push([]);
        }
        if (e.type === 'batchEnd') {
          losses[losses.length - 1].push(e.loss);
          lastStepAt = performance.now();
          if (++done % steps === 0) {
            const wall = lastStepAt - t0;
            const c = process.cpuUsage(c0);
            if (done / steps > o.warmup) {
              walls.push(wall / steps);
              cpus.push((c.user + c.system) / 1e3 / steps);
            }
            t0 = performance.now();
            c0 = process.cpuUsage();
            if (done < total) losses.push([]);
          }
        }
        if (e.type === 'epochEnd') epochEndMs = performance.now() - lastStepAt;
      },
    }).fit();
    if (res.status !== 'completed') throw new Error(`trainer ended ${res.status}`);
    const ep = losses.map((l) => l.reduce((a, b) => a + b, 0) / l.length);
    const first = ep[0];
    const last = ep[ep.length - 1];
    if (!(last < first)) throw new Error(`gymnos-trainer on ${w.title}: the loss did not fall (${first} -> ${last})`);
    const stepMs = median(walls);
    const cpuMs = median(cpus);
    return {
      tool: toolName('gymnos-trainer', o.threads ?? 1),
      workload: name,
      stepMs,
      cpuMs,
      samplesPerSec: (1000 * w.batch) / stepMs,
      samplesPerCpuSec: (1000 * w.batch) / cpuMs,
      firstLoss: first,
      lastLoss: last,
      epochs: o.epochs,
      steps,
      threads: o.threads ?? 1,
      epochEndMs,
      notes: [
        `Trainer.fit over in-memory batches (model: the workload saved as .onnx), one epoch, timed per ${steps} step(s) between batchEnd events; the epoch-end work (metrics files, then the checkpoint) is fixed per epoch: ${w.title}, ${toolName('trainer', o.threads ?? 1)}: ${epochEndMs.toFixed(0)} ms from the last step to epochEnd`,
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
