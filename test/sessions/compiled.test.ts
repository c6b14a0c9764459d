/**
 * The worker must also start from compiled JavaScript (dist/), where worker-main.js sits next to
 * worker-host.js and no TypeScript loader is present. Compiles src/sessions (and what it imports)
 * with tsc into a scratch folder inside the repo (so onnxruntime-node resolves) and runs a plain
 * `node` process on it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('compiled JS: SessionWorker starts worker-main.js and runs a session without tsx', { timeout: 180_000 }, () => {
  const out = join(root, 'node_modules', '.cache', `gymnos-sessions-dist-${process.pid}`);
  mkdirSync(out, { recursive: true });
  try {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    execFileSync(
      process.execPath,
      [
        tsc,
        '--outDir',
        out,
        '--rootDir',
        root,
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--target',
        'es2022',
        '--strict',
        '--skipLibCheck',
        '--types',
        'node',
        join(root, 'src/sessions/index.ts'),
        // worker-main is loaded by path, not imported; `tsc -p .` compiles it through tsconfig's include.
        join(root, 'src/sessions/worker-main.ts'),
        join(root, 'test/sessions/models.ts'),
      ],
      { cwd: root, stdio: 'pipe' },
    );
    writeFileSync(join(out, 'package.json'), '{"type":"module"}');
    writeFileSync(
      join(out, 'check.js'),
      `
      import { SessionManager } from './src/sessions/index.js';
      import { workerEntry } from './src/sessions/worker-host.js';
      import { affineModel } from './test/sessions/models.js';
      const entry = workerEntry();
      const m = new SessionManager({ device: 'cpu' });
      const s = await m.createSession('a', affineModel());
      const y = await s.run({ x: { dtype: 'float32', dims: [1, 2], data: new Float32Array([1, 1]) } });
      console.log(JSON.stringify({ eval: entry.eval, source: String(entry.source), y: Array.from(y.y.data) }));
      await m.close();
    `,
    );
    const stdout = execFileSync(process.execPath, [join(out, 'check.js')], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    const r = JSON.parse(stdout.trim().split('\n').pop()!) as { eval: boolean; source: string; y: number[] };
    assert.equal(r.eval, false);
    assert.match(r.source, /worker-main\.js$/);
    assert.deepEqual(r.y, [5.5, 6, 11]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
