/**
 * Faults in the Trainer (issue 14): a NaN loss fails the run instead of ending it "completed" with a
 * NaN model; a resume never silently starts over when every checkpoint is unusable and falls back
 * past a foreign one; the run-directory lock refuses a second holder and takes over a dead one's;
 * leftovers of interrupted atomic writes are removed at resume; a failed log write ends the run
 * with an EnvironmentError instead of retrying forever; a model fixed at batch size 1 is refused
 * before the first step. Null backend with scripted outputs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync, copyFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { cfg, fit, only, scripted, tempDir } from '../callbacks/helpers.js';
import { RunDir } from '../../src/trainer/run-dir.js';
import { RunLock } from '../../src/trainer/run-lock.js';
import { runConfig } from '../../src/experiment/index.js';
import { loadCheckpoint } from '../../src/trainer/checkpoint.js';
import { assertFinite } from '../../src/trainer/faults.js';
import { tensor } from '../../src/onnx/tensor.js';
import { createLogger } from '../../src/util/logger.js';
import { parseLogging } from '../../src/config/logging.js';
import { GymnosError } from '../../src/util/errors.js';
import { buildMlp } from '../../src/models/zoo/small.js';
import { saveModel } from '../../src/onnx/io.js';
import { isUserError, userErrorLine } from '../../src/cli/errors.js';

const out = tempDir('gymnos-faults-');
const stepOf = (path: string) => Number(/step-(\d+)\.gck$/.exec(path)![1]);
const state = (run: string) => JSON.parse(readFileSync(join(run, 'state.json'), 'utf8'));

test('a NaN loss fails the run: exit-2 error naming epoch and step, state failed, no model, finite checkpoints kept', async () => {
  const run = out();
  const config = cfg({ checkpoint: { everySteps: 1, keepLast: 3 } });
  const err = await fit(config, { ...scripted({ trainLoss: (s) => (s >= 8 ? NaN : 1) }), output: run }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof GymnosError, String(err));
  assert.equal(err.code, 'ERR_DIVERGED');
  assert.ok(isUserError(err));
  // iris: 6 steps per epoch, so step 8 is in the second epoch
  assert.match(err.message, /^training diverged: the loss is NaN at epoch 2, step 8;/);
  assert.match(
    userErrorLine(err),
    /\(hint: lower the learning rate \(training\.optimizer\.lr is 0\.1\) or set training\.clipGradNorm/,
  );
  assert.doesNotMatch(userErrorLine(err), /\n/);
  const s = state(run);
  assert.deepEqual([s.status, s.errorCode, s.step], ['failed', 'ERR_DIVERGED', 8]);
  assert.equal(existsSync(join(run, 'model.onnx')), false);
  // the step that produced NaN wrote no checkpoint; the three before it are kept
  assert.deepEqual(new RunDir(run).checkpoints().map(stepOf), [7, 6, 5]);
  assert.ok(!existsSync(join(run, '.lock')), 'the lock is released after a failure');
});

test('terminateOnNan: false trains on through a NaN loss (the old behaviour, now opt-in)', async () => {
  const { result } = await fit(cfg({ terminateOnNan: false, epochs: 2 }), {
    ...scripted({ trainLoss: (s) => (s >= 3 ? NaN : 1) }),
    output: out(),
  });
  assert.equal(result.status, 'completed');
  assert.equal(result.step, 12);
});

test('non-finite weights are found and named before they are saved', () => {
  const config = cfg();
  const pos = { epoch: 1, batch: 2, step: 8 };
  assertFinite(
    [
      ['w', tensor('float32', [2], [1, 2])],
      ['step', tensor('int64', [1], BigInt64Array.of(3n))],
    ],
    pos,
    config,
  );
  assert.throws(
    () =>
      assertFinite(
        [
          ['w', tensor('float32', [2], [1, 2])],
          ['b', tensor('float32', [3], [0, Infinity, NaN])],
        ],
        pos,
        config,
      ),
    (e: GymnosError) =>
      e.code === 'ERR_DIVERGED' && /parameter 'b' holds Infinity after step 8 \(epoch 2\)/.test(e.message),
  );
});

/** A finished 2-epoch run whose config.json then asks for 4 epochs: a resume has 2 epochs to go. */
async function resumable(hidden = [4]): Promise<string> {
  const run = out();
  await fit(cfg({ epochs: 2 }, { model: { type: 'mlp', hidden } }), { ...scripted({}), output: run });
  const c = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
  c.training.epochs = 4;
  writeFileSync(join(run, 'config.json'), JSON.stringify(c));
  return run;
}

const resume = (run: string) => fit(runConfig(run) as ReturnType<typeof cfg>, { ...scripted({}), resume: run });

test('--resume with every checkpoint unreadable is a user error naming the files, never a restart from step 0', async () => {
  const run = await resumable();
  const cks = new RunDir(run).checkpoints();
  assert.ok(cks.length >= 2);
  for (const ck of cks) {
    const b = readFileSync(ck);
    b[b.length - 1] ^= 0xff; // a flipped bit in the last tensor: its CRC fails
    writeFileSync(ck, b);
  }
  const metricsBefore = readFileSync(join(run, 'metrics.jsonl'), 'utf8');
  const err = (await resume(run).then(
    () => undefined,
    (e: unknown) => e,
  )) as GymnosError;
  assert.equal(err?.code, 'ERR_CHECKPOINT', String(err));
  assert.match(
    err.message,
    new RegExp(`^cannot resume ${run}: none of its ${cks.length} checkpoint\\(s\\) is usable: `),
  );
  for (const ck of cks) assert.ok(err.message.includes(`${ck}: tensor '`), `${ck} named`);
  assert.equal(readFileSync(join(run, 'metrics.jsonl'), 'utf8'), metricsBefore, 'nothing was retrained');
});

test('a checkpoint with valid checksums but foreign shapes: the older matching one is used, or a user error names both shapes', async () => {
  const run = await resumable();
  const foreign = await resumable([5]);
  const own = new RunDir(run).checkpoints();
  const alien = join(run, 'checkpoints', 'step-000000999.gck');
  copyFileSync(new RunDir(foreign).checkpoints()[0], alien);
  const { result, events } = await resume(run);
  assert.equal(result.status, 'completed');
  assert.equal(only(events, 'fitStart')[0].resumed?.checkpoint, own[0]);
  assert.equal(result.step, 24);

  const only2 = await resumable();
  for (const ck of new RunDir(only2).checkpoints()) rmSync(ck);
  copyFileSync(new RunDir(foreign).checkpoints()[0], join(only2, 'checkpoints', 'step-000000012.gck'));
  const err = (await resume(only2).then(
    () => undefined,
    (e: unknown) => e,
  )) as GymnosError;
  assert.equal(err?.code, 'ERR_CHECKPOINT', String(err));
  const w = [...loadCheckpoint(new RunDir(foreign).checkpoints()[0]).tensors].find(
    ([, t]) => t.dims.join() === '4,5' || t.dims.join() === '5,4',
  );
  assert.ok(w, 'the foreign run has a [4,5] or [5,4] weight');
  assert.match(
    err.message,
    new RegExp(
      `parameter '${w[0].replace(/[.[\]]/g, '\\$&')}' is float32 \\[${w[1].dims.join(',')}\\] in the checkpoint but the model needs float32 \\[\\d+,\\d+\\]`,
    ),
  );
});

test('the run-directory lock: a live holder is refused by name, a dead one on this host is taken over', async () => {
  const run = await resumable();
  const lockPath = join(run, '.lock');
  const held = RunLock.acquire(lockPath, run).lock;
  const err = (await resume(run).then(
    () => undefined,
    (e: unknown) => e,
  )) as GymnosError;
  assert.equal(err?.code, 'ERR_LOCKED', String(err));
  assert.match(
    userErrorLine(err),
    new RegExp(
      `^gymnosd: run directory ${run} is in use by pid ${process.pid} on host ${hostname()} \\(since .*\\); wait for it to finish or stop it \\(hint: if no such process runs any more, delete ${lockPath}\\)$`,
    ),
  );
  assert.equal(state(run).status, 'completed', "the holder's state.json is left alone");
  held.release();
  assert.ok(!existsSync(lockPath));

  // a pid that surely ran and exited
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const deadPid = Number(dead.stdout);
  assert.ok(deadPid > 0);
  writeFileSync(lockPath, JSON.stringify({ pid: deadPid, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' }));
  // and the leftovers of interrupted atomic writes
  const tmps = [
    join(run, '.state.json.123.0badc0de.tmp'),
    join(run, 'checkpoints', '.step-000000013.gck.123.deadbeef.tmp'),
  ];
  for (const t of tmps) writeFileSync(t, 'half');
  const { result } = await resume(run);
  assert.equal(result.status, 'completed');
  for (const t of tmps) assert.ok(!existsSync(t), `${basename(t)} removed`);
  const log = readFileSync(join(run, 'gymnos.log'), 'utf8');
  assert.match(log, new RegExp(`took over the lock of pid ${deadPid} on host`));
  assert.match(log, /removed temporary files of interrupted writes/);
  assert.ok(!existsSync(lockPath));

  writeFileSync(
    lockPath,
    JSON.stringify({ pid: deadPid, host: 'another-host.example', startedAt: '2026-01-01T00:00:00.000Z' }),
  );
  assert.throws(() => RunLock.acquire(lockPath, run), /in use by pid \d+ on host another-host\.example/);
});

test('a log write that fails (full disk) is thrown once as a user-facing error, not retried forever', () => {
  const dir = out();
  let calls = 0;
  const full = (() => {
    calls++;
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
  }) as never;
  const logs = createLogger(parseLogging({ console: { enabled: false } }, 'test'), dir, undefined, full);
  assert.throws(
    () => logs.logger.info('hello'),
    (e: GymnosError) =>
      e.code === 'ERR_ENVIRONMENT' &&
      e.message === `cannot write ${join(dir, 'gymnos.log')}: no space left on device (ENOSPC)`,
  );
  logs.logger.info('again'); // the sink is quiet now: no second throw, no retry
  logs.close();
  assert.equal(calls, 1);
  assert.deepEqual(readdirSync(dir), ['gymnos.log']);
});

test('a model exported with a fixed batch size is refused before the first step, naming the dimension and the remedy', async () => {
  const run = out();
  const m = buildMlp({ inputs: 4, hidden: [5], classes: 3, seed: 1 });
  m.graph.inputs[0] = { ...m.graph.inputs[0], shape: [1, 4] };
  const path = `${run}-fixed.onnx`;
  saveModel(m, path);
  const config = cfg({ epochs: 1, batchSize: 16 }, { model: { type: 'onnx', path }, dataset: { type: 'iris' } });
  const err = (await fit(config, { ...scripted({}), output: run }).then(
    () => undefined,
    (e: unknown) => e,
  )) as GymnosError;
  assert.equal(err?.code, 'ERR_USER', String(err));
  assert.ok(isUserError(err));
  assert.equal(
    userErrorLine(err),
    "gymnosd: model input 'input' is fixed at batch size 1 (its first dimension is 1, not symbolic) but training.batchSize is 16 and training.evalBatchSize is 256 (hint: re-export the model with a dynamic batch dimension (PyTorch: torch.onnx.export(..., dynamic_axes={'input': {0: 'batch'}})), or set training.batchSize and training.evalBatchSize to 1)",
  );
  assert.equal(state(run).step, 0);
  // the remedy works: batches of exactly 1 train
  const { result } = await fit(
    cfg({ epochs: 1, batchSize: 1, evalBatchSize: 1 }, { model: { type: 'onnx', path }, dataset: { type: 'iris' } }),
    { ...scripted({}), output: out() },
  );
  assert.equal(result.status, 'completed');
});
