/**
 * What the benchmark's child processes print and how their runs are combined: each child (the
 * ONNX Runtime tools, TensorFlow.js, PyTorch) prints `RESULT <json>` lines (a ToolResult, or
 * `{ tool, workload, error }`) and PyTorch one `PROBE <json>` line first; rounds of the same tool
 * and workload are combined by their median; Gymnos/PyTorch ratios come from the combined rows.
 * Pure functions, so the parsing and arithmetic are tested without Python (test/bench/peers.test.ts).
 */
import { WORKLOADS, median, type ToolResult, type WorkloadName } from './workloads.js';

export type Failed = { tool: string; workload: WorkloadName | 'all'; error: string };
export type Row = ToolResult & { sessionMs?: number; sessionShare?: number; rounds?: number; peak_rss_mb?: number };

/** PyTorch's self-report (bench/peers/pytorch_peer.py `probe()`). */
export interface TorchProbe {
  torch: string;
  blasInfo: string;
  mkldnn: boolean;
  loaded: string[];
  openblasThreads?: string | null;
  peak_rss_mb?: number;
}

export interface PeerOutput {
  probe?: TorchProbe;
  results: Row[];
  failures: Failed[];
}

const NUMERIC: Array<keyof ToolResult> = ['stepMs', 'cpuMs', 'firstLoss', 'lastLoss', 'threads'];

/**
 * The RESULT and PROBE lines of one child's stdout. A line that is not JSON, names an unknown
 * workload or lacks a timing becomes a failure that quotes it (`source` names the child).
 */
export function parsePeerOutput(stdout: string, source: string): PeerOutput {
  const out: PeerOutput = { results: [], failures: [] };
  for (const line of stdout.split('\n')) {
    const m = /^(RESULT|PROBE) (.*)$/.exec(line.trim());
    if (!m) continue;
    let v: unknown;
    try {
      v = JSON.parse(m[2]);
    } catch (e) {
      out.failures.push({
        tool: source,
        workload: 'all',
        error: `${source} printed a ${m[1]} line that is not JSON (${(e as Error).message}): ${m[2].slice(0, 120)}`,
      });
      continue;
    }
    const o = (v ?? {}) as Record<string, unknown>;
    if (m[1] === 'PROBE') {
      if (typeof o.torch !== 'string' || !Array.isArray(o.loaded))
        out.failures.push({
          tool: source,
          workload: 'all',
          error: `${source} printed a PROBE without 'torch' (string) and 'loaded' (array): ${m[2].slice(0, 120)}`,
        });
      else out.probe = o as unknown as TorchProbe;
      continue;
    }
    const workload = o.workload as WorkloadName;
    const tool = typeof o.tool === 'string' ? o.tool : source;
    if (!(typeof workload === 'string' && workload in WORKLOADS)) {
      out.failures.push({
        tool,
        workload: 'all',
        error: `${source}: RESULT names workload ${JSON.stringify(o.workload)}; expected one of ${Object.keys(WORKLOADS).join(', ')}`,
      });
    } else if (typeof o.error === 'string') {
      out.failures.push({ tool, workload, error: o.error });
    } else {
      const bad = NUMERIC.find((k) => typeof o[k] !== 'number' || !Number.isFinite(o[k] as number));
      if (bad)
        out.failures.push({
          tool,
          workload,
          error: `${source}: RESULT for ${workload} has no finite '${bad}' (got ${JSON.stringify(o[bad])})`,
        });
      else
        out.results.push({
          ...(o as unknown as Row),
          notes: Array.isArray(o.notes) ? (o.notes as string[]) : [],
          tool,
        });
    }
  }
  return out;
}

/** The median (the mean of the two middle values for an even count). */
export const medianOf = median;

/** One row per (workload, tool): the median over rounds of the per-round median step times. */
export function aggregateRounds(rows: Row[]): Row[] {
  const groups = new Map<string, Row[]>();
  for (const r of rows) groups.set(`${r.workload}|${r.tool}`, [...(groups.get(`${r.workload}|${r.tool}`) ?? []), r]);
  return [...groups.values()].map((rs) => {
    const stepMs = medianOf(rs.map((q) => q.stepMs));
    const cpuMs = medianOf(rs.map((q) => q.cpuMs));
    const batch = WORKLOADS[rs[0].workload].batch;
    const rss = rs.map((q) => q.peak_rss_mb).filter((x): x is number => typeof x === 'number');
    return {
      ...rs[0],
      stepMs,
      cpuMs,
      samplesPerSec: (1000 * batch) / stepMs,
      samplesPerCpuSec: (1000 * batch) / cpuMs,
      rounds: rs.length,
      firstLoss: rs[0].firstLoss,
      lastLoss: rs[rs.length - 1].lastLoss,
      ...(rss.length ? { peak_rss_mb: Math.max(...rss) } : {}),
    };
  });
}

export interface PeerRatio {
  workload: WorkloadName;
  threads: number;
  gymnos: string;
  pytorch: string;
  /** Gymnos samples/s over PyTorch's (wall clock); above 1: Gymnos is faster. */
  wall: number;
  /** The same per CPU second. */
  cpu: number;
}

/**
 * Gymnos/PyTorch for each workload and thread count where both ran: the Trainer (else the
 * StepRunner) with n intra-op threads against `pytorch-<n>t`.
 */
export function pytorchRatios(rows: Row[]): PeerRatio[] {
  const out: PeerRatio[] = [];
  for (const w of Object.keys(WORKLOADS) as WorkloadName[]) {
    for (const threads of [1, 2]) {
      const suffix = threads === 1 ? '' : `-${threads}t`;
      const find = (t: string) => rows.find((r) => r.workload === w && r.tool === t);
      const torch = find(`pytorch-${threads}t`);
      const gym = find(`gymnos-trainer${suffix}`) ?? find(`gymnos-steprunner${suffix}`);
      if (!torch || !gym) continue;
      out.push({
        workload: w,
        threads,
        gymnos: gym.tool,
        pytorch: torch.tool,
        wall: torch.stepMs / gym.stepMs,
        cpu: torch.cpuMs / gym.cpuMs,
      });
    }
  }
  return out;
}

/**
 * Which BLAS PyTorch really uses: torch's build string (Debian's says `generic`, the libblas.so.3
 * interface) and the libraries mapped into its process. Without OpenBLAS (or MKL) torch runs the
 * reference BLAS, about 10x slower on the MLP, and the comparison would flatter Gymnos.
 */
export function describeBlas(p: TorchProbe): { line: string; fast: boolean } {
  const base = (f: string) => f.split('/').pop() ?? f;
  const openblas = p.loaded.find((f) => /libopenblas/i.test(f));
  const mkl = p.loaded.find((f) => /libmkl/i.test(f));
  const dnnl = p.loaded.find((f) => /libdnnl|libmkldnn/i.test(f));
  const fast = Boolean(openblas || mkl);
  const blas = openblas
    ? `OpenBLAS (${base(openblas)}${/pthread/.test(openblas) ? ', pthread build' : ''}, OPENBLAS_NUM_THREADS=${p.openblasThreads ?? 'unset'})`
    : mkl
      ? `MKL (${base(mkl)})`
      : `no optimized BLAS loaded (${p.loaded.map(base).join(', ') || 'none'}): a reference BLAS, expect it about 10x slower; install libopenblas0-pthread`;
  return {
    fast,
    line: `PyTorch ${p.torch}: BLAS_INFO=${p.blasInfo}, loaded ${blas}; oneDNN ${dnnl ? `${base(dnnl)} loaded` : p.mkldnn ? 'built in' : 'absent'} (convolutions)`,
  };
}
