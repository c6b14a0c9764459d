/**
 * `gymnosd sweep run|start|status|stop|report|manifests`: hyperparameter sweeps. `run` runs the
 * trials in this process; `start` enqueues them on Redis for `gymnosd worker` processes; `status`,
 * `stop` and `report` take a sweep id (with --redis) or, for report, a sweep directory; `manifests`
 * writes Kubernetes YAML for Redis and the workers. The library does the work (src/sweeps).
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { loadSystem } from '../../experiment/index.js';
import { UserError } from '../errors.js';
import { withConfigFiles } from '../experiment-args.js';
import { sweep, writeSweepReport } from '../../sweeps/api.js';
import { loadSweepFile } from '../../sweeps/sweep-file.js';
import { createSweepDir, trialJobs } from '../../sweeps/sweep-dir.js';
import { describeSweepEvent } from '../../sweeps/events.js';
import { writeManifests } from '../../sweeps/manifests.js';

interface SweepArgs {
  action: string;
  target?: string;
  workers?: number;
  redis?: string;
  output?: string;
  out?: string;
  image?: string;
  replicas?: number;
  concurrency?: number;
  cuda?: boolean;
  cpu?: string;
  memory?: string;
  gpus?: number;
  runsPath?: string;
  redisImage?: string;
  redisUrl?: string;
  system?: string;
  logging?: string;
  backend?: string;
}

const ACTIONS = ['run', 'start', 'status', 'stop', 'report', 'manifests'] as const;

export const sweepCommand = {
  command: 'sweep <action> [target]',
  describe:
    'Hyperparameter sweeps: run <sweep.json> (in-process, --workers N) | start <sweep.json> --redis URL (enqueue for gymnosd worker) | status|stop <id> --redis URL | report <id|dir> | manifests <sweep.json> (Kubernetes YAML)',
  builder: (y: Argv) =>
    withConfigFiles(
      y
        .positional('action', { choices: ACTIONS, describe: 'what to do' })
        .positional('target', {
          type: 'string',
          describe:
            'the sweep file (run, start, manifests), a sweep id (status, stop, report with --redis) or a sweep directory (report)',
        })
        .option('workers', {
          type: 'number',
          describe: "run: trials at once in this process (default: the file's workers)",
        })
        .option('redis', { type: 'string', describe: 'the Redis URL of the queue, e.g. redis://127.0.0.1:6379' })
        .option('output', {
          type: 'string',
          describe: "run/start: directory holding sweeps (default: the file's output, else <runsDir>/sweeps)",
        })
        .option('out', {
          type: 'string',
          describe:
            'report: the HTML file (default <sweep dir>/report.html); manifests: the folder for the YAML files (default ./k8s)',
        })
        .option('image', {
          type: 'string',
          describe: 'manifests: the Gymnos container image (default gymnos:cpu, or gymnos:cuda with --cuda)',
        })
        .option('replicas', { type: 'number', describe: 'manifests: worker pods (default 2)' })
        .option('concurrency', { type: 'number', describe: 'manifests: trials at once per worker pod (default 1)' })
        .option('cuda', {
          type: 'boolean',
          describe: 'manifests: the CUDA image variant; each worker requests nvidia.com/gpu',
        })
        .option('cpu', { type: 'string', describe: 'manifests: CPU request and limit per worker (default "1")' })
        .option('memory', {
          type: 'string',
          describe: 'manifests: memory request and limit per worker (default "2Gi")',
        })
        .option('gpus', { type: 'number', describe: 'manifests: GPUs per worker with --cuda (default 1)' })
        .option('redis-image', {
          type: 'string',
          describe: 'manifests: the Redis image (default redis:7; any image with redis-server and redis-cli)',
        })
        .option('redis-url', {
          type: 'string',
          describe:
            'manifests: the Redis the workers and the start job use (default redis://gymnos-redis:6379, the Service written here)',
        })
        .option('runs-path', {
          type: 'string',
          describe: 'manifests: where the shared runs volume is mounted in the pods (default /runs)',
        })
        .option('backend', {
          type: 'string',
          hidden: true,
          describe: "session backend ('null' for orchestration tests)",
        }),
    ),
  handler: async (a: SweepArgs): Promise<number> => {
    switch (a.action as (typeof ACTIONS)[number]) {
      case 'run':
        return run(a);
      case 'start':
        return start(a);
      case 'status':
        return status(a);
      case 'stop':
        return stop(a);
      case 'report':
        return report(a);
      case 'manifests':
        return manifests(a);
    }
  },
};

const need = (a: SweepArgs, what: string): string => {
  if (!a.target) throw new UserError(`gymnosd sweep ${a.action} needs ${what}`);
  return a.target;
};
const needRedis = (a: SweepArgs): string => {
  if (!a.redis)
    throw new UserError(`gymnosd sweep ${a.action} needs --redis <url> (the Redis the sweep was started on)`);
  return a.redis;
};

async function run(a: SweepArgs): Promise<number> {
  const s = loadSweepFile(need(a, 'the sweep file: gymnosd sweep run <sweep.json>'));
  if (a.workers !== undefined && (!Number.isInteger(a.workers) || a.workers < 1))
    throw new UserError(`expected an integer >= 1 for --workers but got ${a.workers}`);
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\ngymnosd: stopping the sweep after the current steps (Ctrl-C again to quit now)\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const h = sweep(s, {
      workers: a.workers,
      output: a.output,
      system: loadSystem(a.system),
      signal: controller.signal,
      backend: a.backend,
      onEvent: (e) => {
        if (e.type !== 'trialEpoch') process.stderr.write(`${describeSweepEvent(e)}\n`);
      },
    });
    const r = await h.result;
    if (r.best)
      process.stdout.write(
        `best trial ${r.best.id}: ${s.file.metric} ${r.best.value} ${JSON.stringify(r.best.params)} ${r.best.runDir}\n`,
      );
    else process.stdout.write('no trial finished with a value\n');
    process.stdout.write(`${r.reportPath}\n`);
    return controller.signal.aborted ? 130 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function start(a: SweepArgs): Promise<number> {
  const url = needRedis(a);
  const s = loadSweepFile(need(a, 'the sweep file: gymnosd sweep start <sweep.json> --redis <url>'));
  const { enqueueSweep } = await import('../../sweeps/queue.js');
  const { id, dir, manifest } = createSweepDir(s, loadSystem(a.system).runsDir, a.output);
  await enqueueSweep(url, manifest, dir, trialJobs(s, id, dir, manifest));
  process.stderr.write(
    `sweep ${id}: ${s.trials.length} trial(s) enqueued in ${dir}; run them with: gymnosd worker --redis ${url}\n`,
  );
  process.stdout.write(`${id}\n`);
  return 0;
}

async function status(a: SweepArgs): Promise<number> {
  const { sweepStatus } = await import('../../sweeps/queue.js');
  const s = await sweepStatus(needRedis(a), need(a, 'the sweep id that gymnosd sweep start printed'));
  const keys = Object.keys(s.manifest.space);
  process.stdout.write(`sweep ${s.manifest.id} (${s.manifest.name}): ${s.status}, ${s.dir}\n`);
  process.stdout.write(`${['trial', 'state', 'attempts', s.manifest.metric, 'status', ...keys].join('\t')}\n`);
  for (const t of s.trials) {
    const params = s.manifest.trials.find((x) => x.id === t.id)!.params;
    process.stdout.write(
      `${[t.id, t.state, t.attempts, t.outcome?.value ?? '', t.outcome?.status ?? (t.error ? `failed: ${t.error}` : ''), ...keys.map((k) => JSON.stringify(params[k]))].join('\t')}\n`,
    );
  }
  return 0;
}

async function stop(a: SweepArgs): Promise<number> {
  const { stopSweep } = await import('../../sweeps/queue.js');
  const id = need(a, 'the sweep id that gymnosd sweep start printed');
  const r = await stopSweep(needRedis(a), id);
  process.stderr.write(
    `sweep ${id} stopped: ${r.removed} waiting trial(s) removed; running trials stop after their current step\n`,
  );
  return 0;
}

async function report(a: SweepArgs): Promise<number> {
  const target = need(a, 'a sweep directory, or a sweep id with --redis');
  let dir = resolve(target);
  if (!(existsSync(dir) && statSync(dir).isDirectory())) {
    if (!a.redis)
      throw new UserError(`${target} is not a directory; pass the sweep directory, or the sweep id with --redis <url>`);
    const { connect, sweepRecord } = await import('../../sweeps/queue.js');
    const redis = await connect(a.redis);
    try {
      dir = (await sweepRecord(redis, target)).dir;
    } finally {
      redis.disconnect();
    }
  }
  process.stdout.write(`${writeSweepReport(dir, a.out ? resolve(a.out) : undefined)}\n`);
  return 0;
}

async function manifests(a: SweepArgs): Promise<number> {
  const file = need(a, 'the sweep file: gymnosd sweep manifests <sweep.json>');
  loadSweepFile(file); // fails here on a bad sweep, not in the cluster
  const files = writeManifests(resolve(a.out ?? 'k8s'), {
    sweepFile: file,
    image: a.image,
    replicas: a.replicas,
    concurrency: a.concurrency,
    cuda: a.cuda,
    cpu: a.cpu,
    memory: a.memory,
    gpus: a.gpus,
    runsPath: a.runsPath,
    redisImage: a.redisImage,
    redisUrl: a.redisUrl,
  });
  for (const f of files) process.stdout.write(`${f}\n`);
  return 0;
}
