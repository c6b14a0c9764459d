/**
 * Messages between `SessionWorker` (caller side) and `worker-main` (the worker thread), and the
 * packing of tensors for postMessage: which ArrayBuffers move (transfer, no copy) and which are
 * copied. Structured clone of a typed-array view clones its whole underlying buffer, so views onto
 * part of a buffer are compacted first.
 */
import type { Tensor } from '../onnx/tensor.js';
import type { WireError } from './errors.js';
import type { BackendVersions, ProviderReport, ResolvedSessionConfig } from './types.js';

/** Data the worker starts with. */
export interface WorkerInit {
  backend: string;
  /** Backend options (must be structured-cloneable). */
  backendOptions?: unknown;
  /** Shared flag, index 0 set to 1 by the host when closing: queued requests are skipped. */
  control: Int32Array;
}

export type Request =
  | { id: number; op: 'create'; session: string; model: Uint8Array; config: ResolvedSessionConfig }
  | { id: number; op: 'run'; session: string; feeds: Record<string, Tensor>; outputs?: string[] }
  | { id: number; op: 'release'; session: string }
  | { id: number; op: 'available' }
  | { id: number; op: 'versions' }
  /** Finish the request in flight, release every session, exit. */
  | { id: number; op: 'close' }
  /** Test hooks: make the worker crash the way real failures do. */
  | { id: number; op: 'crash'; how: 'exit' | 'throw' };

export interface CreateResult {
  inputNames: string[];
  outputNames: string[];
}

export type Response =
  | { id: number; ok: true; result: CreateResult | Record<string, Tensor> | ProviderReport[] | BackendVersions | null }
  | { id: number; ok: false; error: WireError };

type Numeric = Exclude<Tensor['data'], string[]>;

function coversBuffer(a: Numeric): boolean {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && !(a.buffer instanceof SharedArrayBuffer);
}

/** A compact copy of a typed array (its own buffer, exactly its length). */
function compact(a: Numeric): Numeric {
  return a.slice() as Numeric;
}

/**
 * Prepares tensors for postMessage. With `transfer`, buffers that a tensor covers whole are moved
 * (listed in `transferList`, each once); others are copied compactly. Without `transfer`, views
 * onto part of a larger buffer are compacted so only their bytes are cloned.
 */
export function packTensors(
  tensors: Record<string, Tensor>,
  transfer: boolean | readonly string[],
): { packed: Record<string, Tensor>; transferList: ArrayBuffer[] } {
  const packed: Record<string, Tensor> = {};
  const moved = new Set<ArrayBuffer>();
  for (const [name, t] of Object.entries(tensors)) {
    if (Array.isArray(t.data)) {
      packed[name] = { dtype: t.dtype, dims: [...t.dims], data: t.data };
      continue;
    }
    const a = t.data as Numeric;
    // A view onto part of a buffer is compacted (structured clone would copy the whole buffer).
    const data = coversBuffer(a) ? a : compact(a);
    if (transfer === true || (Array.isArray(transfer) && transfer.includes(name)))
      moved.add(data.buffer as ArrayBuffer);
    packed[name] = { dtype: t.dtype, dims: [...t.dims], data };
  }
  return { packed, transferList: [...moved] };
}
