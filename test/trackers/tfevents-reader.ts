/**
 * An independent reader of TensorBoard event files, written from the formats' documentation
 * (TFRecord: tensorflow/core/lib/io/record_writer.h; protobuf wire format: protobuf.dev/programming-
 * guides/encoding; field numbers: event.proto, summary.proto, hparams plugin_data.proto and
 * api.proto). It shares no code with the writer: a bitwise CRC32C, a hand-rolled wire decoder.
 */

/** CRC32C, bit by bit (no table), reflected polynomial 0x82F63B78. */
export function crc32cBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0x82f63b78 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const unmask = (m: number) => {
  const r = (m - 0xa282ead8) >>> 0;
  return ((r >>> 17) | (r << 15)) >>> 0;
};

/** The records of a TFRecord file; throws on a bad length or data CRC. */
export function readRecords(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  while (off < buf.length) {
    const lenBytes = buf.subarray(off, off + 8);
    const len = Number(buf.readBigUInt64LE(off));
    if (unmask(buf.readUInt32LE(off + 8)) !== crc32cBitwise(lenBytes)) throw new Error(`bad length CRC at ${off}`);
    const data = buf.subarray(off + 12, off + 12 + len);
    if (unmask(buf.readUInt32LE(off + 12 + len)) !== crc32cBitwise(data)) throw new Error(`bad data CRC at ${off}`);
    out.push(data);
    off += 16 + len;
  }
  return out;
}

type Field = { no: number; wire: number; varint?: bigint; bytes?: Buffer; fixed64?: Buffer; fixed32?: Buffer };

/** Splits a message into its fields. */
export function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = () => {
    let v = 0n,
      shift = 0n;
    for (;;) {
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (!(b & 0x80)) return v;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const f: Field = { no: key >>> 3, wire: key & 7 };
    if (f.wire === 0) f.varint = varint();
    else if (f.wire === 1) {
      f.fixed64 = buf.subarray(i, i + 8);
      i += 8;
    } else if (f.wire === 2) {
      const n = Number(varint());
      f.bytes = buf.subarray(i, i + n);
      i += n;
    } else if (f.wire === 5) {
      f.fixed32 = buf.subarray(i, i + 4);
      i += 4;
    } else throw new Error(`wire type ${f.wire}`);
    out.push(f);
  }
  return out;
}

const one = (fs: Field[], no: number) => fs.find((f) => f.no === no);
const str = (f?: Field) => f?.bytes?.toString('utf8');
const dbl = (f?: Field) => (f?.fixed64 ? f.fixed64.readDoubleLE(0) : undefined);
/** Repeated doubles, packed (wire 2) or not (wire 1). */
const doubles = (fs: Field[], no: number) =>
  fs
    .filter((f) => f.no === no)
    .flatMap((f) =>
      f.wire === 1 ? [dbl(f)!] : Array.from({ length: f.bytes!.length / 8 }, (_, k) => f.bytes!.readDoubleLE(8 * k)),
    );

export interface Histo {
  min?: number;
  max?: number;
  num?: number;
  sum?: number;
  sumSquares?: number;
  bucketLimit: number[];
  bucket: number[];
}
export interface Value {
  tag?: string;
  simpleValue?: number;
  histo?: Histo;
  pluginName?: string;
  pluginContent?: Buffer;
}
export interface Event {
  wallTime?: number;
  step: number;
  fileVersion?: string;
  values: Value[];
  sessionLogStatus?: number;
}

/** event.proto: wall_time 1, step 2, file_version 3, summary 5 (Summary.value 1), session_log 7 (status 1). */
export function parseEvent(buf: Buffer): Event {
  const fs = fields(buf);
  const summary = one(fs, 5);
  const values = summary
    ? fields(summary.bytes!)
        .filter((f) => f.no === 1)
        .map((v) => parseValue(v.bytes!))
    : [];
  const log = one(fs, 7);
  const sessionLogStatus = log ? Number(one(fields(log.bytes!), 1)?.varint ?? 0n) : undefined;
  return {
    wallTime: dbl(one(fs, 1)),
    step: Number(one(fs, 2)?.varint ?? 0n),
    fileVersion: str(one(fs, 3)),
    values,
    sessionLogStatus,
  };
}

/** Summary.Value: tag 1, simple_value 2 (float), histo 5, metadata 9 (plugin_data 1: plugin_name 1, content 2). */
function parseValue(buf: Buffer): Value {
  const fs = fields(buf);
  const v: Value = { tag: str(one(fs, 1)) };
  const sv = one(fs, 2);
  if (sv?.fixed32) v.simpleValue = sv.fixed32.readFloatLE(0);
  const h = one(fs, 5);
  if (h) {
    const hf = fields(h.bytes!);
    v.histo = {
      min: dbl(one(hf, 1)),
      max: dbl(one(hf, 2)),
      num: dbl(one(hf, 3)),
      sum: dbl(one(hf, 4)),
      sumSquares: dbl(one(hf, 5)),
      bucketLimit: doubles(hf, 6),
      bucket: doubles(hf, 7),
    };
  }
  const md = one(fs, 9);
  const pd = md && one(fields(md.bytes!), 1);
  if (pd) {
    const pf = fields(pd.bytes!);
    v.pluginName = str(one(pf, 1));
    v.pluginContent = one(pf, 2)?.bytes;
  }
  return v;
}

/**
 * hparams HParamsPluginData: version 1, experiment 2, session_start_info 3 (hparams map 1 of
 * google.protobuf.Value: number 2, string 3, bool 4), session_end_info 4 (status 1).
 */
export function parseHParams(buf: Buffer): {
  kind: 'experiment' | 'start' | 'end';
  hparams?: Record<string, number | string | boolean>;
  status?: number;
  hparamNames?: string[];
} {
  const fs = fields(buf);
  const exp = one(fs, 2),
    start = one(fs, 3),
    end = one(fs, 4);
  if (exp)
    return {
      kind: 'experiment',
      hparamNames: fields(exp.bytes!)
        .filter((f) => f.no === 4)
        .map((f) => str(one(fields(f.bytes!), 1))!),
    };
  if (end) return { kind: 'end', status: Number(one(fields(end.bytes!), 1)?.varint ?? 0n) };
  const hparams: Record<string, number | string | boolean> = {};
  for (const entry of fields(start!.bytes!).filter((f) => f.no === 1)) {
    const ef = fields(entry.bytes!);
    const key = str(one(ef, 1))!;
    const vf = fields(one(ef, 2)!.bytes!);
    const n = one(vf, 2),
      s = one(vf, 3),
      b = one(vf, 4);
    hparams[key] = n ? dbl(n)! : s ? str(s)! : b ? b.varint === 1n : '';
  }
  return { kind: 'start', hparams };
}
