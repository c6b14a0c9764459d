/**
 * The Arrow cache: keyed by content and options only, reused, safe under concurrent ingests, readable by the native
 * loader.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync, utimesSync, writeFileSync, readdirSync, readFileSync, cpSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DatasetManager } from '../../src/datasets/manager.js';
import { cacheKey } from '../../src/datasets/cache.js';

import { NativeLoader } from '../../src/native/index.js';
import { tempDir, imageFolder, writeImage } from './fixtures.js';

const t = tempDir();
test.after(t.cleanup);
const dm = new DatasetManager();

async function key(spec: Record<string, unknown>): Promise<string> {
  const r = dm.resolve(spec);
  return (await cacheKey(r.source, r.options)).key;
}

test('cache key: changes with content, options and class names; not with mtime, location, split or preprocessing', async () => {
  const root = t.path('k', 'imgs');
  await imageFolder(root, ['a', 'b'], 2);
  const spec = { type: 'image_folder', path: root };
  const k0 = await key(spec);
  assert.equal(await key(spec), k0);
  utimesSync(`${root}/a/0.png`, new Date(2001, 1, 1), new Date(2001, 1, 1));
  assert.equal(await key(spec), k0, 'touching a file keeps the key');
  assert.equal(await key({ ...spec, concurrency: 2 }), k0, 'concurrency does not change the data');
  assert.notEqual(await key({ ...spec, channels: 1 }), k0);
  assert.notEqual(await key({ ...spec, size: 4 }), k0);
  assert.notEqual(await key({ ...spec, onError: 'skip' }), k0);
  const moved = t.path('k', 'moved');
  cpSync(root, moved, { recursive: true });
  assert.equal(await key({ ...spec, path: moved }), k0, 'same files elsewhere: same key');
  await writeImage(`${root}/a/0.png`, 6, 5, 99);
  const k1 = await key(spec);
  assert.notEqual(k1, k0, 'new content: new key');
  renameSync(`${root}/b`, `${root}/c`);
  assert.notEqual(await key(spec), k1, 'renamed class: new key');
  // Same content, same size, same mtime: only the bytes differ.
  const csv = t.path('k', 'd.csv');
  writeFileSync(csv, 'x,l\n1,a\n2,b\n');
  utimesSync(csv, 1e6, 1e6);
  const c0 = await key({ type: 'csv', path: csv, label: 'l' });
  writeFileSync(csv, 'x,l\n3,a\n2,b\n');
  utimesSync(csv, 1e6, 1e6);
  assert.notEqual(
    await key({ type: 'csv', path: csv, label: 'l' }),
    c0,
    'size and mtime equal, content differs: new key',
  );
  const cache = t.path('k', 'cache');
  const p1 = await dm.prepare(
    { type: 'csv', path: csv, label: 'l', split: { validation: 1, seed: 1 } },
    { cacheDir: cache },
  );
  const p2 = await dm.prepare(
    { type: 'csv', path: csv, label: 'l', split: { validation: 1, seed: 2 }, preprocess: [{ type: 'standardize' }] },
    { cacheDir: cache },
  );
  assert.equal(p2.cacheKey, p1.cacheKey);
  assert.equal(p2.cacheHit, true);
});

test('prepare: first run ingests, second reuses; metadata beside the file', async () => {
  const root = t.path('p', 'imgs');
  await imageFolder(root, ['x', 'y', 'z'], 3);
  const cache = t.path('p', 'cache');
  const a = await dm.prepare({ type: 'image_folder', path: root }, { cacheDir: cache });
  assert.equal(a.cacheHit, false);
  const b = await dm.prepare({ type: 'image_folder', path: root }, { cacheDir: cache });
  assert.equal(b.cacheHit, true);
  assert.equal(b.cacheFile, a.cacheFile);
  const meta = JSON.parse(readFileSync(a.cacheFile.replace(/\.arrow$/, '.json'), 'utf8'));
  assert.deepEqual(
    {
      count: meta.count,
      classes: meta.classes,
      classCounts: meta.classCounts,
      shape: meta.shape,
      skipped: meta.skipped,
    },
    { count: 9, classes: ['x', 'y', 'z'], classCounts: [3, 3, 3], shape: [5, 6, 3], skipped: [] },
  );
  assert.equal(meta.spec.path, root);
  assert.deepEqual(
    readdirSync(cache).sort(),
    [a.cacheFile.replace(/^.*\//, ''), meta.key && a.cacheFile.replace(/^.*\//, '').replace('.arrow', '.json')].sort(),
    'no temp or lock files left',
  );
});

test('two async ingests of one key race: one ingests, the other reuses, the file is intact', async () => {
  const root = t.path('race', 'imgs');
  await imageFolder(root, ['a', 'b'], 6);
  const cache = t.path('race', 'cache');
  const spec = { type: 'image_folder', path: root };
  const [a, b] = await Promise.all([dm.prepare(spec, { cacheDir: cache }), dm.prepare(spec, { cacheDir: cache })]);
  assert.deepEqual([a.cacheHit, b.cacheHit].sort(), [false, true]);
  assert.equal(a.data().count, 12);
  assert.deepEqual(
    readdirSync(cache).filter((f) => !/\.(arrow|json)$/.test(f)),
    [],
  );
});

test('two processes ingest the same dataset at once without corrupting the cache', async () => {
  const root = t.path('proc', 'imgs');
  await imageFolder(root, ['a', 'b'], 20);
  const cache = t.path('proc', 'cache');
  const script = fileURLToPath(new URL('./ingest-child.ts', import.meta.url));
  const child = () =>
    new Promise<string>((res, rej) => {
      const p = spawn(process.execPath, ['--import', 'tsx', script, root, cache], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      p.stdout.on('data', (d) => {
        out += d;
      });
      p.on('exit', (code) => (code === 0 ? res(out.trim()) : rej(new Error(`child exited ${code}`))));
    });
  const outs = await Promise.all([child(), child()]);
  const parsed = outs.map((o) => JSON.parse(o) as { hit: boolean; count: number; file: string });
  assert.deepEqual(
    parsed.map((p) => p.count),
    [40, 40],
  );
  assert.equal(parsed[0].file, parsed[1].file);
  const again = await dm.prepare({ type: 'image_folder', path: root }, { cacheDir: cache });
  assert.equal(again.cacheHit, true);
  assert.equal(again.data().count, 40);
  assert.deepEqual(
    readdirSync(cache).filter((f) => !/\.(arrow|json)$/.test(f)),
    [],
  );
});

test('the native loader streams a cache file and a split part as a row selection of it', async () => {
  const root = t.path('native', 'imgs');
  await imageFolder(root, ['a', 'b'], 5);
  const cache = t.path('native', 'cache');
  const p = await dm.prepare(
    {
      type: 'image_folder',
      path: root,
      split: { validation: 0.2, stratify: true },
      preprocess: [{ type: 'image_normalize' }],
    },
    { cacheDir: cache, seed: 3 },
  );
  const parts = dm.loaderPlanParts(p);
  const loader = NativeLoader.open({ path: p.cacheFile, ...parts, batchSize: 4, shuffle: false });
  let rows = 0;
  for await (const batch of loader) {
    assert.deepEqual(batch.shape.slice(1), [3, 5, 6]);
    rows += batch.size;
  }
  assert.equal(rows, 10);
  const tl = NativeLoader.open({ path: p.cacheFile, rows: p.split.train, ...parts, batchSize: 100, shuffle: false });
  const only = await tl.next();
  assert.ok(only);
  assert.equal(only.size, p.split.train.length);
  assert.deepEqual(
    [...(only.labels as Int32Array)],
    p.split.train.map((r) => p.data().labels[r]),
  );
  tl.close();
});
