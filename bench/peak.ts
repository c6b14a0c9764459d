/**
 * The machine's own limit: FLOPs per training sample counted from the ONNX graph, the CPU's
 * theoretical float32 peak (cores x FMA lanes per cycle x 2 x clock, from lscpu and
 * /proc/cpuinfo), and what small loops measure in the same run:
 *
 * - a WebAssembly SIMD loop (f32x4 mul + add on 12 independent accumulators; WASM has no fused
 *   multiply-add without relaxed SIMD, so this is a lower bound at 4 lanes, not 8 or 16),
 * - a plain JavaScript scalar loop (the same on doubles: a lower bound at 1 lane),
 * - ONNX Runtime's own MatMul (MLAS, 1 thread, 1024^3): the best a real kernel reaches here.
 *
 * Counted ops: MatMul, Gemm, Conv (2 FLOPs per multiply-add); training = 3 x forward (forward,
 * input gradient, weight gradient). Elementwise ops, pooling, BatchNorm, the loss and Adam are
 * not counted, so fractions of peak are slight underestimates.
 *
 *   node --import tsx bench/peak.ts
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import ort from 'onnxruntime-node';
import type { Model } from '../src/onnx/ir.js';
import { attrInt } from '../src/onnx/ir.js';
import { cloneModel } from '../src/onnx/clone.js';
import { inferShapes } from '../src/onnx/shapes/infer.js';
import { encodeModel } from '../src/onnx/io.js';

const prod = (xs: number[]) => xs.reduce((a, b) => a * b, 1);

/** Forward FLOPs for one sample (MatMul, Gemm, Conv; batch axes set to 1). */
export function forwardFlopsPerSample(model: Model): { flops: number; byOp: Record<string, number> } {
  const m = cloneModel(model);
  for (const v of m.graph.inputs) if (v.shape) v.shape = v.shape.map((d) => (typeof d === 'number' ? d : 1));
  const t = inferShapes(m.graph, m.opset.get('') ?? m.opset.get('ai.onnx') ?? 17);
  const shape = (name: string): number[] => {
    const s = t.info.get(name)?.shape;
    if (!s || s.some((d) => typeof d !== 'number')) throw new Error(`FLOP count: no static shape for '${name}'`);
    return s as number[];
  };
  const byOp: Record<string, number> = {};
  let flops = 0;
  for (const n of m.graph.nodes) {
    let f = 0;
    if (n.opType === 'MatMul') {
      const a = shape(n.inputs[0]);
      f = 2 * prod(shape(n.outputs[0])) * a[a.length - 1];
    } else if (n.opType === 'Gemm') {
      const a = shape(n.inputs[0]);
      f = 2 * prod(shape(n.outputs[0])) * (attrInt(n, 'transA', 0) ? a[0] : a[1]);
    } else if (n.opType === 'Conv') {
      const w = shape(n.inputs[1]);
      f = 2 * prod(shape(n.outputs[0])) * prod(w.slice(1));
    }
    if (f) {
      flops += f;
      byOp[n.opType] = (byOp[n.opType] ?? 0) + f;
    }
  }
  return { flops, byOp };
}

export interface CpuPeak {
  model: string;
  cores: number;
  mhz: number;
  isa: string;
  /** float32 FMAs per cycle per core (lanes x FMA units). */
  fmaLanes: number;
  peakGflopsPerCore: number;
  peakGflops: number;
  basis: string;
}

/** Theoretical float32 peak from lscpu / /proc/cpuinfo. */
export function cpuPeak(): CpuPeak {
  let lscpu = '';
  try {
    lscpu = execFileSync('lscpu', { encoding: 'utf8' });
  } catch {
    /* not Linux */
  }
  const field = (k: string) => lscpu.match(new RegExp(`^${k}:\\s*(.+)$`, 'm'))?.[1]?.trim();
  const flags = ` ${field('Flags') ?? ''} `;
  const vendor = field('Vendor ID') ?? '';
  const family = Number(field('CPU family') ?? 0);
  let mhz = Number(field('CPU max MHz') ?? 0);
  if (!mhz) {
    try {
      mhz = Number(readFileSync('/proc/cpuinfo', 'utf8').match(/cpu MHz\s*:\s*([\d.]+)/)?.[1] ?? 0);
    } catch {
      /* */
    }
  }
  if (!mhz) mhz = cpus()[0]?.speed ?? 0;
  const cores = Number(field('CPU\\(s\\)') ?? cpus().length);
  let isa = 'sse';
  let fmaLanes = 4;
  let basis = 'SSE: 4-lane mul + add per cycle, no FMA';
  if (flags.includes(' avx512f ')) {
    isa = 'avx512';
    if (vendor === 'AuthenticAMD' && family === 25) {
      fmaLanes = 16;
      basis = 'Zen 4: AVX-512 on two 256-bit FMA pipes = 16 float32 FMAs/cycle';
    } else if (vendor === 'AuthenticAMD') {
      fmaLanes = 32;
      basis = 'AMD AVX-512 (Zen 5): two 512-bit FMA pipes = 32 float32 FMAs/cycle';
    } else {
      fmaLanes = 32;
      basis = 'Intel AVX-512, assuming two 512-bit FMA units = 32 float32 FMAs/cycle';
    }
  } else if (flags.includes(' fma ') && flags.includes(' avx2 ')) {
    isa = 'avx2+fma';
    fmaLanes = 16;
    basis = 'AVX2: two 256-bit FMA units = 16 float32 FMAs/cycle';
  }
  const perCore = (fmaLanes * 2 * mhz) / 1000;
  return {
    model: field('Model name') ?? cpus()[0]?.model ?? '?',
    cores,
    mhz,
    isa,
    fmaLanes,
    peakGflopsPerCore: perCore,
    peakGflops: perCore * cores,
    basis,
  };
}

const leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const f32 = (x: number) => [...new Uint8Array(Float32Array.of(x).buffer)];

/** A WASM module: run(n) does n iterations of acc_i = acc_i * m + c on 12 f32x4 accumulators (96 FLOPs each). */
function simdModule(accs = 12): Uint8Array<ArrayBuffer> {
  const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
  const code: number[] = [0x01, accs + 2, 0x7b]; // locals: (accs + 2) v128
  code.push(0x43, ...f32(0.9999), 0xfd, 0x13, 0x21, 1); // m
  code.push(0x43, ...f32(1e-6), 0xfd, 0x13, 0x21, 2); // c
  code.push(0x03, 0x40); // loop
  for (let i = 0; i < accs; i++)
    code.push(0x20, 3 + i, 0x20, 1, 0xfd, 0xe6, 0x01, 0x20, 2, 0xfd, 0xe4, 0x01, 0x21, 3 + i);
  code.push(0x20, 0, 0x41, 1, 0x6b, 0x22, 0, 0x0d, 0, 0x0b); // n -= 1; br_if; end loop
  for (let i = 1; i < accs; i++) code.push(0x20, 3, 0x20, 3 + i, 0xfd, 0xe4, 0x01, 0x21, 3); // sum into acc0
  code.push(0x20, 3, 0xfd, 0x1f, 0, 0x0b);
  const body = [...leb(code.length), ...code];
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, [0x01, 0x60, 0x01, 0x7f, 0x01, 0x7d]),
    ...section(3, [0x01, 0x00]),
    ...section(7, [0x01, 0x03, 0x72, 0x75, 0x6e, 0x00, 0x00]),
    ...section(10, [0x01, ...body]),
  ]);
}

function timeGflops(flops: number, fn: () => void, reps: number): { gflops: number; cpuGflops: number } {
  fn();
  const w: number[] = [];
  const c: number[] = [];
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    w.push(performance.now() - t0);
    const u = process.cpuUsage(c0);
    c.push((u.user + u.system) / 1e3);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { gflops: flops / med(w) / 1e6, cpuGflops: flops / Math.max(med(c), 1e-3) / 1e6 };
}

function matMulModel(n: number): Uint8Array {
  const v = (name: string) => ({ name, dtype: 'float32' as const, shape: [n, n] });
  return encodeModel({
    irVersion: 8,
    opset: new Map([['', 17]]),
    producerName: 'gymnos-bench',
    producerVersion: '',
    domain: '',
    modelVersion: 1,
    docString: '',
    metadata: {},
    graph: {
      name: 'matmul',
      nodes: [{ name: 'mm', opType: 'MatMul', domain: '', inputs: ['a', 'b'], outputs: ['y'], attrs: {} }],
      inputs: [v('a'), v('b')],
      outputs: [v('y')],
      initializers: new Map(),
      valueInfo: new Map(),
    },
  });
}

export interface MeasuredPeak {
  wasmSimd: { gflops: number; cpuGflops: number };
  jsScalar: { gflops: number; cpuGflops: number };
  ortMatMul1t: { gflops: number; cpuGflops: number };
}

/** The loops above, one thread each; GFLOP/s by wall clock and per CPU second. */
export async function measurePeak(): Promise<MeasuredPeak> {
  const inst = new WebAssembly.Instance(new WebAssembly.Module(simdModule(12))) as unknown as {
    exports: { run(n: number): number };
  };
  const iters = 2_000_000;
  const wasmSimd = timeGflops(
    iters * 12 * 4 * 2,
    () => {
      inst.exports.run(iters);
    },
    5,
  );
  const jsIters = 2_000_000;
  const jsScalar = timeGflops(
    jsIters * 12 * 2,
    () => {
      let a0 = 0,
        a1 = 0,
        a2 = 0,
        a3 = 0,
        a4 = 0,
        a5 = 0,
        a6 = 0,
        a7 = 0,
        a8 = 0,
        a9 = 0,
        a10 = 0,
        a11 = 0;
      const m = 0.9999,
        c = 1e-6;
      for (let i = 0; i < jsIters; i++) {
        a0 = a0 * m + c;
        a1 = a1 * m + c;
        a2 = a2 * m + c;
        a3 = a3 * m + c;
        a4 = a4 * m + c;
        a5 = a5 * m + c;
        a6 = a6 * m + c;
        a7 = a7 * m + c;
        a8 = a8 * m + c;
        a9 = a9 * m + c;
        a10 = a10 * m + c;
        a11 = a11 * m + c;
      }
      if (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 < 0) console.log('');
    },
    5,
  );
  const n = 1024;
  const s = await ort.InferenceSession.create(matMulModel(n), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
  const a = new ort.Tensor(
    'float32',
    Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000),
    [n, n],
  );
  const runs: Array<{ w: number; c: number }> = [];
  for (let r = 0; r < 6; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await s.run({ a, b: a });
    const u = process.cpuUsage(c0);
    if (r > 0) runs.push({ w: performance.now() - t0, c: (u.user + u.system) / 1e3 });
  }
  await s.release();
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const mmFlops = 2 * n * n * n;
  const ortMatMul1t = {
    gflops: mmFlops / med(runs.map((r) => r.w)) / 1e6,
    cpuGflops: mmFlops / med(runs.map((r) => r.c)) / 1e6,
  };
  return { wasmSimd, jsScalar, ortMatMul1t };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const p = cpuPeak();
  console.log(
    `${p.model}: ${p.cores} cores at ${p.mhz} MHz, ${p.basis}: peak ${p.peakGflopsPerCore.toFixed(1)} GFLOP/s per core, ${p.peakGflops.toFixed(1)} for the machine`,
  );
  const m = await measurePeak();
  for (const [k, v] of Object.entries(m))
    console.log(`${k}: ${v.gflops.toFixed(2)} GFLOP/s wall, ${v.cpuGflops.toFixed(2)} per CPU second`);
}
