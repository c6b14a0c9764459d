/**
 * `gymnosd worker --redis <url> [--concurrency N]`: runs sweep trials from the Redis queue until
 * SIGINT/SIGTERM (then it takes nothing new: running trials stop after their current step and
 * their jobs go back to the queue to resume elsewhere).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { loadSystem } from '../../experiment/index.js';
import { UserError } from '../errors.js';
import { withConfigFiles } from '../experiment-args.js';
import { describeSweepEvent } from '../../sweeps/events.js';
import type { Callback } from '../../trainer/events.js';

interface WorkerArgs {
  redis?: string;
  concurrency?: number;
  lockDuration?: number;
  system?: string;
  logging?: string;
  backend?: string;
}

export const workerCommand = {
  command: 'worker',
  describe:
    "Run sweep trials from a Redis queue (gymnosd sweep start enqueues them); each trial is a run directory under its sweep's directory, which must be shared storage",
  builder: (y: Argv) =>
    withConfigFiles(
      y
        .option('redis', { type: 'string', describe: 'the Redis URL of the queue, e.g. redis://127.0.0.1:6379' })
        .option('concurrency', { type: 'number', default: 1, describe: 'trials at once in this worker' })
        .option('lock-duration', {
          type: 'number',
          default: 30000,
          describe:
            "ms a trial's job lock lasts without renewal: another worker takes over a dead worker's trial after about this long",
        })
        .option('backend', {
          type: 'string',
          hidden: true,
          describe: "session backend ('null' for orchestration tests)",
        }),
    ),
  handler: async (a: WorkerArgs): Promise<number> => {
    if (!a.redis) throw new UserError('gymnosd worker needs --redis <url> (the Redis that gymnosd sweep start used)');
    if (!Number.isInteger(a.concurrency) || a.concurrency! < 1)
      throw new UserError(`expected an integer >= 1 for --concurrency but got ${a.concurrency}`);
    const { runQueueWorker } = await import('../../sweeps/queue.js');
    const controller = new AbortController();
    const onSignal = () => {
      process.stderr.write('gymnosd worker: stopping\n');
      controller.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.stderr.write(`gymnosd worker ${process.pid}: taking trials from ${a.redis} (${a.concurrency} at once)\n`);
    try {
      await runQueueWorker(a.redis, {
        concurrency: a.concurrency!,
        lockDuration: a.lockDuration,
        system: loadSystem(a.system),
        backend: a.backend,
        signal: controller.signal,
        callbacks: testHold(),
        onEvent: (e) => {
          if (e.type !== 'trialEpoch') process.stderr.write(`${describeSweepEvent(e)}\n`);
        },
      });
      return 0;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};

/**
 * Test hook for the kill -9 test: with GYMNOS_SWEEP_TEST_HOLD=<dir>, the first trial of this process
 * that starts its second epoch (so a checkpoint exists) writes <dir>/held-<pid>.json and waits
 * forever, leaving a mid-trial worker for the test to kill.
 */
function testHold(): (() => Callback[]) | undefined {
  const dir = process.env.GYMNOS_SWEEP_TEST_HOLD;
  if (!dir) return undefined;
  let held = false;
  return () => {
    let runDir = '';
    return [
      {
        name: 'sweep_test_hold',
        onFitStart(e) {
          runDir = e.runDir;
        },
        async onEpochStart(e) {
          if (held || e.epoch < 2) return; // epochs count from 1: epoch 2 starts after the first checkpoint
          held = true;
          writeFileSync(
            join(dir, `held-${process.pid}.json`),
            JSON.stringify({ pid: process.pid, runDir, epoch: e.epoch, step: e.step }),
          );
          await new Promise(() => undefined);
        },
      },
    ];
  };
}
