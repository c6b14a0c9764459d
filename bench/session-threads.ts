/**
 * Session thread settings, measured: an MLP 784-256-128-10 training step at batch 128 (forward,
 * softmax cross-entropy, backward and SGD written out as standard ops, weights fed as inputs like
 * Gymnos's training graphs) run with intraOpNumThreads 1 / 2 / ORT's default, sequential vs
 * parallel executor, spinning on/off, idle and with half the cores busy (the data loader competing).
 * Prints median ms per step; `--json <file>` writes the numbers. `--runs N` (default 200).
 *
 *   node --import tsx bench/session-threads.ts [--runs 200] [--json out.json]
 */
import { cpus } from 'node:os';
import { writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { emptyGraph } from '../src/onnx/ir.js';
import { GraphBuilder } from '../src/onnx/builder.js';
import { encodeModel } from '../src/onnx/io.js';
import { tensor, type Tensor } from '../src/onnx/tensor.js';
import { OrtBackend } from '../src/sessions/ort-backend.js';
import { SessionWorker } from '../src/sessions/worker-host.js';
import type { ResolvedSessionConfig } from '../src/sessions/types.js';

const SIZES = [784, 256, 128, 10];
const BATCH = 128;

/** The training step graph; params are inputs W0,b0,...; outputs the updated params and loss. */
function mlpStep(): Uint8Array {
  const g = emptyGraph('mlp_step');
  const b = new GraphBuilder(g, 's');
  g.inputs.push(
    { name: 'x', dtype: 'float32', shape: [BATCH, SIZES[0]] },
    { name: 'onehot', dtype: 'float32', shape: [BATCH, SIZES[3]] },
    { name: 'lr', dtype: 'float32', shape: [] },
  );
  const acts = ['x'];
  const pre: string[] = [];
  for (let l = 0; l < 3; l++) {
    g.inputs.push(
      { name: `W${l}`, dtype: 'float32', shape: [SIZES[l], SIZES[l + 1]] },
      { name: `b${l}`, dtype: 'float32', shape: [SIZES[l + 1]] },
    );
    const z = b.op('Add', [b.op('MatMul', [acts[l], `W${l}`]), `b${l}`]);
    pre.push(z);
    acts.push(l < 2 ? b.op('Relu', [z]) : z);
  }
  const logp = b.op('LogSoftmax', [acts[3]], { axis: 1 });
  const loss = b.op('Div', [
    b.op('Neg', [b.op('ReduceSum', [b.op('Mul', [logp, 'onehot']), b.ints([0, 1])], { keepdims: 0 })]),
    b.constant('float32', BATCH),
  ]);
  let d = b.op('Div', [b.op('Sub', [b.op('Exp', [logp]), 'onehot']), b.constant('float32', BATCH)]);
  for (let l = 2; l >= 0; l--) {
    if (l < 2) d = b.op('Mul', [d, b.op('Cast', [b.op('Greater', [pre[l], b.constant('float32', 0)])], { to: 1 })]);
    const dW = b.op('MatMul', [b.op('Transpose', [acts[l]], { perm: [1, 0] }), d]);
    const db = b.op('ReduceSum', [d, b.ints([0])], { keepdims: 0 });
    if (l > 0) d = b.op('MatMul', [d, b.op('Transpose', [`W${l}`], { perm: [1, 0] })]);
    b.emit('Sub', [`W${l}`, b.op('Mul', [dW, 'lr'])], [`W${l}_new`]);
    b.emit('Sub', [`b${l}`, b.op('Mul', [db, 'lr'])], [`b${l}_new`]);
  }
  b.emit('Identity', [loss], ['loss']);
  for (let l = 0; l < 3; l++)
    g.outputs.push(
      { name: `W${l}_new`, dtype: 'float32', shape: [SIZES[l], SIZES[l + 1]] },
      { name: `b${l}_new`, dtype: 'float32', shape: [SIZES[l + 1]] },
    );
  g.outputs.push({ name: 'loss', dtype: 'float32', shape: [] });
  return encodeModel({
    irVersion: 8,
    opset: new Map([['', 18]]),
    producerName: 'gymnos-bench',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    graph: g,
  });
}

function feeds(): Record<string, Tensor> {
  let s = 12345;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5;
  const f: Record<string, Tensor> = {
    x: tensor(
      'float32',
      [BATCH, SIZES[0]],
      Float32Array.from({ length: BATCH * SIZES[0] }, () => rnd() + 0.5),
    ),
    onehot: tensor(
      'float32',
      [BATCH, SIZES[3]],
      Float32Array.from({ length: BATCH * SIZES[3] }, (_, i) =>
        i % SIZES[3] === (Math.floor(i / SIZES[3]) * 7) % SIZES[3] ? 1 : 0,
      ),
    ),
    lr: tensor('float32', [], [0.01]),
  };
  for (let l = 0; l < 3; l++) {
    f[`W${l}`] = tensor(
      'float32',
      [SIZES[l], SIZES[l + 1]],
      Float32Array.from({ length: SIZES[l] * SIZES[l + 1] }, () => rnd() * 0.1),
    );
    f[`b${l}`] = tensor('float32', [SIZES[l + 1]], new Float32Array(SIZES[l + 1]));
  }
  return f;
}

interface Variant {
  label: string;
  intra: number;
  mode: 'sequential' | 'parallel';
  inter: number;
  spin: boolean;
}

/** intraOpNumThreads 1, 2, 4, ... up to the core count, ORT's default (0), spinning, parallel executor. */
function variants(cores: number): Variant[] {
  const v: Variant[] = [];
  for (let n = 1; n <= cores; n *= 2)
    v.push({ label: `intra ${n}`, intra: n, mode: 'sequential', inter: 1, spin: false });
  v.push({ label: 'intra 2 spin', intra: 2, mode: 'sequential', inter: 1, spin: true });
  v.push({ label: 'ORT default (0)', intra: 0, mode: 'sequential', inter: 0, spin: false });
  v.push({ label: 'ORT default (0) spin', intra: 0, mode: 'sequential', inter: 0, spin: true });
  v.push({ label: 'intra 1 parallel inter 2', intra: 1, mode: 'parallel', inter: 2, spin: false });
  v.push({ label: 'intra 2 parallel inter 2 spin', intra: 2, mode: 'parallel', inter: 2, spin: true });
  return v;
}

function config(v: Variant): ResolvedSessionConfig {
  return {
    provider: 'cpu',
    deviceId: 0,
    intraOpThreads: v.intra,
    interOpThreads: v.inter,
    graphOptimization: 'all',
    executionMode: v.mode,
    enableProfiling: false,
    profileFilePrefix: 'bench',
    memoryPattern: true,
    allowSpinning: v.spin,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

/** A thread that burns CPU until terminated: the competing data loader. */
function busyThread(): Worker {
  return new Worker('for (;;) { let x = 0; for (let i = 0; i < 1e6; i++) x += Math.sqrt(i); }', { eval: true });
}

async function main(): Promise<void> {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const runs = Number(arg('--runs') ?? 200);
  const model = mlpStep();
  const f = feeds();
  const backend = new OrtBackend();
  const results: Array<{ variant: string; load: string; medianMs: number; p10Ms: number; p90Ms: number }> = [];
  console.log(
    `MLP ${SIZES.join('-')} training step, batch ${BATCH}; ${cpus().length} CPUs (${cpus()[0]?.model.trim()}); ${runs} runs each, median ms`,
  );
  const cores = cpus().length;
  const nBusy = Math.max(1, Math.floor(cores / 2));
  const VARIANTS = variants(cores);
  for (const load of ['idle', `${nBusy} busy thread${nBusy > 1 ? 's' : ''}`]) {
    const busy = load === 'idle' ? [] : Array.from({ length: nBusy }, busyThread);
    for (const v of VARIANTS) {
      const s = await backend.create(model, config(v));
      for (let i = 0; i < 20; i++) await s.run(f);
      const t: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        await s.run(f);
        t.push(performance.now() - t0);
      }
      await s.release();
      const sorted = [...t].sort((a, b) => a - b);
      results.push({
        variant: v.label,
        load,
        medianMs: median(t),
        p10Ms: sorted[Math.floor(runs * 0.1)],
        p90Ms: sorted[Math.floor(runs * 0.9)],
      });
      console.log(
        `  ${load.padEnd(16)} ${v.label.padEnd(30)} ${median(t).toFixed(3)} ms  (p10 ${sorted[Math.floor(runs * 0.1)].toFixed(3)}, p90 ${sorted[Math.floor(runs * 0.9)].toFixed(3)})`,
      );
    }
    await Promise.all(busy.map((b) => b.terminate()));
  }
  // The same step through the session worker: what crossing the thread boundary costs.
  for (const transferFeeds of [false, true]) {
    const w = new SessionWorker({ transferFeeds });
    await w.createSession('step', model, config(VARIANTS[0]));
    const t: number[] = [];
    for (let i = 0; i < 20 + runs; i++) {
      const fi = transferFeeds
        ? Object.fromEntries(Object.entries(f).map(([k, v]) => [k, { ...v, data: (v.data as Float32Array).slice() }]))
        : f;
      const t0 = performance.now();
      await w.run('step', fi);
      if (i >= 20) t.push(performance.now() - t0);
    }
    await w.terminate();
    results.push({
      variant: `worker intra 1 (${transferFeeds ? 'transfer' : 'copy'} feeds)`,
      load: 'idle',
      medianMs: median(t),
      p10Ms: NaN,
      p90Ms: NaN,
    });
    console.log(
      `  ${'idle'.padEnd(16)} ${`worker intra 1, ${transferFeeds ? 'transfer' : 'copy'} feeds`.padEnd(30)} ${median(t).toFixed(3)} ms`,
    );
  }
  const out = arg('--json');
  if (out)
    writeFileSync(
      out,
      JSON.stringify({ cpus: cpus().length, cpuModel: cpus()[0]?.model.trim(), runs, results }, null, 2),
    );
}

await main();
