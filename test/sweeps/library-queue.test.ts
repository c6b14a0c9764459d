/**
 * The library on a queue: `sweep(config, { redis, workers: 1 })` enqueues the trials on a private
 * redis-server, runs a queue worker in this process, follows the jobs and resolves with every
 * trial's outcome; the trials' values match their run directories.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sweep } from '../../src/index.js';
import { findRedis, REDIS_MISSING, TestRedis } from './helpers.js';

const redisBin = findRedis();

test(
  'sweep({ redis, workers }) runs the trials through BullMQ and resolves with them',
  { skip: !redisBin && process.env.GYMNOS_SKIP_REDIS === '1', timeout: 300_000 },
  async (t) => {
    assert.ok(redisBin, REDIS_MISSING);
    const tmp = mkdtempSync(join(tmpdir(), 'gymnos-sweep-lq-'));
    mkdirSync(join(tmp, 'redis'));
    const redis = await TestRedis.start(redisBin, join(tmp, 'redis'));
    t.after(async () => {
      await redis.kill();
      rmSync(tmp, { recursive: true, force: true });
    });
    const h = sweep(
      {
        name: 'iris-q',
        experiment: {
          dataset: { type: 'iris', split: { validation: 0.2 } },
          model: { type: 'mlp', hidden: [8] },
          training: { epochs: 2, batchSize: 16, optimizer: { type: 'sgd', lr: 0.1 } },
          session: { intraOpThreads: 1 },
        },
        space: { 'training.optimizer.lr': { type: 'choice', values: [0.01, 0.1, 0.3] } },
        strategy: { type: 'grid' },
        metric: 'val_loss',
      },
      { redis: redis.url, workers: 1, output: join(tmp, 'sweeps') },
    );
    const r = await h.result;
    assert.deepEqual(
      r.outcomes.map((o) => [o.id, o.status, o.params['training.optimizer.lr']]),
      [
        ['t000', 'completed', 0.01],
        ['t001', 'completed', 0.1],
        ['t002', 'completed', 0.3],
      ],
    );
    for (const o of r.outcomes) {
      const rows = readFileSync(join(o.runDir, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .filter((x) => x.kind === 'epoch');
      assert.equal(o.value, rows[rows.length - 1].validation.loss);
    }
    assert.equal(r.best!.value, Math.min(...r.outcomes.map((o) => o.value!)));
    assert.match(readFileSync(r.reportPath, 'utf8'), /3 completed/);
  },
);
