/**
 * Placement report: which nodes of a graph ran on the requested execution provider and which fell
 * back to ONNX Runtime's CPU provider. Read from ONNX Runtime's own JSON profile, where each
 * executed node's `<name>_kernel_time` event names its provider (and its op type and output
 * types), so the report shows what really ran, nodes inside Loop bodies included. Copies between
 * devices (MemcpyFromHost / MemcpyToHost, inserted by ONNX Runtime) are counted apart.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SessionError } from './errors.js';
import type { ExecutionProvider, SessionConfig } from './types.js';

/** ONNX Runtime's name of each provider Gymnos asks for. */
export const ORT_PROVIDER_NAMES: Record<ExecutionProvider, string> = {
  cpu: 'CPUExecutionProvider',
  cuda: 'CUDAExecutionProvider',
  webgpu: 'WebGpuExecutionProvider',
};

/** One node that ran on another provider than the one asked for. */
export interface FallbackNode {
  node: string;
  opType: string;
  provider: string;
  /** Element types of its outputs (e.g. int64 index arithmetic, double scalars). */
  outputTypes: string[];
  /** Elements of its largest output in this run. */
  elements: number;
}

/** Fallback nodes whose outputs have at most this many elements are counted as shape/scalar values. */
export const SMALL_OUTPUT = 8;

export interface PlacementReport {
  /** The provider asked for ('webgpu', ...). */
  requested: ExecutionProvider;
  /** Nodes executed in one run (device copies excluded). */
  nodes: number;
  /** Nodes per ONNX Runtime provider name. */
  byProvider: Record<string, number>;
  /** Copies ONNX Runtime inserted between the devices, per direction. */
  copies: { toDevice: number; toHost: number };
  /** Fallback nodes computing tensors (an output above SMALL_OUTPUT elements): the ones that cost copies. */
  fallbackTensors: number;
  /** Fallback nodes per `opType(outputType)`, most frequent first. */
  fallbackByOp: Record<string, number>;
  fallback: FallbackNode[];
}

interface ProfileEvent {
  cat?: string;
  name?: string;
  args?: { provider?: string; op_name?: string; output_type_shape?: Array<Record<string, unknown>> };
}

const elementsOf = (o: Record<string, unknown>): number =>
  Math.max(
    0,
    ...Object.values(o).map((dims) => (Array.isArray(dims) ? dims.reduce((p: number, d) => p * Number(d), 1) : 0)),
  );

/** The placement report of one profiled run (the parsed profile JSON). */
export function placementFromProfile(events: unknown, requested: ExecutionProvider): PlacementReport {
  if (!Array.isArray(events))
    throw new SessionError('ERR_SESSION_RUN', 'ONNX Runtime profile: expected a JSON array of events');
  const want = ORT_PROVIDER_NAMES[requested];
  const byProvider: Record<string, number> = {};
  const copies = { toDevice: 0, toHost: 0 };
  const fallback: FallbackNode[] = [];
  const seen = new Set<string>();
  for (const e of events as ProfileEvent[]) {
    if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || !e.args?.provider) continue;
    const node = e.name.slice(0, -'_kernel_time'.length);
    // a node inside a Loop body runs once per iteration: count it once
    if (seen.has(node)) continue;
    seen.add(node);
    const opType = e.args.op_name ?? '?';
    if (opType === 'MemcpyFromHost') {
      copies.toDevice++;
      continue;
    }
    if (opType === 'MemcpyToHost') {
      copies.toHost++;
      continue;
    }
    byProvider[e.args.provider] = (byProvider[e.args.provider] ?? 0) + 1;
    if (e.args.provider !== want) {
      const outs = e.args.output_type_shape ?? [];
      fallback.push({
        node,
        opType,
        provider: e.args.provider,
        outputTypes: outs.flatMap((o) => Object.keys(o)),
        elements: Math.max(0, ...outs.map(elementsOf)),
      });
    }
  }
  const counts = new Map<string, number>();
  for (const f of fallback) {
    const key = `${f.opType}(${[...new Set(f.outputTypes)].join(',')})`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const fallbackByOp = Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
  const nodes = Object.values(byProvider).reduce((a, b) => a + b, 0);
  const fallbackTensors = fallback.filter((f) => f.elements > SMALL_OUTPUT).length;
  return { requested, nodes, byProvider, copies, fallbackTensors, fallbackByOp, fallback };
}

/** A temporary folder for profiles and the session config that profiles into it. */
export function profilingSession(base: SessionConfig): { config: SessionConfig; dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'gymnos-placement-'));
  return {
    config: { ...base, enableProfiling: true, profileFilePrefix: join(dir, 'profile') },
    dir,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * The placement of the session whose profile in `dir` holds nodes named `<graph>/...` (Gymnos's
 * node names carry their graph's name), or the only profile with node events.
 */
export function readPlacement(dir: string, requested: ExecutionProvider, graph?: string): PlacementReport {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const parsed = files.map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as ProfileEvent[]);
  const withNodes = parsed.filter((events) => events.some((e) => e.cat === 'Node'));
  const match = graph
    ? withNodes.filter((events) => events.some((e) => e.cat === 'Node' && e.name?.startsWith(`${graph}/`)))
    : withNodes;
  if (match.length !== 1) {
    throw new SessionError(
      'ERR_SESSION_RUN',
      `placement: expected one ONNX Runtime profile with the nodes of ${graph ? `graph '${graph}'` : 'a run'} in ${dir}, found ${match.length} (of ${files.length} profiles)`,
    );
  }
  return placementFromProfile(match[0], requested);
}

/** Human-readable lines of a placement report. */
export function formatPlacement(r: PlacementReport, what = 'train step'): string {
  const want = ORT_PROVIDER_NAMES[r.requested];
  const on = r.byProvider[want] ?? 0;
  const off = r.nodes - on;
  const lines = [
    `placement of the ${what} on ${r.requested}: ${on} of ${r.nodes} nodes on ${want}, ${off} on other providers` +
      (off ? ` (${r.fallbackTensors} computing tensors, ${off - r.fallbackTensors} shape or scalar values)` : '') +
      `; ${r.copies.toDevice} copies to the device and ${r.copies.toHost} to the host per run`,
  ];
  const ops = Object.entries(r.fallbackByOp);
  if (ops.length) lines.push(`  fallback by op (output types): ${ops.map(([k, n]) => `${k} x${n}`).join(', ')}`);
  return lines.join('\n');
}
