/**
 * The workloads in TensorFlow.js, written the fastest way its API allows: plain ops on
 * `tf.variable`s, `tf.train.adam(1e-3)`, `optimizer.minimize` per step (no tf.layers
 * bookkeeping), pre-built batch tensors, NHWC convolutions. Backends: 'cpu' (pure JS) and
 * 'wasm' (XNNPACK, SIMD). One backend per process: the wasm thread count must be set before the
 * backend initializes.
 */
import * as tf from '@tensorflow/tfjs';
import {
  LEARNING_RATE,
  MOBILENET_STYLE,
  WORKLOADS,
  makeBatches,
  mulberry32,
  timeEpochs,
  toNhwc,
  type ToolResult,
  type Workload,
  type WorkloadName,
} from './workloads.js';
import { registerWasmConvFilterFallback } from './conv-filter-fallback.js';

export interface TfjsSetup {
  backend: 'cpu' | 'wasm';
  threads: number;
  notes: string[];
}

/** Selects and initializes the backend; records what it really got. */
export async function initTfjs(backend: 'cpu' | 'wasm', threads = 1): Promise<TfjsSetup> {
  const notes: string[] = [];
  let got = 1;
  if (backend === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setThreadsCount(threads);
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend failed to initialize');
    await tf.ready();
    got = wasm.getThreadsCount();
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const mt = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    notes.push(
      `wasm SIMD ${simd ? 'on' : 'off'}; threads requested ${threads}, got ${got} (WASM_HAS_MULTITHREAD_SUPPORT=${mt}, SharedArrayBuffer ${typeof SharedArrayBuffer === 'function' ? 'present' : 'absent'})`,
    );
    if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
      notes.push(
        'wasm lacks Conv2DBackpropFilter: measured with a registered pure-JS fallback kernel (bench/peers/conv-filter-fallback.ts)',
      );
      registerWasmConvFilterFallback();
    }
  } else {
    if (!(await tf.setBackend('cpu'))) throw new Error('tfjs: the cpu backend failed to initialize');
    await tf.ready();
  }
  return { backend, threads: got, notes };
}

type Params = tf.Variable[];
type Forward = (x: tf.Tensor) => tf.Tensor;

function heUniform(rand: () => number, shape: number[], fanIn: number): tf.Variable {
  const n = shape.reduce((a, b) => a * b, 1);
  const lim = Math.sqrt(6 / fanIn);
  return tf.variable(
    tf.tensor(
      Float32Array.from({ length: n }, () => (2 * rand() - 1) * lim),
      shape,
    ),
  );
}
const zeros = (shape: number[]) => tf.variable(tf.zeros(shape));
const ones = (shape: number[]) => tf.variable(tf.ones(shape));

function mlp(rand: () => number): { params: Params; forward: Forward } {
  const sizes = [784, 256, 128, 10];
  const ws = sizes.slice(1).map((o, i) => heUniform(rand, [sizes[i], o], sizes[i]));
  const bs = sizes.slice(1).map((o) => zeros([o]));
  return {
    params: [...ws, ...bs],
    forward: (x) => {
      let h: tf.Tensor = x;
      for (let i = 0; i < ws.length; i++) {
        h = tf.add(tf.matMul(h, ws[i]), bs[i]);
        if (i < ws.length - 1) h = tf.relu(h);
      }
      return h;
    },
  };
}

function lenet(rand: () => number): { params: Params; forward: Forward } {
  const c1 = heUniform(rand, [3, 3, 1, 8], 9);
  const b1 = zeros([8]);
  const c2 = heUniform(rand, [3, 3, 8, 16], 72);
  const b2 = zeros([16]);
  const d = heUniform(rand, [7 * 7 * 16, 10], 7 * 7 * 16);
  const bd = zeros([10]);
  return {
    params: [c1, b1, c2, b2, d, bd],
    forward: (x) => {
      let h = tf.maxPool(
        tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, c1 as tf.Tensor4D, 1, 'same'), b1)) as tf.Tensor4D,
        2,
        2,
        'valid',
      );
      h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, c2 as tf.Tensor4D, 1, 'same'), b2)) as tf.Tensor4D, 2, 2, 'valid');
      return tf.add(tf.matMul(tf.reshape(h, [-1, 7 * 7 * 16]), d), bd);
    },
  };
}

/**
 * CIFAR ResNet-20 as the Gymnos zoo builds it: bias-free convs, BatchNorm (batch statistics), 1x1 conv + BN shortcuts.
 */
function resnet20(rand: () => number): { params: Params; forward: Forward } {
  const params: Params = [];
  const conv = (cin: number, cout: number, k: number) => {
    const w = heUniform(rand, [k, k, cin, cout], k * k * cin);
    params.push(w);
    return w as tf.Tensor4D;
  };
  const bn = (c: number) => {
    const g = ones([c]);
    const b = zeros([c]);
    params.push(g, b);
    return (x: tf.Tensor4D) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b) as tf.Tensor4D;
    };
  };
  type Block = (x: tf.Tensor4D) => tf.Tensor4D;
  const blocks: Block[] = [];
  const stem = conv(3, 16, 3);
  const stemBn = bn(16);
  let cin = 16;
  for (let s = 0; s < 3; s++) {
    const cout = 16 << s;
    for (let i = 0; i < 3; i++) {
      const stride = s > 0 && i === 0 ? 2 : 1;
      const w1 = conv(cin, cout, 3);
      const n1 = bn(cout);
      const w2 = conv(cout, cout, 3);
      const n2 = bn(cout);
      const short = stride === 1 && cin === cout ? undefined : { w: conv(cin, cout, 1), n: bn(cout) };
      blocks.push((x) => {
        const y = n2(tf.conv2d(tf.relu(n1(tf.conv2d(x, w1, stride, 'same'))), w2, 1, 'same'));
        const sc = short ? short.n(tf.conv2d(x, short.w, stride, 'same')) : x;
        return tf.relu(tf.add(y, sc)) as tf.Tensor4D;
      });
      cin = cout;
    }
  }
  const head = heUniform(rand, [64, 10], 64);
  const hb = zeros([10]);
  params.push(head, hb);
  return {
    params,
    forward: (x) => {
      let h = tf.relu(stemBn(tf.conv2d(x as tf.Tensor4D, stem, 1, 'same')));
      for (const b of blocks) h = b(h);
      return tf.add(tf.matMul(tf.mean(h, [1, 2]), head), hb);
    },
  };
}

/**
 * The MobileNetV2-style workload (workloads.ts MOBILENET_STYLE): bias-free convs, BatchNorm with batch statistics,
 * ReLU6.
 */
function mobilenetv2(rand: () => number): { params: Params; forward: Forward } {
  const params: Params = [];
  const bn = (c: number) => {
    const g = ones([c]);
    const b = zeros([c]);
    params.push(g, b);
    return (x: tf.Tensor4D) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b) as tf.Tensor4D;
    };
  };
  type Layer = (x: tf.Tensor4D) => tf.Tensor4D;
  const convBn = (
    cin: number,
    cout: number,
    k: number,
    o: { stride?: 1 | 2; depthwise?: boolean; act?: boolean } = {},
  ): Layer => {
    const w = o.depthwise ? heUniform(rand, [k, k, cin, 1], k * k) : heUniform(rand, [k, k, cin, cout], k * k * cin);
    params.push(w);
    const n = bn(cout);
    return (x) => {
      const y = n(
        o.depthwise
          ? tf.depthwiseConv2d(x, w as tf.Tensor4D, o.stride ?? 1, 'same')
          : tf.conv2d(x, w as tf.Tensor4D, o.stride ?? 1, 'same'),
      );
      return o.act === false ? y : (tf.clipByValue(y, 0, 6) as tf.Tensor4D);
    };
  };
  const layers: Layer[] = [convBn(3, MOBILENET_STYLE.stemChannels, 3)];
  let cin = MOBILENET_STYLE.stemChannels;
  for (const [t, c, n, s] of MOBILENET_STYLE.blocks) {
    for (let i = 0; i < n; i++) {
      const stride = (i === 0 ? s : 1) as 1 | 2;
      const hidden = cin * t;
      const body = [
        ...(t === 1 ? [] : [convBn(cin, hidden, 1)]),
        convBn(hidden, hidden, 3, { stride, depthwise: true }),
        convBn(hidden, c, 1, { act: false }),
      ];
      const residual = stride === 1 && cin === c;
      layers.push((x) => {
        const y = body.reduce((h, f) => f(h), x);
        return residual ? (tf.add(x, y) as tf.Tensor4D) : y;
      });
      cin = c;
    }
  }
  layers.push(convBn(cin, MOBILENET_STYLE.lastChannels, 1));
  const head = heUniform(rand, [MOBILENET_STYLE.lastChannels, 10], MOBILENET_STYLE.lastChannels);
  const hb = zeros([10]);
  params.push(head, hb);
  return {
    params,
    forward: (x) =>
      tf.add(
        tf.matMul(
          tf.mean(
            layers.reduce((h, f) => f(h), x as tf.Tensor4D),
            [1, 2],
          ),
          head,
        ),
        hb,
      ),
  };
}

const BUILDERS: Record<WorkloadName, (rand: () => number) => { params: Params; forward: Forward }> = {
  mlp,
  lenet,
  resnet20,
  mobilenetv2,
};

/** Pre-built input and one-hot label tensors for `count` batches (NHWC for the CNNs). */
function tfBatches(w: Workload, count: number): Array<{ x: tf.Tensor; y: tf.Tensor }> {
  const b = makeBatches(w, count);
  return b.x.map((x, i) => {
    const data = w.sample.length === 3 ? toNhwc(x, w.batch, w.sample[0], w.sample[1], w.sample[2]) : x;
    const shape = w.sample.length === 3 ? [w.batch, w.sample[1], w.sample[2], w.sample[0]] : [w.batch, ...w.sample];
    return { x: tf.tensor(data, shape), y: tf.oneHot(tf.tensor1d(b.y[i], 'int32'), w.classes) };
  });
}

/** Trains `name` on the current backend: `warmup` + `epochs` epochs of `steps` steps. */
export async function runTfjsWorkload(
  setup: TfjsSetup,
  name: WorkloadName,
  opts: { warmup: number; epochs: number; steps?: number; requireFall?: boolean },
): Promise<ToolResult> {
  const w = WORKLOADS[name];
  const steps = opts.steps ?? w.stepsPerEpoch;
  const { params, forward } = BUILDERS[name](mulberry32(7));
  const data = tfBatches(w, steps);
  const optimizer = tf.train.adam(LEARNING_RATE);
  const r = await timeEpochs(
    `tfjs-${setup.backend}${setup.backend === 'wasm' ? `-${setup.threads}t` : ''}`,
    w,
    opts.warmup,
    opts.epochs,
    steps,
    setup.threads,
    (i) => {
      const { x, y } = data[i % steps];
      const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, forward(x)) as tf.Scalar, true, params)!;
      const v = loss.dataSync()[0];
      loss.dispose();
      return v;
    },
    opts.requireFall ?? true,
  );
  optimizer.dispose();
  for (const d of data) {
    d.x.dispose();
    d.y.dispose();
  }
  for (const p of params) p.dispose();
  r.notes.push(...setup.notes);
  return r;
}
