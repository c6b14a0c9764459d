/**
 * The Arrow layout check (src/datasets/arrow-check.ts) against the files the seeded fuzz test
 * found to hang apache-arrow's tableFromIPC (test/fixtures/arrow-corrupt/: byte flips of
 * original.arrow, which is tableToIPC(…, 'file') of the fuzz test's 40-row table), and against valid
 * files of every layout the writers produce, which it must pass untouched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import {
  Dictionary,
  Int32,
  Table,
  Utf8,
  tableFromArrays,
  tableFromIPC,
  tableFromJSON,
  tableToIPC,
  vectorFromArray,
} from 'apache-arrow';
import { arrowLayoutProblem } from '../../src/datasets/arrow-check.js';
import { decodeArrow, encodeArrow } from '../../src/datasets/arrow-format.js';
import { DatasetManager } from '../../src/datasets/manager.js';
import { fitStandardize } from '../../src/datasets/standardize.js';
import { tempDir } from './fixtures.js';

const t = tempDir('gymnos-arrow-check-');
test.after(t.cleanup);
const fixture = (name: string) => new URL(`../fixtures/arrow-corrupt/${name}.arrow`, import.meta.url).pathname;

/**
 * The hanging files and why each is rejected (apache-arrow loops in its file reader's next() or in
 * decodeFieldChildren).
 */
const HANGS = {
  // a flipped byte of the record batch message's flatbuffer root offset: apache-arrow reads header type NONE
  // from it, so the file reader never counts the batch and reads the same footer block forever
  'batch-root-offset': /^the metadata of record batch 1 \(at byte 8\) points outside itself \(byte \d+\)$/,
  // flips in the footer's schema and in the record batch message
  'footer-and-batch-flips': /^the footer points outside itself \(byte \d+\)$/,
  // a flipped offset of a field's children vector in the footer's schema: the field tree never ends
  'schema-children-offset': /^the footer points outside itself \(byte \d+\)$/,
};

test('the fixtures are small byte flips of a valid file, which passes the check and decodes', () => {
  const original = readFileSync(fixture('original'));
  assert.equal(arrowLayoutProblem(original), undefined);
  assert.equal(tableFromIPC(original).numRows, 40);
  for (const name of Object.keys(HANGS)) {
    const bytes = readFileSync(fixture(name));
    assert.equal(bytes.length, original.length);
    const changed = bytes.reduce((n, b, i) => n + (b !== original[i] ? 1 : 0), 0);
    assert.ok(changed >= 1 && changed <= 8, `${name}: ${changed} bytes differ`);
  }
});

test('each file that hung apache-arrow gets a structural reason', () => {
  for (const [name, reason] of Object.entries(HANGS))
    assert.match(arrowLayoutProblem(readFileSync(fixture(name))) ?? 'accepted', reason, name);
});

test('ingesting a file that hung apache-arrow is a user error naming the file, saying it is corrupt and to export it again', async () => {
  for (const name of Object.keys(HANGS)) {
    const path = t.path(`${name}.arrow`);
    copyFileSync(fixture(name), path);
    await assert.rejects(
      new DatasetManager().prepare(
        { type: 'arrow', path, features: ['a', 'b'], label: 'label' },
        { cacheDir: t.path('cache') },
      ),
      (e: Error) => {
        assert.equal((e as { code?: string }).code, 'ERR_DATASET');
        assert.ok(
          e.message.startsWith(`'${path}' is truncated or corrupt (not a readable Arrow IPC or Feather v2 file: `),
          e.message,
        );
        assert.match(
          e.message,
          /\); export it again \(pyarrow\.feather\.write_feather\(table, path, compression="uncompressed"\)\)$/,
        );
        assert.doesNotMatch(e.message, /\n/);
        return true;
      },
    );
  }
});

test('a damaged cache file is a user error from the cache reader and from the statistics fit, not a hang', () => {
  const path = fixture('batch-root-offset');
  assert.throws(
    () => decodeArrow(path),
    (e: Error) => {
      assert.equal((e as { code?: string }).code, 'ERR_DATASET');
      assert.match(
        e.message,
        /^the Arrow cache file '.*batch-root-offset\.arrow' is truncated or corrupt \(the metadata of record batch 1 .*\); delete it \(gymnosd datasets clear\) and ingest again$/,
      );
      return true;
    },
  );
  assert.throws(
    () => fitStandardize(path, ['a', 'b']),
    (e: Error) => {
      assert.equal((e as { code?: string }).code, 'ERR_DATASET');
      assert.match(
        e.message,
        /^the Arrow file '.*batch-root-offset\.arrow' is truncated or corrupt \(.*\); delete the dataset cache/,
      );
      return true;
    },
  );
});

test('valid files of every layout pass the check and decode to what was written', () => {
  const tables: Record<string, Table> = {
    numbers: tableFromArrays({ a: Float32Array.from([1, 2, 3]), s: ['x', 'y', 'z'] }),
    dictionary: new Table({ d: vectorFromArray(['a', 'b', 'a', 'c'], new Dictionary(new Utf8(), new Int32())) }),
    nested: tableFromJSON([
      { a: 1, l: [1, 2], st: { x: 'q', y: [true] } },
      { a: 2, l: [], st: { x: 'r', y: [false, true] } },
    ]),
    empty: tableFromArrays({ a: new Float32Array(0) }),
    batches: new Table([
      tableFromArrays({ a: Float64Array.from([1, 2]) }).batches[0],
      tableFromArrays({ a: Float64Array.from([3]) }).batches[0],
    ]),
  };
  for (const [name, table] of Object.entries(tables)) {
    for (const format of ['file', 'stream'] as const) {
      const bytes = tableToIPC(table, format);
      assert.equal(arrowLayoutProblem(bytes), undefined, `${name} ${format}`);
      assert.deepEqual(
        tableFromIPC(bytes)
          .toArray()
          .map((r) => JSON.stringify(r)),
        table.toArray().map((r) => JSON.stringify(r)),
        `${name} ${format}`,
      );
    }
  }
  const image = encodeArrow({
    kind: 'image',
    shape: [2, 2, 1],
    pixels: Uint8Array.from({ length: 40 }, (_, i) => i),
    labels: Int32Array.from({ length: 10 }, (_, i) => i % 2),
    classes: ['a', 'b'],
    count: 10,
  });
  assert.equal(arrowLayoutProblem(image), undefined);
});

test('stream damage: a body or metadata length beyond the data, a first message that is not the schema', () => {
  const stream = tableToIPC(tableFromArrays({ a: Float32Array.from([1, 2, 3]) }), 'stream');
  assert.match(
    arrowLayoutProblem(stream.subarray(0, stream.length - 20)) ?? 'accepted',
    /^message 2 \(at byte \d+\) claims a \d+-byte body, beyond the end of the data$/,
  );
  const long = Uint8Array.from(stream);
  new DataView(long.buffer).setInt32(4, 1 << 24, true);
  assert.equal(
    arrowLayoutProblem(long),
    `message 1 (at byte 0) claims ${1 << 24} bytes of metadata, beyond the end of the data`,
  );
  const schemaEnd = 8 + new DataView(stream.buffer, stream.byteOffset).getInt32(4, true);
  assert.match(
    arrowLayoutProblem(stream.subarray(schemaEnd)) ?? 'accepted',
    /^its first message is a record batch, not the schema$/,
  );
});
