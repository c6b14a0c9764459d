/**
 * One trial: a worker shutting down mid-trial hands the trial back (ERR_REQUEUE, no trialEnd)
 * and the next run of the same job resumes from the checkpoint the abort left and ends with the
 * numbers of an uninterrupted run; a trial already ended is not run again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSweep } from '../../src/sweeps/sweep-file.js';
import { createSweepDir, trialJobs } from '../../src/sweeps/sweep-dir.js';
import { runTrial, WORKER_SHUTDOWN } from '../../src/sweeps/trial.js';
import { MemoryRungStore } from '../../src/sweeps/asha.js';
import type { SweepEvent } from '../../src/sweeps/events.js';
import { train } from '../../src/experiment/train.js';

const tmp = mkdtempSync(join(tmpdir(), 'gymnos-trial-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('a worker shutdown requeues the trial; the next attempt resumes it exactly', { timeout: 300_000 }, async () => {
  const s = parseSweep(
    {
      experiment: {
        dataset: { type: 'iris', split: { validation: 0.2 } },
        model: { type: 'mlp', hidden: [8] },
        training: { epochs: 6, batchSize: 16, optimizer: { type: 'sgd', lr: 0.1 } },
        session: { intraOpThreads: 1 },
      },
      space: { 'training.seed': { type: 'choice', values: [5] } },
      strategy: { type: 'grid' },
      metric: 'val_loss',
    },
    'sweep',
  );
  const { id, dir, manifest } = createSweepDir(s, tmp, join(tmp, 'sweeps'));
  const [job] = trialJobs(s, id, dir, manifest);
  const events: SweepEvent[] = [];
  const ctl = new AbortController();
  const onEvent = (e: SweepEvent) => {
    events.push(e);
    if (e.type === 'trialEpoch' && e.epoch === 2) ctl.abort(WORKER_SHUTDOWN);
  };
  await assert.rejects(
    runTrial(job, { store: new MemoryRungStore(), worker: 'w1', signal: ctl.signal, onEvent }),
    (e: Error & { code?: string }) => e.code === 'ERR_REQUEUE',
  );
  assert.equal(events.filter((e) => e.type === 'trialEnd').length, 0);
  const out = await runTrial(job, { store: new MemoryRungStore(), worker: 'w2', onEvent: (e) => events.push(e) });
  assert.equal(out.status, 'completed');
  assert.equal(out.resumes.length, 1);
  assert.equal(out.resumes[0].worker, 'w2');
  assert.equal(events.filter((e) => e.type === 'trialEnd').length, 1);
  const rows = (p: string) =>
    readFileSync(join(p, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((r) => r.kind === 'epoch');
  assert.deepEqual(
    rows(out.runDir).map((r) => r.epoch),
    [1, 2, 3, 4, 5, 6],
  );
  const fresh = train(job.config, { output: join(tmp, 'fresh') });
  await fresh.result;
  assert.deepEqual(
    rows(out.runDir).map((r) => r.validation),
    rows(join(tmp, 'fresh')).map((r) => r.validation),
  );
  // delivered again after it ended: the recorded outcome, nothing rerun
  const again = await runTrial(job, { store: new MemoryRungStore(), worker: 'w3', onEvent: (e) => events.push(e) });
  assert.deepEqual(again, JSON.parse(JSON.stringify(out)));
  assert.equal(events.filter((e) => e.type === 'trialStart').length, 2);
});
