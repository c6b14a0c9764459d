/**
 * Corrupt, truncated and fuzzed Arrow files through the Node binding: each must open cleanly or
 * fail with a coded error, and never crash the process. (The bulk of the fuzzing, thousands of
 * files, runs in `cargo test` against the Rust core; this checks the boundary.)
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tempDir, imageFileBytes } from './fixtures.js';
import { NativeLoader } from '../../src/native/loader.js';
import { NativeLoaderError } from '../../src/native/errors.js';

const tmp = tempDir();
after(() => tmp.cleanup());
const orig = imageFileBytes({ rows: 12, shape: [4, 4, 3], batchRows: 5 }).bytes;

async function attempt(bytes: Uint8Array, name: string): Promise<'opened' | 'rejected'> {
  const path = tmp.file(name);
  writeFileSync(path, bytes);
  let loader: NativeLoader;
  try {
    loader = NativeLoader.open({
      path,
      data: { kind: 'image', column: 'image', transforms: [{ type: 'randomCrop', size: 4, padding: 1 }] },
      label: { column: 'label' },
      batchSize: 4,
      threads: 2,
    });
  } catch (e) {
    assert.ok(e instanceof NativeLoaderError, `open threw a non-loader error: ${e}`);
    assert.match(e.code, /^ERR_(ARROW|PLAN|IO)$/);
    assert.ok(e.message.includes(path) || e.code === 'ERR_PLAN', `message names the file: ${e.message}`);
    return 'rejected';
  }
  try {
    for await (const b of loader) assert.ok(b.data.length > 0);
  } catch (e) {
    assert.ok(e instanceof NativeLoaderError, `next threw a non-loader error: ${e}`);
  }
  return 'opened';
}

test('truncated files are rejected with a clear error', async () => {
  for (let len = 0; len < orig.length; len += 7)
    assert.equal(await attempt(orig.subarray(0, len), `t${len}.arrow`), 'rejected', `truncated to ${len}`);
});

test('specific corruptions name the problem', async () => {
  const bad = orig.slice();
  bad.set([0x41, 0x52, 0x52, 0x4f, 0x57, 0x32], 0);
  assert.throws(
    () =>
      NativeLoader.open({
        path: (writeFileSync(tmp.file('magic.arrow'), bad), tmp.file('magic.arrow')),
        data: { kind: 'image', column: 'image' },
        batchSize: 1,
      }),
    /missing leading ARROW1 magic/,
  );
  writeFileSync(tmp.file('empty.arrow'), new Uint8Array(0));
  assert.throws(
    () => NativeLoader.open({ path: tmp.file('empty.arrow'), data: { kind: 'image', column: 'image' }, batchSize: 1 }),
    /is empty \(0 bytes\)/,
  );
  const footer = orig.slice();
  new DataView(footer.buffer).setInt32(footer.length - 10, 0x7fffffff, true);
  assert.throws(
    () =>
      NativeLoader.open({
        path: (writeFileSync(tmp.file('footer.arrow'), footer), tmp.file('footer.arrow')),
        data: { kind: 'image', column: 'image' },
        batchSize: 1,
      }),
    /footer length 2147483647 does not fit/,
  );
});

test('300 randomly mutated files: errors or valid batches, never a crash', async () => {
  let s = 12345;
  const rand = (n: number) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s % n;
  };
  const counts = { opened: 0, rejected: 0 };
  for (let i = 0; i < 300; i++) {
    const b = orig.slice();
    for (let k = 0, edits = 1 + rand(4); k < edits; k++) {
      const pos = rand(b.length);
      if (rand(2)) b[pos] ^= 1 << rand(8);
      else
        new DataView(b.buffer).setUint32(
          Math.min(pos, b.length - 4),
          [0, 0xffffffff, 0x7fffffff, rand(1 << 30)][rand(4)],
          true,
        );
    }
    counts[await attempt(rand(5) === 0 ? b.subarray(0, rand(b.length)) : b, `m${i}.arrow`)]++;
  }
  assert.ok(counts.rejected > 30 && counts.opened > 30, JSON.stringify(counts));
});
