/**
 * Peak memory of a training step, per workload, beside PyTorch's and the theoretical floor.
 *
 * Every measurement is a fresh child process (peak RSS is a process-wide high-water mark):
 *
 * - Gymnos: the library path a user gets (training artifacts, StepRunner, SessionManager with its
 *   worker-thread ONNX Runtime session, one intra-op thread, Adam lr 1e-3), `steps` steps on random
 *   data; peak = VmHWM of the process (main thread, worker, ORT arena, every host tensor).
 * - PyTorch 1.13 (bench/peers/torch_memory.py, /usr/bin/python3): the same network, batch and
 *   optimizer, one thread; peak = getrusage ru_maxrss.
 * - Floor: parameters + optimizer state + running statistics + the forward values the backward
 *   nodes read (computed from the training graph at the workload's batch size). No runtime,
 *   library or code pages: the bytes any framework must hold at the peak of a step.
 *
 * ONNX Runtime's arena usage is not observable from onnxruntime-node (no allocator statistics
 * API); the rows with `cpuMemArena: false` show what the arena adds to the peak instead.
 *
 *   node --import tsx bench/memory.ts [--quick] [--workloads resnet20,resnet18] [--no-torch] [--write]
 *   (--write: store the results as the `memory` section of bench/results.json; `npm run bench` runs it too)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { currentRssBytes, peakRssBytes } from '../src/util/rss.js';
import type { Model } from '../src/onnx/ir.js';

export type MemoryWorkload = 'mlp' | 'resnet20' | 'resnet18' | 'transformer';

interface WorkloadDef {
  title: string;
  batch: number;
  classes: number;
}
export const MEMORY_WORKLOADS: Record<MemoryWorkload, WorkloadDef> = {
  mlp: { title: 'MLP 784-256-128-10, batch 128', batch: 128, classes: 10 },
  resnet20: { title: 'ResNet-20 3x32x32, batch 64', batch: 64, classes: 10 },
  resnet18: { title: 'ResNet-18 (torchvision) 3x64x64, batch 32', batch: 32, classes: 10 },
  transformer: { title: 'Transformer encoder T128 d128 L2, batch 32', batch: 32, classes: 4 },
};

/** One Gymnos configuration to measure. */
export interface MemoryVariant {
  label: string;
  session?: Record<string, unknown>;
  /** training.recompute */
  recompute?: 'none' | 'auto' | string[];
}

export interface GymnosMemory {
  workload: MemoryWorkload;
  variant: string;
  peakRssBytes: number;
  runtimeRssBytes: number;
  builtRssBytes: number;
  params: number;
  floorBytes: number;
  floor: Record<string, number>;
  stepMs: number;
  firstLoss: number;
  lastLoss: number;
}

const here = fileURLToPath(new URL('.', import.meta.url));
const TORCH_PY = `${here}peers/torch_memory.py`;
const RESNET18 = `${here}tmp/resnet18.onnx`;
const PYTHON = '/usr/bin/python3';

/** Exports torchvision's ResNet-18 (random weights) into bench/tmp once. */
function ensureResnet18(): string {
  if (!existsSync(RESNET18)) {
    mkdirSync(`${here}tmp`, { recursive: true });
    execFileSync(PYTHON, [TORCH_PY, '--export-resnet18', RESNET18], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return RESNET18;
}

async function buildWorkloadModel(name: MemoryWorkload): Promise<Model> {
  const { zooModel } = await import('../src/models/registry.js');
  const zoo = (n: string, o: Record<string, unknown>) => zooModel(n)!.build(o as never, { seed: 1 } as never);
  if (name === 'mlp') return zoo('mlp', { hidden: [256, 128], inputShape: [784], classes: 10 });
  if (name === 'resnet20') return zoo('resnet', { depth: 20, width: 16, inputShape: [3, 32, 32], classes: 10 });
  if (name === 'transformer')
    return zoo('transformer_encoder', {
      vocabSize: 1000,
      dModel: 128,
      heads: 4,
      layers: 2,
      ffDim: 512,
      inputShape: [128],
      classes: 4,
    });
  const { loadModel } = await import('../src/onnx/io.js');
  return loadModel(ensureResnet18());
}

/** The child: builds, trains `steps` steps, prints one JSON line. */
async function child(workload: MemoryWorkload, v: MemoryVariant, steps: number): Promise<void> {
  const { buildTrainingArtifacts } = await import('../src/autodiff/artifacts.js');
  const { trainingMemoryFloor } = await import('../src/autodiff/liveness.js');
  const { SessionManager } = await import('../src/sessions/session-manager.js');
  const { StepRunner } = await import('../src/trainer/step-runner.js');
  const { tensor } = await import('../src/onnx/tensor.js');
  await import('onnxruntime-node');
  const runtimeRssBytes = currentRssBytes();
  const w = MEMORY_WORKLOADS[workload];
  const spec = {
    loss: { type: 'softmax_cross_entropy', label_dtype: 'int32' },
    optimizer: { type: 'adam', lr: 1e-3 },
    ...(v.recompute ? { recompute: v.recompute } : {}),
  };
  let art = buildTrainingArtifacts(await buildWorkloadModel(workload), spec as never);
  const floor = trainingMemoryFloor(art, w.batch);
  const input = art.dataInputs[0];
  const sample = input.shape!.slice(1) as number[];
  const n = sample.reduce((a, b) => a * b, 1) * w.batch;
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const x =
    input.dtype === 'int64'
      ? tensor(
          'int64',
          [w.batch, ...sample],
          BigInt64Array.from({ length: n }, () => BigInt(Math.floor(rand() * 1000))),
        )
      : tensor('float32', [w.batch, ...sample], Float32Array.from({ length: n }, rand));
  const y = tensor(
    'int32',
    [w.batch],
    Int32Array.from({ length: w.batch }, () => Math.floor(rand() * w.classes)),
  );
  const sessions = new SessionManager({ device: 'cpu', intraOpThreads: 1, ...(v.session ?? {}) });
  const runner = new StepRunner(art, (name, bytes) => sessions.createSession(name, bytes), 0);
  const params = art.trainable.reduce((s, p) => s + art.carried.find((c) => c.input === p)!.init.data.length, 0);
  await runner.open();
  art = undefined as never; // the runner keeps what it needs
  const builtRssBytes = currentRssBytes();
  const losses: number[] = [];
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    const r = await runner.runSteps([{ inputs: { [input.name]: x }, label: y }], [1e-3]);
    times.push(performance.now() - t0);
    losses.push(r.losses[0]);
  }
  const peak = peakRssBytes();
  await runner.close();
  await sessions.close();
  const out: GymnosMemory = {
    workload,
    variant: v.label,
    peakRssBytes: peak,
    runtimeRssBytes,
    builtRssBytes,
    params,
    floorBytes: floor.total,
    floor: floor.parts,
    stepMs: [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)],
    firstLoss: losses[0],
    lastLoss: losses[losses.length - 1],
  };
  console.log(`MEMORY_RESULT ${JSON.stringify(out)}`);
}

function runChild(workload: MemoryWorkload, v: MemoryVariant, steps: number): GymnosMemory {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', JSON.stringify({ workload, v, steps })],
    { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, NODE_OPTIONS: '' } },
  );
  const line = r.stdout.split('\n').find((l) => l.startsWith('MEMORY_RESULT '));
  if (!line) throw new Error(`memory child ${workload}/${v.label} failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(line.slice('MEMORY_RESULT '.length)) as GymnosMemory;
}

export interface TorchMemory {
  workload: string;
  peakRssBytes: number;
  runtimeRssBytes: number;
  params: number;
  stepMs: number;
  firstLoss: number;
  lastLoss: number;
  version: string;
}

function runTorch(workload: MemoryWorkload, steps: number): TorchMemory | { error: string } {
  const r = spawnSync(PYTHON, [TORCH_PY, workload, String(steps)], { encoding: 'utf8' });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as TorchMemory;
  } catch {
    return { error: `PyTorch peer failed (exit ${r.status}): ${r.stderr.slice(-500)}` };
  }
}

/** The variants measured: ONNX Runtime's memory options (the old defaults first), then recomputation. */
export const VARIANTS: MemoryVariant[] = [
  { label: 'before: pattern on, arena on', session: { memoryPattern: true, cpuMemArena: true } },
  { label: 'pattern on, arena off', session: { memoryPattern: true, cpuMemArena: false } },
  { label: 'pattern off, arena off', session: { memoryPattern: false, cpuMemArena: false } },
  { label: 'after: defaults (pattern off, arena on)' },
  { label: 'defaults + recompute auto', recompute: 'auto' },
];

const mb = (b: number) => (b / 2 ** 20).toFixed(0);

export interface MemoryBenchResult {
  gymnos: GymnosMemory[];
  pytorch: Array<TorchMemory | { workload: string; error: string }>;
  notes: string[];
}

export async function benchMemory(
  o: { quick?: boolean; workloads?: MemoryWorkload[]; torch?: boolean; variants?: MemoryVariant[] } = {},
): Promise<MemoryBenchResult> {
  const steps = o.quick ? 2 : 3;
  const workloads = o.workloads ?? (Object.keys(MEMORY_WORKLOADS) as MemoryWorkload[]);
  const variants = o.variants ?? VARIANTS;
  const gymnos: GymnosMemory[] = [];
  const pytorch: MemoryBenchResult['pytorch'] = [];
  console.log(
    '| workload | variant | Gymnos peak MB | runtime MB | step ms | floor MB (recompute: its own) | peak/floor |',
  );
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const wl of workloads) {
    for (const v of variants) {
      const r = runChild(wl, v, steps);
      gymnos.push(r);
      console.log(
        `| ${wl} | ${v.label} | ${mb(r.peakRssBytes)} | ${mb(r.runtimeRssBytes)} | ${r.stepMs.toFixed(0)} | ${mb(r.floorBytes)} | ${(r.peakRssBytes / r.floorBytes).toFixed(2)}x |`,
      );
    }
  }
  console.log(
    '\n| workload | Gymnos before MB | after MB | after + recompute auto MB | PyTorch MB | after/PyTorch | floor MB | after/floor | floor with recompute MB |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const wl of workloads) {
    const t = o.torch === false ? { error: 'not run (--no-torch)' } : runTorch(wl, steps);
    pytorch.push('error' in t ? { workload: wl, error: t.error } : t);
    const pick = (label: string) => gymnos.find((r) => r.workload === wl && r.variant === label);
    const before = pick(VARIANTS[0].label);
    const after = pick(VARIANTS[3].label) ?? gymnos.find((r) => r.workload === wl)!;
    const rc = pick(VARIANTS[4].label);
    const torchMb = 'error' in t ? t.error : mb(t.peakRssBytes);
    const ratio = 'error' in t ? '' : `${(after.peakRssBytes / t.peakRssBytes).toFixed(2)}x`;
    console.log(
      `| ${wl} | ${before ? mb(before.peakRssBytes) : ''} | ${mb(after.peakRssBytes)} | ${rc ? mb(rc.peakRssBytes) : ''} | ${torchMb} | ${ratio} | ${mb(after.floorBytes)} | ${(after.peakRssBytes / after.floorBytes).toFixed(2)}x | ${rc ? mb(rc.floorBytes) : ''} |`,
    );
  }
  const notes = [
    'peak = process VmHWM (Gymnos) / ru_maxrss (PyTorch); runtime = resident size after loading the runtime (Node + onnxruntime-node / Python + torch), included in the peak',
    'floor = parameters + Adam state + running statistics + forward values read by the backward pass, at the batch size; no runtime',
    'ONNX Runtime arena usage: not observable from onnxruntime-node; compare the arena on/off rows',
  ];
  return { gymnos, pytorch, notes };
}

if (process.argv.includes('--child')) {
  const { workload, v, steps } = JSON.parse(process.argv[process.argv.indexOf('--child') + 1]) as {
    workload: MemoryWorkload;
    v: MemoryVariant;
    steps: number;
  };
  await child(workload, v, steps);
} else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const wi = process.argv.indexOf('--workloads');
  const r = await benchMemory({
    quick: process.argv.includes('--quick'),
    torch: !process.argv.includes('--no-torch'),
    workloads: wi > 0 ? (process.argv[wi + 1].split(',') as MemoryWorkload[]) : undefined,
  });
  if (process.argv.includes('--write')) {
    // standalone run: replace only the `memory` section of bench/results.json
    const file = new URL('./results.json', import.meta.url);
    const all = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
    all.memory = { measured: new Date().toISOString(), ...r };
    writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
    console.log('\nwrote the memory section of bench/results.json');
  }
}
