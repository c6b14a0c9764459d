/**
 * Ingest benchmark: a folder of N generated 32x32 JPEGs (10 classes), ingested into the Arrow
 * cache (first run: decode with sharp), then prepared again (second run: content hash of every
 * file + cache hit). Prints images/s and the first/second time ratio.
 * Usage: node --import tsx bench/ingest.ts [count=10000]
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { DatasetManager } from '../src/datasets/manager.js';
import { progressLine } from '../src/datasets/progress.js';

const count = Number(process.argv[2] ?? 10_000);
const dir = mkdtempSync(join(tmpdir(), 'gymnos-bench-ingest-'));
try {
  const root = join(dir, 'images');
  let t = performance.now();
  const px = Buffer.alloc(32 * 32 * 3);
  const jobs: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const cls = `class_${i % 10}`;
    if (i < 10) mkdirSync(join(root, cls), { recursive: true });
    for (let k = 0; k < px.length; k++) px[k] = (i * 31 + k * 7 + ((k * i) >> 5)) & 0xff;
    jobs.push(
      sharp(Buffer.from(px), { raw: { width: 32, height: 32, channels: 3 } })
        .jpeg({ quality: 90 })
        .toFile(join(root, cls, `${i}.jpg`)),
    );
    if (jobs.length >= 64) await Promise.all(jobs.splice(0));
  }
  await Promise.all(jobs);
  console.log(`generated ${count} 32x32 JPEGs in ${((performance.now() - t) / 1000).toFixed(1)}s`);
  const spec = {
    type: 'image_folder',
    path: root,
    split: { validation: 0.1, stratify: true },
    preprocess: [{ type: 'image_normalize' }],
  };
  const cacheDir = join(dir, 'cache');
  const dm = new DatasetManager();
  const bar = progressLine('ingest');
  t = performance.now();
  const first = await dm.prepare(spec, { cacheDir, onProgress: bar.update });
  bar.done();
  const t1 = (performance.now() - t) / 1000;
  const runs: number[] = [];
  for (let r = 0; r < 3; r++) {
    t = performance.now();
    const again = await dm.prepare(spec, { cacheDir });
    runs.push((performance.now() - t) / 1000);
    if (!again.cacheHit) throw new Error('second run missed the cache');
  }
  const t2 = Math.min(...runs);
  console.log(
    `first run (ingest + split + fit):  ${t1.toFixed(2)}s  ${Math.round(first.meta.count / t1)} images/s (ingest alone ${first.meta.ingestSeconds}s, ${Math.round(first.meta.count / first.meta.ingestSeconds)} images/s)`,
  );
  console.log(
    `second run (hash + cache hit + split + fit): ${t2.toFixed(3)}s (best of 3: ${runs.map((x) => x.toFixed(3)).join(', ')})`,
  );
  console.log(`ratio first/second: ${(t1 / t2).toFixed(1)}x`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
