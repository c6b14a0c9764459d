/**
 * gymnosd under faults, in child processes (issue 14): a full disk (an injected ENOSPC writer) ends
 * a run with one stderr line and exit 2 instead of hanging; a closed stdout/stderr pipe does not
 * stop training; a second resume of a run directory is refused while one holds it, and two
 * concurrent resumes never both train; a train-time user error is exactly one stderr line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunLock } from '../../src/trainer/run-lock.js';
import { captureCli } from './capture.js';
import { buildMlp } from '../../src/models/zoo/small.js';
import { saveModel } from '../../src/onnx/io.js';
import { loadCheckpoint } from '../../src/trainer/checkpoint.js';
import { PHASE_LABEL } from '../../src/trainer/events.js';

const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'gymnos-failures-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const quiet = join(dir, 'logging.json');
writeFileSync(quiet, JSON.stringify({ console: { enabled: false } }));
const exp = join(dir, 'iris.json');
writeFileSync(
  exp,
  JSON.stringify({
    dataset: { type: 'iris' },
    model: { type: 'mlp', hidden: [8] },
    training: {
      epochs: 3,
      batchSize: 16,
      seed: 3,
      optimizer: { type: 'sgd', lr: 0.1 },
      checkpoint: { everySteps: 2, keepLast: 2 },
    },
  }),
);

interface Child {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  pid: number;
}

/**
 * Runs gymnosd in a child process (null session backend: no ONNX Runtime needed). `closePipes`
 * closes the read ends of its stdout and stderr at once, as `| head` does after its lines.
 * A child still running after 5 minutes is killed and reported as hung.
 */
function gymnosd(
  args: string[],
  opts: { env?: Record<string, string>; preload?: string; closePipes?: boolean } = {},
): Promise<Child> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      ...(opts.preload ? ['--import', opts.preload] : []),
      join(root, 'src/cli/bin.ts'),
      ...args,
      '--backend',
      'null',
    ],
    { cwd: root, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  if (opts.closePipes) {
    child.stdout.destroy();
    child.stderr.destroy();
  } else {
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      err += s;
    });
  }
  const hang = setTimeout(() => child.kill('SIGKILL'), 300_000);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(hang);
      resolve({ code, signal, out, err, pid: child.pid! });
    }),
  );
}

const lines = (s: string) => s.split('\n').filter((l) => l.length);
/** stderr less the progress display's set-up phase lines (shown only for phases over a second). */
const phase = new RegExp(
  `^(${Object.values(PHASE_LABEL)
    .map((l) => l.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('|')})(\\.\\.\\.|: done in [\\d.]+ s)$`,
);
const errLines = (s: string) => lines(s).filter((l) => !phase.test(l));
const state = (run: string) => JSON.parse(readFileSync(join(run, 'state.json'), 'utf8'));
const fullDisk = join(root, 'test/cli/fixtures/full-disk.mjs');

test('a full disk under the log file ends the run: exit 2, one line, state failed (it used to hang, deaf to Ctrl-C)', async () => {
  const run = join(dir, 'full-log');
  const r = await gymnosd(['train', exp, '--output', run], {
    preload: fullDisk,
    env: { GYMNOS_TEST_FULL_DIR: run, GYMNOS_TEST_FULL_MATCH: 'gymnos\\.log$' },
  });
  assert.equal(r.signal, null, 'not killed as hung');
  assert.equal(r.code, 2, r.err);
  assert.deepEqual(errLines(r.err), [
    `gymnosd: cannot write ${join(run, 'gymnos.log')}: no space left on device (ENOSPC) (hint: free disk space (old runs, caches) or point runsDir in system.json at a larger disk, then continue with --resume)`,
  ]);
  assert.deepEqual([state(run).status, state(run).errorCode], ['failed', 'ERR_ENVIRONMENT']);
  assert.ok(!existsSync(join(run, '.lock')));
});

test('a full disk when a checkpoint is written: exit 2 naming the checkpoint, state failed, no temporary file left', async () => {
  const run = join(dir, 'full-ck');
  const r = await gymnosd(['train', exp, '--output', run, '--logging', quiet], {
    preload: fullDisk,
    env: { GYMNOS_TEST_FULL_DIR: run, GYMNOS_TEST_FULL_MATCH: '/checkpoints/' },
  });
  assert.equal(r.code, 2, r.err);
  assert.match(
    r.err,
    new RegExp(
      `^gymnosd: cannot write ${join(run, 'checkpoints')}/step-000000002\\.gck: no space left on device \\(ENOSPC\\) \\(hint: [^\\n]*\\)\\n$`,
    ),
  );
  assert.deepEqual([state(run).status, state(run).step], ['failed', 2]);
  assert.deepEqual(readdirSync(join(run, 'checkpoints')), []);
});

test('a disk that fills up anywhere in the run directory: exit 2 with one line, never a hang or an internal error', async () => {
  for (const after of [0, 3000, 20000]) {
    const run = join(dir, `full-${after}`);
    const r = await gymnosd(['train', exp, '--output', run, '--logging', quiet], {
      preload: fullDisk,
      env: { GYMNOS_TEST_FULL_DIR: run, GYMNOS_TEST_FULL_AFTER: String(after) },
    });
    assert.equal(r.code, 2, `${after} bytes: ${r.err}`);
    assert.equal(errLines(r.err).length, 1, r.err);
    assert.match(r.err, /^gymnosd: cannot (write|open) .*: no space left on device \(ENOSPC\)/);
  }
});

test('closed stdout and stderr pipes (gymnosd train x.json 2>&1 | head) do not stop training', async () => {
  const run = join(dir, 'epipe');
  const r = await gymnosd(['train', exp, '--output', run], { closePipes: true });
  assert.equal(r.code, 0);
  assert.equal(state(run).status, 'completed');
  assert.ok(existsSync(join(run, 'model.onnx')));
});

test('resume takes the run lock: a held run is refused by name in one line; two concurrent resumes never both train', async () => {
  const run = join(dir, 'locked');
  assert.equal((await captureCli(['train', exp, '--output', run, '--logging', quiet, '--backend', 'null'])).code, 0);
  const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
  config.training.epochs = 6;
  writeFileSync(join(run, 'config.json'), JSON.stringify(config));

  const held = RunLock.acquire(join(run, '.lock'), run).lock;
  const refused = await gymnosd(['train', '--resume', run]);
  held.release();
  assert.equal(refused.code, 2);
  assert.equal(errLines(refused.err).length, 1, refused.err);
  assert.match(refused.err, new RegExp(`^gymnosd: run directory ${run} is in use by pid ${process.pid} on host `));

  const [a, b] = await Promise.all([
    gymnosd(['train', '--resume', run, '--logging', quiet]),
    gymnosd(['train', '--resume', run, '--logging', quiet]),
  ]);
  const codes = [a.code, b.code].sort();
  // whichever came second was refused while the first trained, or started after it had finished
  assert.ok(codes[0] === 0 && (codes[1] === 0 || codes[1] === 2), `${a.code} ${a.err} / ${b.code} ${b.err}`);
  for (const [x, y] of [
    [a, b],
    [b, a],
  ])
    if (x.code === 2) assert.match(x.err, new RegExp(`is in use by pid ${y.pid} on host`));
  const epochs = lines(readFileSync(join(run, 'metrics.jsonl'), 'utf8'))
    .map((l) => JSON.parse(l))
    .filter((r) => r.kind === 'epoch')
    .map((r) => r.epoch);
  assert.equal(epochs.length, 6, 'six epochs recorded');
  assert.equal(new Set(epochs).size, 6, `each epoch recorded once: ${epochs}`);
  assert.equal(state(run).status, 'completed');
});

test('a train-time user error is exactly one stderr line, even with console logging on (it was three, one a JSON stack)', async () => {
  const m = buildMlp({ inputs: 4, hidden: [5], classes: 3, seed: 1 });
  m.graph.inputs[0] = { ...m.graph.inputs[0], shape: [1, 4] };
  saveModel(m, join(dir, 'fixed.onnx'));
  const fixed = join(dir, 'fixed.json');
  writeFileSync(
    fixed,
    JSON.stringify({
      dataset: { type: 'iris' },
      model: { type: 'onnx', path: 'fixed.onnx' },
      training: { epochs: 1, batchSize: 8 },
    }),
  );
  const run = join(dir, 'fixed-run');
  const r = await captureCli(['train', fixed, '--output', run, '--backend', 'null']);
  assert.equal(r.code, 2);
  assert.deepEqual(errLines(r.err).length, 1, r.err);
  assert.match(
    errLines(r.err).join('\n'),
    /^gymnosd: model input 'input' is fixed at batch size 1 .* \(hint: re-export the model with a dynamic batch dimension/,
  );
  // the details are in gymnos.log
  assert.match(
    readFileSync(join(run, 'gymnos.log'), 'utf8'),
    /"stack":"FeedError: model input 'input' is fixed.*"hint":"re-export the model.*"msg":"training failed"/,
  );
});

test('ONNX Runtime: a diverging run (SGD lr 1 on unscaled regression features) exits 2 in one line, writes no model.onnx and keeps finite checkpoints', async () => {
  // unscaled features (around 100) make plain SGD on a linear model's MSE diverge: each step multiplies the error
  // by ~lr * |x|^2, so the loss overflows within a few steps at a rate the schema still accepts
  const csv = join(dir, 'diverge.csv');
  const rows = Array.from({ length: 64 }, (_, i) => {
    const a = 50 + ((i * 37) % 100),
      b = 60 + ((i * 53) % 90);
    return `${a},${b},${a + b}`;
  });
  writeFileSync(csv, ['a,b,y', ...rows].join('\n') + '\n');
  const nan = join(dir, 'nan.json');
  writeFileSync(
    nan,
    JSON.stringify({
      dataset: { type: 'csv', path: csv, label: 'y', task: 'regression', split: { validation: 0, test: 0.25 } },
      model: { type: 'mlp', hidden: [] },
      training: {
        epochs: 10,
        batchSize: 16,
        seed: 3,
        loss: { type: 'mse' },
        optimizer: { type: 'sgd', lr: 1 },
        metrics: [{ type: 'mae' }],
        checkpoint: { everySteps: 1, keepLast: 3 },
      },
      session: { device: 'cpu', intraOpThreads: 1 },
    }),
  );
  const run = join(dir, 'nan-run');
  const r = await captureCli(['train', nan, '--output', run, '--logging', quiet]);
  assert.equal(r.code, 2, r.err);
  assert.match(
    r.err,
    /^gymnosd: training diverged: the loss is (NaN|-?Infinity) at epoch \d+, step \d+; checkpoints before it are kept, no model\.onnx was written \(hint: lower the learning rate \(training\.optimizer\.lr is 1\)[^\n]*\)\n$/,
  );
  const s = state(run);
  assert.deepEqual([s.status, s.errorCode], ['failed', 'ERR_DIVERGED']);
  assert.ok(!existsSync(join(run, 'model.onnx')));
  const cks = readdirSync(join(run, 'checkpoints'));
  assert.ok(cks.length >= 1, 'the checkpoints before the divergence are kept');
  for (const ck of cks) {
    for (const [name, t] of loadCheckpoint(join(run, 'checkpoints', ck)).tensors) {
      if (t.data instanceof Float32Array) assert.ok(t.data.every(Number.isFinite), `${ck}: ${name} is finite`);
    }
  }
});

test('a real full disk (a 512 KiB tmpfs, where this machine lets the test mount one): exit 2 in one line, state failed', async (t) => {
  const mnt = join(dir, 'tmpfs');
  mkdirSync(mnt);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', mnt], { encoding: 'utf8' });
  if (mounted.status !== 0) {
    t.skip(`cannot mount a tmpfs here: ${(mounted.stderr || mounted.error?.message || '').trim()}`);
    return;
  }
  try {
    const big = join(dir, 'big.json');
    // 4*512 + 512*512 + 512*3 weights: about 1 MiB per checkpoint, more than the disk holds
    writeFileSync(
      big,
      JSON.stringify({
        dataset: { type: 'iris' },
        model: { type: 'mlp', hidden: [512, 512] },
        training: { epochs: 2, batchSize: 16, checkpoint: { everySteps: 1, keepLast: 1 } },
      }),
    );
    const run = join(mnt, 'run');
    const r = await gymnosd(['train', big, '--output', run, '--logging', quiet]);
    assert.equal(r.code, 2, r.err);
    assert.equal(errLines(r.err).length, 1, r.err);
    assert.match(
      r.err,
      new RegExp(
        `^gymnosd: cannot write ${join(run, 'checkpoints')}/step-000000001\\.gck: no space left on device \\(ENOSPC\\)`,
      ),
    );
    assert.deepEqual([state(run).status, state(run).errorCode], ['failed', 'ERR_ENVIRONMENT']);
    assert.deepEqual(readdirSync(join(run, 'checkpoints')), [], 'the partial checkpoint was removed');
  } finally {
    spawnSync('umount', [mnt]);
  }
});
