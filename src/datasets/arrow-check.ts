/**
 * A structural check of Arrow IPC bytes before apache-arrow decodes them. apache-arrow trusts the
 * file footer: when a footer block points at a message that is not a record batch (a flipped
 * offset landing on the schema message, or a damaged header type), its file reader reads that
 * same block again and again and never returns (RecordBatchStreamReaderImpl.next only advances on
 * a record batch). This check walks the layout with bounds-checked reads of our own and says what
 * is wrong, so callers turn damage into a user error instead of a hang:
 * - file format: 'ARROW1' at both ends, the footer inside the file, and every dictionary and
 *   record-batch block of the footer inside the data section, pointing at a message of its kind
 *   whose metadata and body fit before the footer;
 * - stream format: every message (continuation marker, length, flatbuffer `Message`, body) fits in
 *   the bytes, up to the end-of-stream marker or the end of the data, the first one a schema.
 * It reads only the framing and the `Message`/`Footer` flatbuffer fields it needs, not the data.
 */

/** Arrow's MessageHeader union tags (format/Message.fbs). */
const SCHEMA = 1;
const DICTIONARY_BATCH = 2;
const RECORD_BATCH = 3;
const HEADER_NAMES = ['none', 'a schema', 'a dictionary batch', 'a record batch', 'a tensor', 'a sparse tensor'];
const MAGIC = 'ARROW1';
/** 'ARROW1' padded to 8 bytes at the start of an IPC file. */
const HEAD = 8;
/** The footer length (int32) and 'ARROW1' at the end of an IPC file. */
const TAIL = 4 + MAGIC.length;
/** Footer.Block: offset int64, metaDataLength int32 (+4 padding), bodyLength int64. */
const BLOCK_BYTES = 24;

class Damage extends Error {}

/** Bounds-checked little-endian reads of one flatbuffer that occupies bytes [lo, hi). */
class FlatBuffer {
  constructor(
    private readonly dv: DataView,
    private readonly lo: number,
    private readonly hi: number,
    private readonly what: string,
  ) {}

  private need(at: number, n: number): void {
    if (!(at >= this.lo && at + n <= this.hi)) throw new Damage(`${this.what} points outside itself (byte ${at})`);
  }
  u8(at: number): number {
    this.need(at, 1);
    return this.dv.getUint8(at);
  }
  u16(at: number): number {
    this.need(at, 2);
    return this.dv.getUint16(at, true);
  }
  i32(at: number): number {
    this.need(at, 4);
    return this.dv.getInt32(at, true);
  }
  u32(at: number): number {
    this.need(at, 4);
    return this.dv.getUint32(at, true);
  }
  i64(at: number): number {
    this.need(at, 8);
    return Number(this.dv.getBigInt64(at, true));
  }

  /** The root table's position. */
  root(): number {
    return this.table(this.lo + this.u32(this.lo));
  }

  /** Checks the table at `pos` and its vtable; returns `pos`. */
  private table(pos: number): number {
    const vtable = pos - this.i32(pos);
    const size = this.u16(vtable);
    if (size < 4 || size % 2) throw new Damage(`${this.what} has a malformed table`);
    this.need(vtable, size);
    return pos;
  }

  /** Position of field `i` of the table at `pos`, or undefined when it is absent. */
  field(pos: number, i: number): number | undefined {
    const vtable = pos - this.i32(pos);
    const slot = 4 + 2 * i;
    if (slot + 2 > this.u16(vtable)) return undefined;
    const off = this.u16(vtable + slot);
    return off ? pos + off : undefined;
  }

  /** The table that field `i` refers to, or undefined. */
  child(pos: number, i: number): number | undefined {
    const f = this.field(pos, i);
    return f === undefined ? undefined : this.table(f + this.u32(f));
  }

  /** Counts one visited table; more than the buffer could hold distinct ones means shared or cyclic references. */
  visit(): void {
    if (++this.visits > (this.hi - this.lo) / 4)
      throw new Damage(`${this.what} refers to the same tables over and over (cyclic)`);
  }
  private visits = 0;

  /** The tables of the vector of tables in field `i` (none when absent). */
  tables(pos: number, i: number): number[] {
    const v = this.structs(pos, i, 4);
    return Array.from({ length: v?.length ?? 0 }, (_, k) => {
      const at = v!.start + 4 * k;
      return this.table(at + this.u32(at));
    });
  }

  /** Checks the string in field `i`, if any. */
  string(pos: number, i: number): void {
    this.structs(pos, i, 1);
  }

  /** Start and length of the vector of `elemBytes`-byte structs in field `i`; undefined when absent. */
  structs(pos: number, i: number, elemBytes: number): { start: number; length: number } | undefined {
    const f = this.field(pos, i);
    if (f === undefined) return undefined;
    const v = f + this.u32(f);
    const length = this.u32(v);
    this.need(v + 4, length * elemBytes);
    return { start: v + 4, length };
  }
}

/** Arrow's Type union tag of Union (its typeIds are a vector). */
const UNION = 14;
/** Deeper than this, a schema is damage, not data (and apache-arrow would recurse that deep). */
const MAX_DEPTH = 64;

function checkKeyValues(fb: FlatBuffer, pos: number, i: number): void {
  for (const kv of fb.tables(pos, i)) {
    fb.string(kv, 0);
    fb.string(kv, 1);
  }
}

/** Field (Schema.fbs): name, nullable, type_type, type, dictionary, children, custom_metadata. */
function checkField(fb: FlatBuffer, f: number, depth: number): void {
  if (depth > MAX_DEPTH) throw new Damage(`its schema nests fields more than ${MAX_DEPTH} deep`);
  fb.visit();
  fb.string(f, 0);
  const typeAt = fb.field(f, 2);
  const type = fb.child(f, 3);
  if (type !== undefined && typeAt !== undefined && fb.u8(typeAt) === UNION) fb.structs(type, 1, 4);
  const dictionary = fb.child(f, 4);
  if (dictionary !== undefined) fb.child(dictionary, 1);
  for (const c of fb.tables(f, 5)) checkField(fb, c, depth + 1);
  checkKeyValues(fb, f, 6);
}

/** Schema: endianness, fields, custom_metadata, features. */
function checkSchema(fb: FlatBuffer, s: number): void {
  for (const f of fb.tables(s, 1)) checkField(fb, f, 0);
  checkKeyValues(fb, s, 2);
  fb.structs(s, 3, 8);
}

/** RecordBatch: length, nodes (16-byte structs), buffers (16-byte structs), compression, variadicBufferCounts. */
function checkRecordBatch(fb: FlatBuffer, rb: number): void {
  fb.structs(rb, 1, 16);
  fb.structs(rb, 2, 16);
  fb.child(rb, 3);
  fb.structs(rb, 4, 8);
}

/** One encapsulated message at `at`: its header type and where it ends (body included); null at end of stream. */
function readMessage(dv: DataView, at: number, limit: number, where: string): { header: number; end: number } | null {
  if (at + 4 > limit) throw new Damage(`${where} is cut short`);
  let p = at + 4;
  let length = dv.getInt32(at, true);
  if (dv.getUint32(at, true) === 0xffffffff) {
    if (p + 4 > limit) throw new Damage(`${where} is cut short`);
    length = dv.getInt32(p, true);
    p += 4;
  }
  if (length === 0) return null;
  if (length < 0 || p + length > limit)
    throw new Damage(`${where} claims ${length} bytes of metadata, beyond the end of the data`);
  const fb = new FlatBuffer(dv, p, p + length, `the metadata of ${where}`);
  const root = fb.root();
  const typeAt = fb.field(root, 1);
  const header = typeAt === undefined ? 0 : fb.u8(typeAt);
  if (header < SCHEMA || header > RECORD_BATCH)
    throw new Damage(`${where} is ${HEADER_NAMES[header] ?? `of unknown type ${header}`}, not a schema or a batch`);
  const h = fb.child(root, 2);
  if (h === undefined) throw new Damage(`${where} has no header`);
  if (header === SCHEMA) checkSchema(fb, h);
  else if (header === RECORD_BATCH) checkRecordBatch(fb, h);
  else {
    const data = fb.child(h, 1);
    if (data !== undefined) checkRecordBatch(fb, data);
  }
  checkKeyValues(fb, root, 4);
  const bodyAt = fb.field(root, 3);
  const body = bodyAt === undefined ? 0 : fb.i64(bodyAt);
  const end = p + length + body;
  if (!(body >= 0 && end <= limit)) throw new Damage(`${where} claims a ${body}-byte body, beyond the end of the data`);
  return { header, end };
}

function checkFile(dv: DataView): void {
  const size = dv.byteLength;
  const text = (at: number) => String.fromCharCode(...new Uint8Array(dv.buffer, dv.byteOffset + at, MAGIC.length));
  if (size < HEAD + TAIL || text(size - MAGIC.length) !== MAGIC)
    throw new Damage(`it has no Arrow footer at its end (cut short?)`);
  const footerEnd = size - TAIL;
  const length = dv.getInt32(footerEnd, true);
  const footer = footerEnd - length;
  if (!(length > 0 && footer >= HEAD))
    throw new Damage(`its footer length ${length} does not fit in its ${size} bytes`);
  const fb = new FlatBuffer(dv, footer, footerEnd, 'the footer');
  const root = fb.root();
  const schema = fb.child(root, 1);
  if (schema === undefined) throw new Damage('its footer has no schema');
  checkSchema(fb, schema);
  for (const [field, expected, what] of [
    [2, DICTIONARY_BATCH, 'dictionary batch'],
    [3, RECORD_BATCH, 'record batch'],
  ] as const) {
    const blocks = fb.structs(root, field, BLOCK_BYTES);
    for (let k = 0; k < (blocks?.length ?? 0); k++) {
      const b = blocks!.start + k * BLOCK_BYTES;
      const offset = fb.i64(b);
      const metaLength = fb.i32(b + 8);
      const bodyLength = fb.i64(b + 16);
      const where = `${what} ${k + 1} (at byte ${offset})`;
      if (!(offset >= HEAD && metaLength > 0 && bodyLength >= 0 && offset + metaLength + bodyLength <= footer)) {
        throw new Damage(
          `the footer places ${where} with ${metaLength} + ${bodyLength} bytes outside the data section (bytes ${HEAD}-${footer})`,
        );
      }
      const m = readMessage(dv, offset, footer, where);
      if (!m || m.header !== expected)
        throw new Damage(`the footer's ${where} points at ${m ? HEADER_NAMES[m.header] : 'an end-of-stream marker'}`);
    }
  }
}

function checkStream(dv: DataView): void {
  let at = 0;
  for (let k = 1; at < dv.byteLength; k++) {
    const m = readMessage(dv, at, dv.byteLength, `message ${k} (at byte ${at})`);
    if (!m) return;
    if (k === 1 && m.header !== SCHEMA)
      throw new Damage(`its first message is ${HEADER_NAMES[m.header]}, not the schema`);
    at = m.end;
  }
  if (at === 0) throw new Damage('it is empty');
}

/**
 * What is structurally wrong with `bytes` as an Arrow IPC file (or Feather v2) or stream, as a
 * phrase ("the footer's record batch 1 (at byte 8) points at a schema"), or undefined when the
 * layout is sound and apache-arrow can decode it without looping.
 */
export function arrowLayoutProblem(bytes: Uint8Array): string | undefined {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    const isFile = bytes.length >= MAGIC.length && String.fromCharCode(...bytes.subarray(0, MAGIC.length)) === MAGIC;
    if (isFile) checkFile(dv);
    else checkStream(dv);
    return undefined;
  } catch (e) {
    if (e instanceof Damage) return e.message;
    throw e;
  }
}
