/**
 * Gymnos against its peers, side by side: the same workloads (bench/peers/workloads.ts: same
 * shapes, batch sizes, Adam at 1e-3, steps, seeded data) in
 *
 * - raw ONNX Runtime (Gymnos's training graph in a tight `session.run` loop),
 * - Gymnos's StepRunner (worker-thread sessions) and full Trainer,
 * - PyTorch (Debian's python3-torch under /usr/bin/python3, bench/peers/pytorch_peer.py), with
 *   the BLAS it really loads reported; skipped with a note when absent,
 * - TensorFlow.js: the cpu backend, and the wasm backend (SIMD) asking for 1 and 2 threads,
 *
 * with one intra-op thread, then two (Gymnos's raw loop and Trainer, PyTorch), each tool in its
 * own child process, tools alternated per round, medians of measured epochs after a warm-up
 * (and the median over rounds), every tool's loss checked to fall. Times are wall clock and
 * process CPU time: on a loaded machine CPU time is the fairer base. FLOPs per sample from the
 * ONNX graph give GFLOP/s and the fraction of the CPU's theoretical and measured one-core peak.
 *
 *   node --import tsx bench/compare.ts [--quick] [--workloads mlp,lenet,resnet20,mobilenetv2]
 *   (alone, it rewrites only the `compare` part of bench/results.json)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { WORKLOADS, WORKLOAD_NAMES, isHeavy, type WorkloadName } from './peers/workloads.js';
import {
  aggregateRounds,
  parsePeerOutput,
  pytorchRatios,
  type Failed,
  type PeerRatio,
  type Row,
} from './peers/results.js';
import { PYTHON, probeTorch, torchArgs } from './peers/pytorch.js';
import { cpuPeak, forwardFlopsPerSample, measurePeak, type CpuPeak, type MeasuredPeak } from './peak.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('..', import.meta.url));

interface ToolPlan {
  tool: string;
  cmd: string;
  args: string[];
}

function spawnTool(p: ToolPlan, timeoutMs: number): { results: Row[]; failures: Failed[] } {
  const r = spawnSync(p.cmd, p.args, {
    cwd: root,
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 << 20,
    env: { ...process.env },
  });
  const out = parsePeerOutput(r.stdout ?? '', p.tool);
  if (r.status !== 0 || r.error) {
    const why = r.error
      ? r.error.message
      : `exit ${r.status}: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`;
    out.failures.push({ tool: p.tool, workload: 'all', error: `child failed: ${why}` });
  }
  return out;
}

export interface CompareOptions {
  quick?: boolean;
  workloads?: WorkloadName[];
  print?: boolean;
}

export interface CompareResult {
  loadAverage: { start: number[]; end: number[] };
  peak: CpuPeak;
  measured: MeasuredPeak;
  flops: Record<string, { forwardPerSample: number; trainPerSample: number }>;
  /** PyTorch's version and the BLAS it loaded, or why it did not run. */
  pytorch: { available: boolean; python: string; blas?: string; why?: string };
  rows: Array<
    Row & {
      gflopsPerCpuSec: number;
      fractionOfCorePeak: number;
      fractionOfMeasuredPeak: number;
      fractionOfMachinePeakWall: number;
    }
  >;
  failures: Failed[];
  /** Gymnos/PyTorch per workload and thread count (above 1: Gymnos is faster). */
  pytorchRatios: PeerRatio[];
  summary: Array<{
    workload: WorkloadName;
    bestTfjs?: string;
    speedupCpu?: number;
    speedupWall?: number;
    gymnos: string;
    overheadStepRunnerCpu?: number;
    overheadStepRunnerWall?: number;
    overheadTrainerCpu?: number;
    overheadTrainerWall?: number;
    /** Gymnos Trainer (2 threads) samples/s over its own 1-thread run (wall). */
    twoThreadSpeedup?: number;
  }>;
  notes: string[];
}

const TOOL_ORDER = [
  'pytorch-1t',
  'ort-raw',
  'gymnos-steprunner',
  'gymnos-trainer',
  'pytorch-2t',
  'ort-raw-2t',
  'gymnos-trainer-2t',
  'tfjs-cpu',
  'tfjs-wasm-1t',
  'tfjs-wasm-2t',
];

export async function benchCompare(o: CompareOptions = {}): Promise<CompareResult> {
  const quick = o.quick ?? false;
  let workloads = o.workloads ?? WORKLOAD_NAMES;
  const loadStart = loadavg();
  const peak = cpuPeak();
  const measured = await measurePeak();
  const { workloadModel } = await import('./peers/gymnos.js');
  const failures: Failed[] = [];
  const flops: CompareResult['flops'] = {};
  for (const w of [...workloads]) {
    try {
      const f = forwardFlopsPerSample(await workloadModel(w)).flops;
      flops[w] = { forwardPerSample: f, trainPerSample: 3 * f };
    } catch (e) {
      workloads = workloads.filter((x) => x !== w);
      failures.push({ tool: 'all', workload: w, error: `skipped: ${(e as Error).message}` });
    }
  }
  const torch = probeTorch();
  const pytorch: CompareResult['pytorch'] = torch.ok
    ? { available: true, python: PYTHON, blas: torch.blas }
    : { available: false, python: PYTHON, why: torch.why };
  if (o.print !== false)
    console.log(
      torch.ok
        ? `${torch.blas}${torch.fast ? '' : ' (WARNING: PyTorch runs a slow BLAS here)'}`
        : `PyTorch not measured: ${torch.why}`,
    );

  const epochs = quick ? 2 : 4;
  const rounds = quick ? 1 : 2;
  const heavySteps = quick ? 1 : 2;
  const node = (tool: string, args: string[]): ToolPlan => ({
    tool,
    cmd: process.execPath,
    args: ['--import', 'tsx', ...args],
  });
  // TF.js cpu is slow on convolutions: fewer steps there (heavy workloads: one step per epoch)
  const tfjsArgs = (backend: string, threads: number, ws: WorkloadName[], steps?: number) => [
    `${here}peers/tfjs-child.ts`,
    '--backend',
    backend,
    '--threads',
    String(threads),
    '--workloads',
    ws.join(','),
    '--warmup',
    '1',
    '--epochs',
    String(epochs),
    ...(steps ? ['--steps', String(steps)] : []),
  ];
  const light = workloads.filter((w) => !isHeavy(w));
  const gymArgs = (threads: number, tools: string) => [
    `${here}compare.ts`,
    '--child',
    '--workloads',
    workloads.join(','),
    '--epochs',
    String(epochs),
    '--heavy-steps',
    String(heavySteps),
    '--threads',
    String(threads),
    '--tools',
    tools,
  ];
  const plans: ToolPlan[] = [
    node('gymnos', gymArgs(1, 'ort-raw,gymnos-steprunner,gymnos-trainer')),
    node('gymnos-2t', gymArgs(2, 'ort-raw,gymnos-trainer')),
    node('tfjs-wasm-1t', tfjsArgs('wasm', 1, workloads)),
    node('tfjs-wasm-2t', tfjsArgs('wasm', 2, light)),
  ];
  if (torch.ok)
    for (const t of [1, 2]) plans.push({ tool: `pytorch-${t}t`, cmd: PYTHON, args: torchArgs(t, workloads, epochs) });
  else for (const w of workloads) failures.push({ tool: 'pytorch', workload: w, error: `not run: ${torch.why}` });
  // TF.js cpu runs a LeNet step in seconds: fewer steps per epoch there; the heavy workloads not at all
  if (light.includes('mlp')) plans.push(node('tfjs-cpu', tfjsArgs('cpu', 1, ['mlp'], quick ? 5 : undefined)));
  if (light.includes('lenet')) plans.push(node('tfjs-cpu', tfjsArgs('cpu', 1, ['lenet'], quick ? 1 : 2)));
  for (const w of workloads.filter(isHeavy))
    failures.push({
      tool: 'tfjs-cpu',
      workload: w,
      error:
        'not run: the cpu backend takes about 5 s per LeNet step here and this workload has 20-80x its FLOPs (minutes per step)',
    });
  const raw: Row[] = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? plans : [...plans].reverse();
    for (const p of order) {
      if (o.print !== false) console.error(`  [compare] round ${r + 1}/${rounds}: ${p.tool} ...`);
      const got = spawnTool(p, 15 * 60_000);
      raw.push(...got.results);
      failures.push(...got.failures);
    }
  }
  const notes: string[] = [];
  const rows: CompareResult['rows'] = [];
  for (const x of aggregateRounds(raw)) {
    const fps = flops[x.workload].trainPerSample;
    const gflopsPerCpuSec = (fps * x.samplesPerCpuSec) / 1e9;
    rows.push({
      ...x,
      gflopsPerCpuSec,
      fractionOfCorePeak: gflopsPerCpuSec / peak.peakGflopsPerCore,
      fractionOfMeasuredPeak: gflopsPerCpuSec / measured.ortMatMul1t.cpuGflops,
      fractionOfMachinePeakWall: (fps * x.samplesPerSec) / 1e9 / peak.peakGflops,
    });
    for (const n of x.notes) if (!notes.includes(n)) notes.push(n);
  }
  const rank = (t: string) => (TOOL_ORDER.includes(t) ? TOOL_ORDER.indexOf(t) : TOOL_ORDER.length);
  rows.sort((a, b) => workloads.indexOf(a.workload) - workloads.indexOf(b.workload) || rank(a.tool) - rank(b.tool));

  const summary: CompareResult['summary'] = [];
  for (const w of workloads) {
    const get = (t: string) => rows.find((r) => r.workload === w && r.tool === t);
    const ortRaw = get('ort-raw');
    const sr = get('gymnos-steprunner');
    const tr = get('gymnos-trainer');
    const tr2 = get('gymnos-trainer-2t');
    const gym = tr ?? sr;
    const tfs = rows.filter((r) => r.workload === w && r.tool.startsWith('tfjs'));
    const best = [...tfs].sort((a, b) => a.cpuMs - b.cpuMs)[0];
    const bestWall = [...tfs].sort((a, b) => a.stepMs - b.stepMs)[0];
    summary.push({
      workload: w,
      gymnos: gym?.tool ?? 'none',
      bestTfjs: best?.tool,
      speedupCpu: gym && best ? best.cpuMs / gym.cpuMs : undefined,
      speedupWall: gym && bestWall ? bestWall.stepMs / gym.stepMs : undefined,
      overheadStepRunnerCpu: ortRaw && sr ? sr.cpuMs / ortRaw.cpuMs - 1 : undefined,
      overheadStepRunnerWall: ortRaw && sr ? sr.stepMs / ortRaw.stepMs - 1 : undefined,
      overheadTrainerCpu: ortRaw && tr ? tr.cpuMs / ortRaw.cpuMs - 1 : undefined,
      overheadTrainerWall: ortRaw && tr ? tr.stepMs / ortRaw.stepMs - 1 : undefined,
      twoThreadSpeedup: tr && tr2 ? tr.stepMs / tr2.stepMs : undefined,
    });
  }
  const result: CompareResult = {
    loadAverage: { start: loadStart, end: loadavg() },
    peak,
    measured,
    flops,
    pytorch,
    rows,
    failures,
    pytorchRatios: pytorchRatios(rows),
    summary,
    notes,
  };
  if (o.print !== false) printCompare(result);
  return result;
}

const pct = (x: number | undefined) => (x === undefined ? 'n/a' : `${(100 * x).toFixed(1)}%`);
const times = (x: number | undefined, d = 1) => (x === undefined ? 'n/a' : `${x.toFixed(d)}x`);

export function printCompare(r: CompareResult): void {
  const p = r.peak;
  console.log(
    `Machine limit: ${p.model}, ${p.cores} cores at ${p.mhz.toFixed(0)} MHz; ${p.basis}; theoretical peak ${p.peakGflopsPerCore.toFixed(1)} GFLOP/s per core, ${p.peakGflops.toFixed(1)} for the machine.`,
  );
  const m = r.measured;
  console.log(
    `Measured here (1 thread, GFLOP/s per CPU second / wall): WASM SIMD mul+add loop ${m.wasmSimd.cpuGflops.toFixed(1)} / ${m.wasmSimd.gflops.toFixed(1)}, JS scalar loop ${m.jsScalar.cpuGflops.toFixed(1)} / ${m.jsScalar.gflops.toFixed(1)}, ORT MatMul 1024^3 ${m.ortMatMul1t.cpuGflops.toFixed(1)} / ${m.ortMatMul1t.gflops.toFixed(1)} (the "measured peak" below).`,
  );
  console.log(
    `Training FLOPs per sample (3 x forward MatMul/Gemm/Conv): ${Object.entries(r.flops)
      .map(([k, v]) => `${k} ${(v.trainPerSample / 1e6).toFixed(2)} M`)
      .join(', ')}.`,
  );
  console.log(r.pytorch.available ? r.pytorch.blas : `PyTorch: not measured (${r.pytorch.why}).`);
  console.log(
    `Load average: ${r.loadAverage.start.map((x) => x.toFixed(2)).join(' ')} at start, ${r.loadAverage.end.map((x) => x.toFixed(2)).join(' ')} at end (a shared machine: wall times swing, CPU times are steadier).\n`,
  );
  console.log(
    '| workload | tool | threads | ms/step (wall) | ms/step (CPU) | samples/s (wall) | samples per CPU-s | loss first -> last epoch | GFLOP per CPU-s | of 1-core peak | of measured peak | of machine peak (wall) |',
  );
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const x of r.rows) {
    console.log(
      `| ${WORKLOADS[x.workload].title} | ${x.tool} | ${x.threads} | ${x.stepMs.toFixed(2)} | ${x.cpuMs.toFixed(2)} | ${x.samplesPerSec.toFixed(0)} | ${x.samplesPerCpuSec.toFixed(0)} | ${x.firstLoss.toFixed(3)} -> ${x.lastLoss.toFixed(3)} | ${x.gflopsPerCpuSec.toFixed(2)} | ${pct(x.fractionOfCorePeak)} | ${pct(x.fractionOfMeasuredPeak)} | ${pct(x.fractionOfMachinePeakWall)} |`,
    );
  }
  if (r.pytorchRatios.length) {
    console.log('\n| workload | threads | Gymnos | Gymnos / PyTorch (samples/s, wall) | (per CPU-s) | target |');
    console.log('| --- | ---: | --- | ---: | ---: | ---: |');
    for (const q of r.pytorchRatios)
      console.log(
        `| ${WORKLOADS[q.workload].title} | ${q.threads} | ${q.gymnos} | ${times(q.wall, 2)} | ${times(q.cpu, 2)} | >= 1x |`,
      );
  }
  console.log(
    '\n| workload | Gymnos path | vs best TF.js (CPU time) | vs best TF.js (wall) | StepRunner overhead over raw ORT (CPU / wall) | Trainer overhead (CPU / wall) | target | Trainer 2 threads vs 1 (wall) |',
  );
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const s of r.summary) {
    console.log(
      `| ${WORKLOADS[s.workload].title} | ${s.gymnos} | ${times(s.speedupCpu)} (${s.bestTfjs ?? 'none'}) | ${times(s.speedupWall)} | ${pct(s.overheadStepRunnerCpu)} / ${pct(s.overheadStepRunnerWall)} | ${pct(s.overheadTrainerCpu)} / ${pct(s.overheadTrainerWall)} | <= 5% | ${times(s.twoThreadSpeedup, 2)} |`,
    );
  }
  for (const n of r.notes) console.log(`- ${n}`);
  for (const f of r.failures) console.log(`- NOT MEASURED: ${f.tool} ${f.workload}: ${f.error}`);
}

/** Child process: the ONNX Runtime tools (raw loop, StepRunner, Trainer) on the given workloads. */
async function child(): Promise<void> {
  const arg = (name: string, dflt: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : dflt;
  };
  const { runOrtRaw, runStepRunner, runTrainer, toolName } = await import('./peers/gymnos.js');
  const epochs = Number(arg('epochs', '3'));
  const threads = Number(arg('threads', '1'));
  const tools = arg('tools', 'ort-raw,gymnos-steprunner,gymnos-trainer').split(',');
  const runners = [
    ['ort-raw', runOrtRaw],
    ['gymnos-steprunner', runStepRunner],
    ['gymnos-trainer', runTrainer],
  ] as const;
  for (const w of arg('workloads', 'mlp,lenet').split(',') as WorkloadName[]) {
    const steps = isHeavy(w) ? Number(arg('heavy-steps', '2')) : undefined;
    for (const [tool, f] of runners.filter(([t]) => tools.includes(t))) {
      try {
        console.log(`RESULT ${JSON.stringify(await f(w, { warmup: 1, epochs, steps, threads }))}`);
      } catch (e) {
        console.log(
          `RESULT ${JSON.stringify({ tool: toolName(tool, threads), workload: w, error: (e as Error).message.split('\n')[0] })}`,
        );
      }
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes('--child')) {
    await child();
    process.exit(0);
  }
  const i = process.argv.indexOf('--workloads');
  const workloads = i >= 0 ? (process.argv[i + 1].split(',') as WorkloadName[]) : undefined;
  const compare = await benchCompare({ quick: process.argv.includes('--quick'), workloads });
  // run alone, it refreshes the `compare` part of bench/results.json (npm run bench writes all of it)
  const file = new URL('./results.json', import.meta.url);
  const prev = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  writeFileSync(file, `${JSON.stringify({ ...prev, compare, compareFinished: new Date().toISOString() }, null, 2)}\n`);
  console.log('\nwrote the compare section of bench/results.json');
}
