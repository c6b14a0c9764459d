/** Child process for the concurrent-ingest test: prepares an image folder and prints the result. */
import { DatasetManager } from '../../src/datasets/manager.js';

const [root, cache] = process.argv.slice(2);
const p = await new DatasetManager().prepare({ type: 'image_folder', path: root, concurrency: 1 }, { cacheDir: cache });
process.stdout.write(`${JSON.stringify({ hit: p.cacheHit, count: p.data().count, file: p.cacheFile })}\n`);
