/**
 * TFRecord framing, as TensorBoard event files use it: each record is
 * `uint64 length (LE) | uint32 masked CRC32C(length bytes) | data | uint32 masked CRC32C(data)`,
 * with mask(c) = ((c >>> 15) | (c << 17)) + 0xa282ead8 (mod 2^32). CRC32C is the Castagnoli CRC
 * (reflected polynomial 0x82F63B78), computed here with a 256-entry table.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC32C of `bytes`. */
export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The masked CRC TFRecord stores. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const c = crc32c(bytes);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One framed record. */
export function frameRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length + 4);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

/** Appends framed records to a file; each `write` is one write(2), so a reader sees whole records. */
export class RecordWriter {
  private fd?: number;
  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }
  write(data: Uint8Array): void {
    if (this.fd === undefined) throw new Error(`${this.path}: writer closed`);
    const rec = frameRecord(data);
    let off = 0;
    while (off < rec.length) off += writeSync(this.fd, rec, off, rec.length - off);
  }
  flush(): void {
    if (this.fd !== undefined) fsyncSync(this.fd);
  }
  close(): void {
    if (this.fd === undefined) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = undefined;
  }
}
