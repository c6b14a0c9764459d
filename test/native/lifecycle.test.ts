/**
 * Lifecycle: close and AbortSignal while batches are in flight, garbage collection of a loader
 * with work in flight (its finalizer joins the pool), batch memory freed when arrays are
 * collected, and promise ordering. Waits are bounded loops of GC and event-loop turns, never timers.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { tempDir, writeImageFile } from './fixtures.js';
import { NativeLoader } from '../../src/native/loader.js';
import { loadBinding } from '../../src/native/binding.js';
import { NativeLoaderError } from '../../src/native/errors.js';
import type { LoaderPlan } from '../../src/native/plan.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const tmp = tempDir();
after(() => tmp.cleanup());
const file = writeImageFile(tmp.file('img.arrow'), { rows: 400, shape: [32, 32, 3], batchRows: 100 }).path;
const plan: LoaderPlan = {
  path: file,
  data: {
    kind: 'image',
    column: 'image',
    transforms: [
      { type: 'rotation', degrees: 30 },
      { type: 'colorJitter', brightness: 0.5, contrast: 0.5, saturation: 0.5, hue: 0.2 },
      { type: 'toFloat' },
    ],
  },
  label: { column: 'label' },
  batchSize: 32,
  threads: 2,
  prefetch: 8,
  epochs: null,
};
const stats = () => loadBinding().stats();

/** Runs GC and event-loop turns until `cond` holds (at most `turns` times). */
async function eventually(cond: () => boolean, turns = 200): Promise<boolean> {
  for (let i = 0; i < turns; i++) {
    if (cond()) return true;
    gc();
    await new Promise((r) => setImmediate(r));
  }
  return cond();
}

test('close() with next() calls pending rejects them and joins the workers', async () => {
  const before = stats().liveThreads;
  const loader = NativeLoader.open(plan);
  assert.equal(stats().liveThreads, before + 2);
  const pending = [loader.next(), loader.next(), loader.next(), loader.next(), loader.next()];
  loader.close();
  assert.equal(stats().liveThreads, before, 'close() joined the pool');
  const results = await Promise.allSettled(pending);
  for (const r of results) {
    if (r.status === 'rejected') assert.equal((r.reason as NativeLoaderError).code, 'ERR_LOADER_CLOSED');
  }
  assert.ok(
    results.some((r) => r.status === 'rejected'),
    'at least the last pending next() is rejected',
  );
  loader.close(); // idempotent
});

test('AbortSignal stops the loader and rejects with AbortError', async () => {
  const ac = new AbortController();
  const loader = NativeLoader.open(plan, { signal: ac.signal });
  assert.ok(await loader.next());
  const inFlight = [loader.next(), loader.next(), loader.next()];
  ac.abort(new Error('user stop'));
  assert.equal(loader.closed, true);
  for (const r of await Promise.allSettled(inFlight))
    if (r.status === 'rejected') assert.equal((r.reason as Error).name, 'AbortError');
  await assert.rejects(
    loader.next(),
    (e: Error) => e.name === 'AbortError' && (e.cause as Error).message === 'user stop',
  );
  assert.throws(() => NativeLoader.open(plan, { signal: ac.signal }), { name: 'AbortError' });
});

test('a loader dropped with work in flight is collected and its pool shut down', async () => {
  const before = stats();
  (() => {
    const loader = NativeLoader.open({ ...plan, prefetch: 16 });
    void loader; // prefetching 16 batches starts at open; drop every reference
  })();
  assert.equal(stats().liveLoaders, before.liveLoaders + 1);
  assert.ok(
    await eventually(() => stats().liveLoaders === before.liveLoaders && stats().liveThreads === before.liveThreads),
    `finalizer ran: ${JSON.stringify(stats())}`,
  );
});

test('a pending next() keeps the loader alive until it settles', async () => {
  let p: Promise<unknown> | undefined;
  (() => {
    p = NativeLoader.open(plan).next();
  })();
  gc();
  const b = (await p) as { size: number };
  assert.equal(b.size, 32);
});

test('batch memory is Rust-owned, zero-copy, and freed when collected', async () => {
  // Let earlier tests' garbage batches be collected first, so the counter only moves because of us.
  assert.ok(
    await eventually(() => stats().liveBatchBytes === 0),
    `earlier batches collected: ${JSON.stringify(stats())}`,
  );
  const base = 0;
  const loader = NativeLoader.open({ ...plan, epochs: 1 });
  let b = await loader.next();
  const bytes = b!.data.byteLength + b!.labels!.byteLength + b!.rows.byteLength;
  assert.ok(stats().liveBatchBytes >= base + bytes);
  const first = b!.data[0];
  let clone: ArrayBufferLike | undefined;
  try {
    clone = structuredClone(b!.data.buffer, { transfer: [b!.data.buffer] });
  } catch {
    // refusing the transfer is also safe
  }
  // The memory must never move away from the object whose finalizer frees it: a transfer either
  // throws or copies, and the original stays attached and readable.
  assert.equal(b!.data.length, 32 * 3 * 32 * 32, 'batch buffer was detached by a transfer');
  assert.equal(b!.data[0], first);
  if (clone) assert.equal(new Float32Array(clone)[0], first);
  b = null;
  loader.close();
  assert.ok(await eventually(() => stats().liveBatchBytes <= base), `freed: ${JSON.stringify(stats())}`);
});

test('batch.release() detaches the arrays and frees the memory without waiting for GC', async () => {
  assert.ok(await eventually(() => stats().liveBatchBytes === 0));
  const loader = NativeLoader.open({ ...plan, epochs: 1 });
  const b = (await loader.next())!;
  const base = stats().liveBatchBytes;
  const bytes = b.data.byteLength + b.labels!.byteLength + b.rows.byteLength;
  const keep = b.data; // a live reference: only detaching can make freeing it safe
  b.release();
  assert.equal(keep.length, 0, 'views are detached');
  assert.equal(b.rows.length, 0);
  b.release(); // idempotent
  let turns = 0;
  while (stats().liveBatchBytes > base - bytes && turns < 100) {
    await new Promise((r) => setImmediate(r));
    turns++;
  }
  assert.ok(stats().liveBatchBytes <= base - bytes, `released without GC: ${JSON.stringify(stats())}`);
  loader.close();
});

test('many next() calls in flight resolve in request order with consecutive batches', async () => {
  const loader = NativeLoader.open({ ...plan, epochs: 1, threads: 2, prefetch: 2 });
  const order: number[] = [];
  const all = Array.from({ length: 12 }, () => loader.next().then((b) => (order.push(b!.index), b!.index)));
  assert.deepEqual(await Promise.all(all), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  const last = await loader.next();
  assert.deepEqual([last?.index, last?.size], [12, 16]);
  assert.equal(await loader.next(), null, 'epochs: 1 ends after 13 batches');
  assert.equal(await loader.next(), null, 'and stays ended');
  loader.close();
});
