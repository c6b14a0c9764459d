/**
 * The workloads every tool runs (Gymnos, raw ONNX Runtime, TensorFlow.js, PyTorch in
 * bench/peers/pytorch_peer.py, which mirrors this file): the same shapes,
 * batch sizes, optimizer (Adam, lr 1e-3), steps and synthetic data from the same seed.
 *
 * The data is learnable (each class has a fixed prototype image; a sample is its class's
 * prototype plus uniform noise), so a correct run's loss falls within a few steps, and the
 * benchmark can assert that it does.
 */

export type WorkloadName = 'mlp' | 'lenet' | 'resnet20' | 'mobilenetv2';

export interface Workload {
  name: WorkloadName;
  title: string;
  /** Per-sample shape in NCHW order without the batch axis ([784] for the MLP). */
  sample: number[];
  batch: number;
  classes: number;
  /** Steps per measured "epoch" (one timing sample). */
  stepsPerEpoch: number;
}

export const WORKLOADS: Record<WorkloadName, Workload> = {
  mlp: {
    name: 'mlp',
    title: 'MLP 784-256-128-10, batch 128',
    sample: [784],
    batch: 128,
    classes: 10,
    stepsPerEpoch: 20,
  },
  lenet: {
    name: 'lenet',
    title: 'LeNet-style CNN 28x28, batch 64',
    sample: [1, 28, 28],
    batch: 64,
    classes: 10,
    stepsPerEpoch: 10,
  },
  resnet20: {
    name: 'resnet20',
    title: 'ResNet-20 32x32x3, batch 64',
    sample: [3, 32, 32],
    batch: 64,
    classes: 10,
    stepsPerEpoch: 2,
  },
  mobilenetv2: {
    name: 'mobilenetv2',
    title: 'MobileNetV2-style 32x32x3, batch 64',
    sample: [3, 32, 32],
    batch: 64,
    classes: 10,
    stepsPerEpoch: 2,
  },
};

/** The workload names in table order. */
export const WORKLOAD_NAMES = Object.keys(WORKLOADS) as WorkloadName[];

/**
 * The MobileNetV2-style workload: the zoo's `mobilenet_v2` cut to four stages (stem 32, inverted
 * residual blocks with 1x1 expansion, 3x3 depthwise, linear 1x1 projection, ReLU6), a 1x1 conv to
 * 256 channels, no dropout (about 22 MFLOP forward per 32x32 sample, ResNet-20 is about 82).
 */
export const MOBILENET_STYLE = {
  stemChannels: 32,
  stemStride: 1,
  lastChannels: 256,
  dropout: 0,
  blocks: [
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 3, 2],
    [6, 64, 2, 2],
  ],
  inputShape: [3, 32, 32],
  classes: 10,
};

/** Convolutional workloads with seconds per step on slow tools (fewer steps per epoch there). */
export const isHeavy = (w: WorkloadName): boolean => w === 'resnet20' || w === 'mobilenetv2';

export const LEARNING_RATE = 1e-3;
export const DATA_SEED = 42;

/** mulberry32: a small seeded generator every tool's data comes from. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Batches {
  /** One Float32Array per batch, NCHW (or [batch, 784]). */
  x: Float32Array[];
  /** Class indices per batch. */
  y: Int32Array[];
}

/** `count` batches of the workload's data (deterministic in `seed`). */
export function makeBatches(w: Workload, count: number, seed = DATA_SEED): Batches {
  const rand = mulberry32(seed);
  const size = w.sample.reduce((a, b) => a * b, 1);
  const protos = Array.from({ length: w.classes }, () => Float32Array.from({ length: size }, () => rand()));
  const x: Float32Array[] = [];
  const y: Int32Array[] = [];
  for (let b = 0; b < count; b++) {
    const xb = new Float32Array(w.batch * size);
    const yb = new Int32Array(w.batch);
    for (let i = 0; i < w.batch; i++) {
      const c = Math.floor(rand() * w.classes);
      yb[i] = c;
      const p = protos[c];
      for (let j = 0; j < size; j++) xb[i * size + j] = 0.5 * p[j] + 0.5 * rand();
    }
    x.push(xb);
    y.push(yb);
  }
  return { x, y };
}

/** NCHW -> NHWC for one batch (TensorFlow.js convolutions are NHWC). */
export function toNhwc(x: Float32Array, n: number, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < n; i++)
    for (let ch = 0; ch < c; ch++)
      for (let r = 0; r < h; r++)
        for (let col = 0; col < w; col++) {
          out[((i * h + r) * w + col) * c + ch] = x[((i * c + ch) * h + r) * w + col];
        }
  return out;
}

/**
 * The median; of an even count, the mean of the middle two (the upper one biased a 2-epoch --quick run to its slower
 * epoch).
 */
export const median = (xs: number[]): number => {
  if (!xs.length) throw new Error('median of no values');
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};
export const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** What each tool's run reports. */
export interface ToolResult {
  tool: string;
  workload: WorkloadName;
  /** Median wall-clock ms per step over measured epochs. */
  stepMs: number;
  /** Median process CPU ms per step. */
  cpuMs: number;
  samplesPerSec: number;
  /** Samples per CPU second (robust to a loaded machine). */
  samplesPerCpuSec: number;
  /** Mean loss of the first and last epoch (warm-up included in the first). */
  firstLoss: number;
  lastLoss: number;
  epochs: number;
  steps: number;
  /** Threads the tool computed with. */
  threads: number;
  notes: string[];
}

/**
 * Times `epochs` measured epochs after `warmup` (each epoch runs `steps` calls of `step`,
 * which returns that step's loss), and checks that the loss falls.
 */
export async function timeEpochs(
  tool: string,
  w: Workload,
  warmup: number,
  epochs: number,
  steps: number,
  threads: number,
  step: (i: number) => number | Promise<number>,
  requireFall = true,
): Promise<ToolResult> {
  const walls: number[] = [];
  const cpus: number[] = [];
  const epochLoss: number[] = [];
  let i = 0;
  for (let e = 0; e < warmup + epochs; e++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let sum = 0;
    for (let s = 0; s < steps; s++) sum += await step(i++);
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    epochLoss.push(sum / steps);
    if (e >= warmup) {
      walls.push(wall / steps);
      cpus.push((c.user + c.system) / 1e3 / steps);
    }
  }
  const first = epochLoss[0];
  const last = epochLoss[epochLoss.length - 1];
  if (!Number.isFinite(first) || !Number.isFinite(last) || (requireFall && !(last < first))) {
    throw new Error(
      `${tool} on ${w.title}: the loss did not fall (first epoch ${first}, last ${last}); refusing to report a broken run`,
    );
  }
  const stepMs = median(walls);
  const cpuMs = median(cpus);
  return {
    tool,
    workload: w.name,
    stepMs,
    cpuMs,
    samplesPerSec: (1000 * w.batch) / stepMs,
    samplesPerCpuSec: (1000 * w.batch) / cpuMs,
    firstLoss: first,
    lastLoss: last,
    epochs,
    steps,
    threads,
    notes: [],
  };
}
