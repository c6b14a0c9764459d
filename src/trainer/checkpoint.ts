/**
 * The checkpoint format: every tensor of a training run (parameters, optimizer state, running
 * statistics) plus a JSON header, in one file that round-trips bit for bit.
 *
 * Layout: magic "GYMNOSCK" (8 bytes) | u32 version | u32 header length | header JSON (UTF-8) |
 * zero padding to 64 bytes | tensor data, each 64-byte aligned. The header lists every tensor's
 * name, dtype, dims, offset, byte length and CRC-32, and carries free-form `meta` (step, epoch,
 * trainer state). Files are written atomically; a truncated or corrupted file fails the CRC check.
 */
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { writeFileAtomic } from '../util/atomic.js';
import { arrayFromBytes, bytesOf, sizeOf, type DType, type Tensor } from '../onnx/tensor.js';
import { GymnosError } from '../util/errors.js';

const MAGIC = 'GYMNOSCK';
const VERSION = 1;

/** A checkpoint that cannot be used; the message names the file and what is wrong. */
export class CheckpointError extends GymnosError {
  readonly code = 'ERR_CHECKPOINT';
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super(message, options);
    this.name = 'CheckpointError';
  }
}

interface Entry {
  name: string;
  dtype: DType;
  dims: number[];
  offset: number;
  bytes: number;
  crc: number;
}
interface Header {
  tensors: Entry[];
  meta: Record<string, unknown>;
}

export interface Checkpoint {
  tensors: Map<string, Tensor>;
  meta: Record<string, unknown>;
}

const align = (n: number) => Math.ceil(n / 64) * 64;

/** Serializes a checkpoint to bytes. */
export function encodeCheckpoint(ck: Checkpoint): Uint8Array[] {
  const entries: Entry[] = [];
  const datas: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of ck.tensors) {
    if (t.dtype === 'string')
      throw new CheckpointError(`checkpoint tensor '${name}' is a string tensor; only numeric tensors are saved`);
    const bytes = bytesOf(t);
    entries.push({ name, dtype: t.dtype, dims: t.dims, offset, bytes: bytes.byteLength, crc: crc32(bytes) });
    datas.push(bytes);
    offset = align(offset + bytes.byteLength);
  }
  const header = Buffer.from(JSON.stringify({ tensors: entries, meta: ck.meta } satisfies Header), 'utf8');
  const pre = Buffer.alloc(16);
  pre.write(MAGIC, 0, 'latin1');
  pre.writeUInt32LE(VERSION, 8);
  pre.writeUInt32LE(header.byteLength, 12);
  const dataStart = align(16 + header.byteLength);
  const chunks: Uint8Array[] = [pre, header, new Uint8Array(dataStart - 16 - header.byteLength)];
  let pos = 0;
  entries.forEach((e, i) => {
    if (e.offset > pos) chunks.push(new Uint8Array(e.offset - pos));
    chunks.push(datas[i]);
    pos = e.offset + e.bytes;
  });
  return chunks;
}

/** Parses checkpoint bytes, verifying structure and every tensor's CRC. */
export function decodeCheckpoint(buf: Uint8Array, source = '<bytes>'): Checkpoint {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.byteLength < 16 || b.toString('latin1', 0, 8) !== MAGIC) {
    throw new CheckpointError(`${source}: not a Gymnos checkpoint (bad magic); the file is corrupt or of another kind`);
  }
  const version = b.readUInt32LE(8);
  if (version !== VERSION)
    throw new CheckpointError(`${source}: checkpoint format version ${version} is not supported (expected ${VERSION})`);
  const hlen = b.readUInt32LE(12);
  if (16 + hlen > b.byteLength) throw new CheckpointError(`${source}: checkpoint header is truncated`);
  let header: Header;
  try {
    header = JSON.parse(b.toString('utf8', 16, 16 + hlen)) as Header;
  } catch (e) {
    throw new CheckpointError(`${source}: checkpoint header is not valid JSON; the file is corrupt`, { cause: e });
  }
  const dataStart = align(16 + hlen);
  const tensors = new Map<string, Tensor>();
  try {
    decodeTensors(b, header, dataStart, source, tensors);
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    // a header that parses as JSON but describes its tensors wrongly (unknown dtype, bad dims or offsets)
    throw new CheckpointError(
      `${source}: the checkpoint header does not describe its tensors correctly (${String((e as Error).message).replace(/[\x00-\x1f\x7f]/g, '?')}); the file is corrupt`,
      { cause: e },
    );
  }
  return { tensors, meta: header.meta ?? {} };
}

function decodeTensors(
  b: Buffer,
  header: Header,
  dataStart: number,
  source: string,
  tensors: Map<string, Tensor>,
): void {
  for (const e of header.tensors) {
    const start = dataStart + e.offset;
    if (start + e.bytes > b.byteLength)
      throw new CheckpointError(
        `${source}: tensor '${e.name}' is truncated (needs bytes up to ${start + e.bytes}, file has ${b.byteLength})`,
      );
    const bytes = b.subarray(start, start + e.bytes);
    if (crc32(bytes) !== e.crc)
      throw new CheckpointError(`${source}: tensor '${e.name}' fails its CRC check; the file is corrupt`);
    const data = arrayFromBytes(e.dtype, bytes);
    if (data.length !== sizeOf(e.dims))
      throw new CheckpointError(
        `${source}: tensor '${e.name}' has ${data.length} elements, dims [${e.dims}] need ${sizeOf(e.dims)}`,
      );
    tensors.set(e.name, { dtype: e.dtype, dims: e.dims, data });
  }
}

/** Writes a checkpoint file atomically (temp file, fsync, rename). */
export function saveCheckpoint(path: string, ck: Checkpoint): void {
  writeFileAtomic(path, encodeCheckpoint(ck));
}

/** Reads and verifies a checkpoint file. */
export function loadCheckpoint(path: string): Checkpoint {
  let buf: Uint8Array;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new CheckpointError(
      `${path}: cannot read checkpoint (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      { cause: e },
    );
  }
  return decodeCheckpoint(buf, path);
}
