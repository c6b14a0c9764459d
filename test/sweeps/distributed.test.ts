/**
 * THE distributed sweep test: a private redis-server, a 12-trial random sweep of the quickstart
 * (2 epochs, a smaller CNN) enqueued with `gymnosd sweep start`, Redis killed (SIGKILL) and
 * restarted before any worker ran (the AOF keeps every job), then 2 `gymnosd worker` processes.
 * One worker is held at the start of its first trial's second epoch (a test hook) and killed with
 * SIGKILL; the other takes the stalled trial over and resumes it from its checkpoint. Checked:
 * every trial ended exactly once (events.jsonl, Redis job states), the killed trial resumed at its
 * checkpoint's step and ended with the very metrics of an uninterrupted run of its config, and the
 * report names the best trial (computed here from the trials' metrics.jsonl). Then a user error
 * (a metric the run does not report) fails its trial once, unretried, with the message; and
 * `sweep stop` stops a running trial through its AbortSignal and removes the waiting ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { train } from '../../src/experiment/train.js';
import { readSweepDir } from '../../src/sweeps/sweep-dir.js';
import { findRedis, gymnosd, gymnosdRun, REDIS_MISSING, ROOT, TestRedis, until } from './helpers.js';

const redisBin = findRedis();
const skip = !redisBin && process.env.GYMNOS_SKIP_REDIS === '1';

const readLines = (p: string) => {
  try {
    return readFileSync(p, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l));
  } catch {
    return [];
  }
};

test(
  '12 trials on 2 workers: a worker killed mid-trial, a Redis restart, every trial once, the killed one resumed',
  { skip, timeout: 900_000 },
  async (t) => {
    assert.ok(redisBin, REDIS_MISSING);
    const tmp = mkdtempSync(join(tmpdir(), 'gymnos-sweep-q-'));
    const log: string[] = [];
    const procs: Array<ReturnType<typeof gymnosd>> = [];
    mkdirSync(join(tmp, 'redis'));
    const redis = await TestRedis.start(redisBin!, join(tmp, 'redis'));
    t.after(async () => {
      for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
      await redis.kill();
      rmSync(tmp, { recursive: true, force: true });
    });
    const home = join(tmp, 'home');
    mkdirSync(home);
    writeFileSync(join(home, 'system.json'), JSON.stringify({ runsDir: join(tmp, 'runs') }));
    const env = { GYMNOS_HOME: home };
    const sweepOut = join(tmp, 'sweeps');
    const sweepFile = (name: string, extra: Record<string, unknown>) => {
      const p = join(tmp, `${name}.json`);
      writeFileSync(
        p,
        JSON.stringify({
          name,
          experiment: join(ROOT, 'examples/quickstart.json'),
          set: {
            'training.epochs': 2,
            'training.metrics': [{ type: 'accuracy' }],
            'model.channels': [8, 16],
            'model.hidden': 32,
          },
          space: {
            'training.optimizer.lr': { type: 'loguniform', low: 0.005, high: 0.2 },
            'model.dropout': { type: 'uniform', low: 0, high: 0.3 },
          },
          strategy: { type: 'random' },
          seed: 3,
          trials: 12,
          metric: 'val_accuracy',
          earlyTermination: { type: 'asha', eta: 3, minEpochs: 1 },
          ...extra,
        }),
      );
      return p;
    };

    const started = await gymnosdRun(
      ['sweep', 'start', sweepFile('q12', {}), '--redis', redis.url, '--output', sweepOut],
      env,
    );
    assert.equal(started.code, 0, started.stderr);
    const id = started.stdout.trim();
    const dir = join(sweepOut, 'q12', id);

    // a Redis crash before any worker ran loses no trial (AOF, appendfsync always)
    await redis.restart();
    const st0 = await gymnosdRun(['sweep', 'status', id, '--redis', redis.url], env);
    assert.equal(st0.code, 0, st0.stderr);
    assert.equal(st0.stdout.split('\n').filter((l) => /^t\d{3}\twait/.test(l)).length, 12, st0.stdout);

    const hold = join(tmp, 'hold');
    mkdirSync(hold);
    const a = gymnosd(
      ['worker', '--redis', redis.url, '--lock-duration', '4000'],
      { ...env, GYMNOS_SWEEP_TEST_HOLD: hold },
      log,
    );
    const b = gymnosd(['worker', '--redis', redis.url, '--lock-duration', '4000'], env, log);
    procs.push(a, b);
    const held = await until(
      'worker A to hold a trial mid-way',
      () => readdirSync(hold).find((f) => f === `held-${a.pid}.json`),
      180_000,
    ).then((f) => JSON.parse(readFileSync(join(hold, f), 'utf8')) as { runDir: string; step: number; epoch: number });
    const killedTrial = held.runDir.split('/').pop()!;
    a.kill('SIGKILL');

    const ended = await until(
      'every trial to end',
      () => {
        const ends = readLines(join(dir, 'events.jsonl')).filter((e) => e.type === 'trialEnd');
        return new Set(ends.map((e) => e.trial)).size === 12 ? ends : undefined;
      },
      600_000,
    ); // generous: a shared, loaded machine ran this part in up to 5 minutes
    // exactly once: one trialEnd per trial, and Redis says each job completed
    assert.deepEqual(
      ended.map((e) => e.trial).sort(),
      Array.from({ length: 12 }, (_, i) => `t${String(i).padStart(3, '0')}`),
      log.join(''),
    );
    const st = await gymnosdRun(['sweep', 'status', id, '--redis', redis.url], env);
    assert.equal(st.stdout.split('\n').filter((l) => /^t\d{3}\tcompleted\t/.test(l)).length, 12, st.stdout);
    // every trial ended: the sweep reads 'finished', not the record's 'running' (it said running forever)
    assert.match(st.stdout.split('\n')[0], /: finished, /, st.stdout);
    const data = readSweepDir(dir);
    for (const o of data.outcomes.values()) {
      assert.ok(o.status === 'completed' || o.status === 'pruned', `${o.id}: ${o.status} ${o.error ?? ''}`);
      assert.equal(o.epochs, o.status === 'completed' ? 2 : 1, o.id);
    }

    // the killed trial: started twice, resumed from the checkpoint worker A left, on worker B
    const starts = readLines(join(dir, 'events.jsonl')).filter(
      (e) => e.type === 'trialStart' && e.trial === killedTrial,
    );
    assert.equal(starts.length, 2);
    assert.equal(starts[1].resumedAt.step, held.step);
    const k = data.outcomes.get(killedTrial)!;
    assert.equal(k.status, 'completed');
    assert.equal(k.resumes.length, 1);
    assert.equal(k.resumes[0].step, held.step);
    assert.equal(k.resumes[0].worker, `${k.worker}`);
    assert.ok(!k.worker.endsWith(`:${a.pid}`), 'another worker finished it');
    assert.match(
      readFileSync(join(held.runDir, 'gymnos.log'), 'utf8'),
      new RegExp(`"step":${held.step}[^\\n]*"msg":"resumed"|"msg":"resumed"[^\\n]*"step":${held.step}`),
    );
    const rows = readLines(join(held.runDir, 'metrics.jsonl')).filter((r) => r.kind === 'epoch');
    assert.deepEqual(
      rows.map((r) => r.epoch),
      [1, 2],
    );
    // resume is exact: an uninterrupted run of the same config ends with the same numbers
    const fresh = train(JSON.parse(readFileSync(join(held.runDir, 'config.json'), 'utf8')), {
      output: join(tmp, 'fresh'),
      baseDir: join(ROOT, 'examples'),
    });
    await fresh.result;
    const freshRows = readLines(join(tmp, 'fresh', 'metrics.jsonl')).filter((r) => r.kind === 'epoch');
    assert.deepEqual(
      rows.map((r) => r.validation),
      freshRows.map((r) => r.validation),
    );

    // the report names the best trial, found here from the run directories
    const completed = [...data.outcomes.values()].filter((o) => o.status === 'completed');
    const lastAcc = (o: { runDir: string }) =>
      readLines(join(o.runDir, 'metrics.jsonl'))
        .filter((r) => r.kind === 'epoch')
        .pop().validation.accuracy as number;
    const best = completed.reduce((x, y) => (lastAcc(y) > lastAcc(x) ? y : x));
    const rep = await gymnosdRun(['sweep', 'report', id, '--redis', redis.url], env);
    assert.equal(rep.code, 0, rep.stderr);
    const html = readFileSync(rep.stdout.trim(), 'utf8');
    assert.match(html, new RegExp(`<p id="best">Best trial: <strong data-trial="${best.id}">`));
    assert.ok(html.includes(`data-value="${lastAcc(best)}"`));

    // a user error: failed once with its message, not retried
    const bad = await gymnosdRun(
      [
        'sweep',
        'start',
        sweepFile('bad', { trials: 1, metric: 'val_bogus', earlyTermination: undefined }),
        '--redis',
        redis.url,
        '--output',
        sweepOut,
      ],
      env,
    );
    const badId = bad.stdout.trim();
    const badStatus = await until('the bad trial to fail', async () => {
      const s = await gymnosdRun(['sweep', 'status', badId, '--redis', redis.url], env);
      return /\tfailed\t/.test(s.stdout) ? s.stdout : undefined;
    });
    assert.match(
      badStatus,
      /t000\tfailed\t1\t.*expected one of 'loss', 'accuracy', 'val_loss', 'val_accuracy' for metric but got 'val_bogus'/,
    );
    const badTrial = JSON.parse(readFileSync(join(sweepOut, 'bad', badId, 'trials', 't000', 'trial.json'), 'utf8'));
    assert.equal(badTrial.status, 'failed');

    // stop: the running trial stops after its current step, the waiting ones are removed
    const long = await gymnosdRun(
      [
        'sweep',
        'start',
        sweepFile('long', {
          trials: 3,
          earlyTermination: undefined,
          set: { 'training.epochs': 200, 'training.metrics': [{ type: 'accuracy' }] },
        }),
        '--redis',
        redis.url,
        '--output',
        sweepOut,
      ],
      env,
    );
    const longId = long.stdout.trim();
    const longDir = join(sweepOut, 'long', longId);
    await until('a long trial to finish an epoch', () =>
      readLines(join(longDir, 'events.jsonl')).some((e) => e.type === 'trialEpoch'),
    );
    const stop = await gymnosdRun(['sweep', 'stop', longId, '--redis', redis.url], env);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stderr, /2 waiting trial\(s\) removed/);
    const stoppedEnd = await until(
      'the running trial to stop',
      () => readLines(join(longDir, 'events.jsonl')).find((e) => e.type === 'trialEnd'),
      60_000,
    );
    assert.equal(stoppedEnd.outcome.status, 'stopped');
    assert.ok(stoppedEnd.outcome.epochs < 200);
    assert.equal(
      JSON.parse(readFileSync(join(longDir, 'trials', stoppedEnd.trial, 'state.json'), 'utf8')).status,
      'aborted',
    );

    b.kill('SIGTERM');
    assert.equal(await new Promise((r) => b.on('exit', (c) => r(c))), 0);
  },
);
