/**
 * Gymnos against its peers, side by side: the same workloads (bench/peers/workloads.ts: same
 * shapes, batch sizes, Adam at 1e-3, steps, seeded data) in
 *
 * - raw ONNX Runtime (Gymnos's training graph in a tight `session.run` loop),
 * - Gymnos's StepRunner (worker-thread sessions) and full Trainer,
 * - TensorFlow.js: the cpu backend, and the wasm backend (SIMD) asking for 1 and 2 threads,
 *
 * each tool in its own child process, tools alternated per round, medians of measured epochs
 * after a warm-up, every tool's loss checked to fall. Times are wall clock and process CPU time:
 * on a loaded machine CPU time is the fairer base (all tools here compute on one thread).
 * FLOPs per sample from the ONNX graph give GFLOP/s and the fraction of the CPU's peak.
 *
 *   node --import tsx bench/compare.ts [--quick] [--workloads mlp,lenet,resnet20]
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { WORKLOADS, mean, type ToolResult, type WorkloadName } from './peers/workloads.js';
import { cpuPeak, forwardFlopsPerSample, measurePeak, type CpuPeak, type MeasuredPeak } from './peak.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('..', import.meta.url));

interface ToolPlan { tool: string; args: string[] }
type Failed = { tool: string; workload: WorkloadName; error: string };
type Row = ToolResult & { sessionMs?: number; sessionShare?: number; rounds?: number };

function spawnTool(args: string[], timeoutMs: number): Array<Row | Failed> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', ...args], { cwd: root, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20, env: { ...process.env } });
  const out: Array<Row | Failed> = [];
  for (const line of (r.stdout ?? '').split('\n')) if (line.startsWith('RESULT ')) out.push(JSON.parse(line.slice(7)));
  if (r.status !== 0 || r.error) {
    const why = r.error ? r.error.message : `exit ${r.status}: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`;
    out.push({ tool: args.join(' '), workload: 'mlp', error: `child failed: ${why}` });
  }
  return out;
}

export interface CompareOptions { quick?: boolean; workloads?: WorkloadName[]; print?: boolean }

export interface CompareResult {
  loadAverage: { start: number[]; end: number[] };
  peak: CpuPeak; measured: MeasuredPeak;
  flops: Record<string, { forwardPerSample: number; trainPerSample: number }>;
  rows: Array<Row & { gflopsPerCpuSec: number; fractionOfCorePeak: number; fractionOfMachinePeakWall: number }>;
  failures: Failed[];
  summary: Array<{ workload: WorkloadName; bestTfjs?: string; speedupCpu?: number; speedupWall?: number; gymnos: string;
    overheadStepRunnerCpu?: number; overheadStepRunnerWall?: number; overheadTrainerCpu?: number; overheadTrainerWall?: number }>;
  notes: string[];
}

export async function benchCompare(o: CompareOptions = {}): Promise<CompareResult> {
  const quick = o.quick ?? false;
  let workloads = o.workloads ?? ['mlp', 'lenet', 'resnet20'];
  const loadStart = loadavg();
  const peak = cpuPeak();
  const measured = await measurePeak();
  const { workloadModel, zooResnet20 } = await import('./peers/gymnos.js');
  const skipped: Failed[] = [];
  if (workloads.includes('resnet20') && !(await zooResnet20())) {
    workloads = workloads.filter((w) => w !== 'resnet20');
    skipped.push({ tool: 'all', workload: 'resnet20', error: 'skipped: the model zoo has no resnet (depth 20) in this checkout' });
  }
  const flops: CompareResult['flops'] = {};
  for (const w of workloads) { const f = forwardFlopsPerSample(await workloadModel(w)).flops; flops[w] = { forwardPerSample: f, trainPerSample: 3 * f }; }

  const epochs = quick ? 2 : 4;
  const rounds = quick ? 1 : 2;
  // TF.js cpu is slow on convolutions: fewer steps there (ResNet-20: one step per epoch)
  const tfjsArgs = (backend: string, threads: number, ws: WorkloadName[], steps?: number) =>
    [`${here}peers/tfjs-child.ts`, '--backend', backend, '--threads', String(threads), '--workloads', ws.join(','), '--warmup', '1', '--epochs', String(epochs), ...(steps ? ['--steps', String(steps)] : [])];
  const light = workloads.filter((w) => w !== 'resnet20');
  const plans: ToolPlan[] = [
    { tool: 'gymnos', args: [`${here}compare.ts`, '--child', '--workloads', workloads.join(','), '--epochs', String(epochs), '--resnet-steps', quick ? '1' : '2'] },
    { tool: 'tfjs-wasm-1t', args: tfjsArgs('wasm', 1, workloads.includes('resnet20') ? [...light, 'resnet20'] : light) },
    { tool: 'tfjs-wasm-2t', args: tfjsArgs('wasm', 2, light) },
  ];
  // TF.js cpu runs a LeNet step in seconds: fewer steps per epoch there; ResNet-20 not at all
  if (light.includes('mlp')) plans.push({ tool: 'tfjs-cpu', args: tfjsArgs('cpu', 1, ['mlp'], quick ? 5 : undefined) });
  if (light.includes('lenet')) plans.push({ tool: 'tfjs-cpu', args: tfjsArgs('cpu', 1, ['lenet'], quick ? 1 : 2) });
  const notMeasured: Failed[] = [];
  if (workloads.includes('resnet20')) notMeasured.push({ tool: 'tfjs-cpu', workload: 'resnet20', error: 'not run: the cpu backend takes about 5 s per LeNet step here and ResNet-20 has about 80x its FLOPs (minutes per step)' });
  const all = new Map<string, Row[]>();
  const failures: Failed[] = [...skipped, ...notMeasured];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? plans : [...plans].reverse();
    for (const p of order) {
      if (o.print !== false) console.error(`  [compare] round ${r + 1}/${rounds}: ${p.tool} ...`);
      for (const x of spawnTool(p.args, 15 * 60_000)) {
        if ('error' in x) { failures.push(x); continue; }
        const key = `${x.workload}|${x.tool}`;
        all.set(key, [...(all.get(key) ?? []), x]);
      }
    }
  }
  const notes: string[] = [];
  const rows: CompareResult['rows'] = [];
  for (const [, rs] of all) {
    const x: Row = { ...rs[0], stepMs: mean(rs.map((q) => q.stepMs)), cpuMs: mean(rs.map((q) => q.cpuMs)), rounds: rs.length };
    x.samplesPerSec = (1000 * WORKLOADS[x.workload].batch) / x.stepMs;
    x.samplesPerCpuSec = (1000 * WORKLOADS[x.workload].batch) / x.cpuMs;
    const fps = flops[x.workload].trainPerSample;
    const gflopsPerCpuSec = (fps * x.samplesPerCpuSec) / 1e9;
    rows.push({ ...x, gflopsPerCpuSec, fractionOfCorePeak: gflopsPerCpuSec / peak.peakGflopsPerCore, fractionOfMachinePeakWall: (fps * x.samplesPerSec) / 1e9 / peak.peakGflops });
    for (const n of x.notes) if (!notes.includes(n)) notes.push(n);
  }
  const order = ['ort-raw', 'gymnos-steprunner', 'gymnos-trainer', 'tfjs-cpu', 'tfjs-wasm-1t', 'tfjs-wasm-2t'];
  rows.sort((a, b) => workloads.indexOf(a.workload) - workloads.indexOf(b.workload) || order.indexOf(a.tool) - order.indexOf(b.tool));

  const summary: CompareResult['summary'] = [];
  for (const w of workloads) {
    const get = (t: string) => rows.find((r) => r.workload === w && r.tool === t);
    const raw = get('ort-raw'); const sr = get('gymnos-steprunner'); const tr = get('gymnos-trainer');
    const gym = tr ?? sr;
    const tfs = rows.filter((r) => r.workload === w && r.tool.startsWith('tfjs'));
    const best = tfs.sort((a, b) => a.cpuMs - b.cpuMs)[0];
    const bestWall = [...tfs].sort((a, b) => a.stepMs - b.stepMs)[0];
    summary.push({
      workload: w, gymnos: gym?.tool ?? 'none', bestTfjs: best?.tool,
      speedupCpu: gym && best ? best.cpuMs / gym.cpuMs : undefined, speedupWall: gym && bestWall ? bestWall.stepMs / gym.stepMs : undefined,
      overheadStepRunnerCpu: raw && sr ? sr.cpuMs / raw.cpuMs - 1 : undefined, overheadStepRunnerWall: raw && sr ? sr.stepMs / raw.stepMs - 1 : undefined,
      overheadTrainerCpu: raw && tr ? tr.cpuMs / raw.cpuMs - 1 : undefined, overheadTrainerWall: raw && tr ? tr.stepMs / raw.stepMs - 1 : undefined,
    });
  }
  const result: CompareResult = { loadAverage: { start: loadStart, end: loadavg() }, peak, measured, flops, rows, failures, summary, notes };
  if (o.print !== false) printCompare(result);
  return result;
}

const pct = (x: number | undefined) => (x === undefined ? 'n/a' : `${(100 * x).toFixed(1)}%`);
const times = (x: number | undefined) => (x === undefined ? 'n/a' : `${x.toFixed(1)}x`);

export function printCompare(r: CompareResult): void {
  const p = r.peak;
  console.log(`Machine limit: ${p.model}, ${p.cores} cores at ${p.mhz.toFixed(0)} MHz; ${p.basis}; theoretical peak ${p.peakGflopsPerCore.toFixed(1)} GFLOP/s per core, ${p.peakGflops.toFixed(1)} for the machine.`);
  const m = r.measured;
  console.log(`Measured here (1 thread, GFLOP/s per CPU second / wall): WASM SIMD mul+add loop ${m.wasmSimd.cpuGflops.toFixed(1)} / ${m.wasmSimd.gflops.toFixed(1)}, JS scalar loop ${m.jsScalar.cpuGflops.toFixed(1)} / ${m.jsScalar.gflops.toFixed(1)}, ORT MatMul 1024^3 ${m.ortMatMul1t.cpuGflops.toFixed(1)} / ${m.ortMatMul1t.gflops.toFixed(1)}.`);
  console.log(`Training FLOPs per sample (3 x forward MatMul/Gemm/Conv): ${Object.entries(r.flops).map(([k, v]) => `${k} ${(v.trainPerSample / 1e6).toFixed(2)} M`).join(', ')}.`);
  console.log(`Load average: ${r.loadAverage.start.map((x) => x.toFixed(2)).join(' ')} at start, ${r.loadAverage.end.map((x) => x.toFixed(2)).join(' ')} at end.\n`);
  console.log('| workload | tool | threads | ms/step (wall) | ms/step (CPU) | samples/s (wall) | samples per CPU-s | loss first -> last epoch | GFLOP per CPU-s | of 1-core peak | of machine peak (wall) |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const x of r.rows) {
    console.log(`| ${WORKLOADS[x.workload].title} | ${x.tool} | ${x.threads} | ${x.stepMs.toFixed(2)} | ${x.cpuMs.toFixed(2)} | ${x.samplesPerSec.toFixed(0)} | ${x.samplesPerCpuSec.toFixed(0)} | ${x.firstLoss.toFixed(3)} -> ${x.lastLoss.toFixed(3)} | ${x.gflopsPerCpuSec.toFixed(2)} | ${pct(x.fractionOfCorePeak)} | ${pct(x.fractionOfMachinePeakWall)} |`);
  }
  console.log('\n| workload | Gymnos path | vs best TF.js (CPU time) | vs best TF.js (wall) | target | StepRunner overhead over raw ORT (CPU / wall) | Trainer overhead (CPU / wall) | target |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const s of r.summary) {
    console.log(`| ${WORKLOADS[s.workload].title} | ${s.gymnos} | ${times(s.speedupCpu)} (${s.bestTfjs ?? 'none'}) | ${times(s.speedupWall)} | ${s.workload === 'resnet20' ? '-' : '>= 10x'} | ${pct(s.overheadStepRunnerCpu)} / ${pct(s.overheadStepRunnerWall)} | ${pct(s.overheadTrainerCpu)} / ${pct(s.overheadTrainerWall)} | <= 10% |`);
  }
  for (const n of r.notes) console.log(`- ${n}`);
  for (const f of r.failures) console.log(`- NOT MEASURED: ${f.tool} ${f.workload}: ${f.error}`);
}

/** Child process: the ONNX Runtime tools (raw loop, StepRunner, Trainer) on the given workloads. */
async function child(): Promise<void> {
  const arg = (name: string, dflt: string) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1] : dflt; };
  const { runOrtRaw, runStepRunner, runTrainer } = await import('./peers/gymnos.js');
  const epochs = Number(arg('epochs', '3'));
  for (const w of arg('workloads', 'mlp,lenet').split(',') as WorkloadName[]) {
    const steps = w === 'resnet20' ? Number(arg('resnet-steps', '2')) : undefined;
    for (const [tool, f] of [['ort-raw', runOrtRaw], ['gymnos-steprunner', runStepRunner], ['gymnos-trainer', runTrainer]] as const) {
      try {
        console.log(`RESULT ${JSON.stringify(await f(w, { warmup: 1, epochs, steps }))}`);
      } catch (e) {
        console.log(`RESULT ${JSON.stringify({ tool, workload: w, error: (e as Error).message.split('\n')[0] })}`);
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
  await benchCompare({ quick: process.argv.includes('--quick'), workloads });
}
