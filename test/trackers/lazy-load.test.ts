/**
 * Trackers load only when configured: a child process logs every module it resolves (a resolve
 * hook registered after tsx); a run without trackers never loads the tensorboard or mlflow
 * modules, and one with tensorboard loads it but not mlflow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'gymnos-lazy-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const root = new URL('../..', import.meta.url).pathname;

const HOOK = `import { appendFileSync } from 'node:fs';
export async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(process.env.GYMNOS_LOAD_LOG, r.url + '\\n'); return r; }`;

function loaded(trackers: unknown[]): string[] {
  const log = join(dir, `log-${trackers.length}.txt`);
  writeFileSync(join(dir, 'hook.mjs'), HOOK);
  writeFileSync(
    join(dir, 'register.mjs'),
    `import { register } from 'node:module'; register(${JSON.stringify(`file://${join(dir, 'hook.mjs')}`)});`,
  );
  const child = `import { Trainer } from ${JSON.stringify(join(root, 'src/trainer/trainer.ts'))};
import { CallbackProvider } from ${JSON.stringify(join(root, 'src/callbacks/provider.ts'))};
import { parseExperiment } from ${JSON.stringify(join(root, 'src/experiment/index.ts'))};
const c = parseExperiment({ dataset: { type: 'iris' }, model: { type: 'mlp', hidden: [4] }, training: { epochs: 1 }, tracking: { trackers: ${JSON.stringify(trackers)} } });
await new Trainer(c, { backend: 'null', callbackSource: CallbackProvider, output: ${JSON.stringify(join(dir, `run-${trackers.length}`))} }).fit();`;
  writeFileSync(join(dir, 'child.mts'), child);
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--import', join(dir, 'register.mjs'), join(dir, 'child.mts')],
    { cwd: root, env: { ...process.env, GYMNOS_LOAD_LOG: log }, encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((u) => u.includes('/src/trackers/'))
    .map((u) => u.replace(/^.*\/src\/trackers\//, ''));
}

test('tracker modules are imported only when an experiment names them', () => {
  const none = loaded([{ type: 'metrics_jsonl' }]);
  assert.ok(none.includes('index.ts'), none.join(', '));
  assert.ok(
    !none.includes('tensorboard.ts') && !none.includes('mlflow.ts') && !none.includes('tfrecord.ts'),
    none.join(', '),
  );
  const tb = loaded([{ type: 'metrics_jsonl' }, { type: 'tensorboard' }]);
  assert.ok(tb.includes('tensorboard.ts') && tb.includes('tfrecord.ts') && !tb.includes('mlflow.ts'), tb.join(', '));
});
