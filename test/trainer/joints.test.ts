/**
 * The Trainer's joints on the null backend: events handed on in order and awaited (a slow async
 * callback finishes before the next event; a throwing one fails the run), one checkpoint per step
 * (the epoch's last step is not checkpointed twice), the run's own metrics record written without
 * trackers (so `gymnosd report` works), the versioned TrainerState, the learning-rate function, and
 * callbacks handed in through a CallbackSource.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { runCli } from '../../src/cli/main.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/trainer/checkpoint.js';
import { RunDir } from '../../src/trainer/run-dir.js';
import { readTrainerState, TRAINER_STATE_VERSION } from '../../src/trainer/trainer-state.js';
import { LearningRate } from '../../src/trainer/learning-rate.js';
import { createSchedule } from '../../src/schedules/index.js';
import type { CallbackSource, TrainerEvent } from '../../src/trainer/events.js';
import { Trainer } from '../../src/trainer/trainer.js';
import { checkLrSources } from '../../src/trainer/setup.js';
import { cfg, fit as fitOn, tempDir } from '../callbacks/helpers.js';

const fit: typeof fitOn = (c, o) => fitOn(c, { backend: 'null', ...o });

const out = tempDir('gymnos-joints-');

/** The events of a run whose callback takes several event-loop turns over every checkpointSaved. */
test('events are awaited in order: a slow async callback finishes before the next event, all before fitEnd', async () => {
  const log: string[] = [];
  const { result } = await fit(cfg({ epochs: 2, checkpoint: { everySteps: 4, keepLast: 2 } }), {
    output: out(),
    callbacks: [
      {
        name: 'slow',
        async onEvent(e: TrainerEvent) {
          if (e.type !== 'checkpointSaved') {
            log.push(e.type);
            return;
          }
          log.push(`saving ${e.reason} ${e.position.step}`);
          for (let i = 0; i < 5; i++) await tick(); // macrotasks: without the Trainer's await, later events overtake
          log.push(`saved ${e.reason} ${e.position.step}`);
        },
      },
    ],
  });
  assert.equal(result.status, 'completed');
  const saves = log.filter((l) => l.startsWith('sav'));
  assert.deepEqual(saves, [
    'saving interval 4',
    'saved interval 4',
    'saving epoch 6',
    'saved epoch 6',
    'saving interval 8',
    'saved interval 8',
    'saving epoch 12',
    'saved epoch 12',
  ]);
  for (let i = 0; i < log.length; i++)
    if (log[i].startsWith('saving'))
      assert.equal(
        log[i + 1],
        log[i].replace('saving', 'saved'),
        `event ${log[i + 1]} arrived while '${log[i]}' was still running`,
      );
  assert.equal(log.at(-1), 'fitEnd');
  // each checkpointSaved comes right after the batch that led to it, in the loop's order
  assert.equal(log[log.indexOf('saving epoch 6') - 1], 'epochEnd');
  assert.equal(log[log.indexOf('saving interval 4') - 1], 'batchEnd');
});

test('a throwing async checkpointSaved callback fails the run with its error (no unhandled rejection)', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    const dir = out();
    await assert.rejects(
      fit(cfg({ epochs: 2 }), {
        output: dir,
        callbacks: [
          {
            name: 'bad',
            async onCheckpointSaved() {
              await tick();
              throw new Error('upload failed');
            },
          },
        ],
      }),
      /upload failed/,
    );
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
    assert.deepEqual([state.status, state.error], ['failed', 'upload failed']);
    await tick();
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  assert.deepEqual(unhandled, []);
});

test("the epoch's last step is checkpointed once when checkpoint.everySteps divides it", async () => {
  for (const [every, want] of [
    [3, ['interval 3', 'epoch 6', 'interval 9', 'epoch 12']],
    [4, ['interval 4', 'epoch 6', 'interval 8', 'epoch 12']],
    [6, ['epoch 6', 'epoch 12']],
  ] as const) {
    const { events, result } = await fit(cfg({ epochs: 2, checkpoint: { everySteps: every, keepLast: 10 } }), {
      output: out(),
    });
    const saved = events
      .filter((e): e is Extract<TrainerEvent, { type: 'checkpointSaved' }> => e.type === 'checkpointSaved')
      .map((e) => `${e.reason} ${e.position.step}`);
    assert.deepEqual(saved, want, `everySteps ${every}`);
    assert.equal(readdirSync(join(result.runDir, 'checkpoints')).length, want.length);
  }
});

test('a run with no trackers still writes metrics.jsonl and metrics.csv, and gymnosd report renders it', async () => {
  const { result } = await fit(cfg({ epochs: 3 }, { tracking: { trackers: [] } }), { output: out() });
  const rows = readFileSync(join(result.runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    rows.map((r) => [r.kind, r.step]),
    [
      ['epoch', 6],
      ['epoch', 12],
      ['epoch', 18],
      ['test', 18],
    ],
  );
  const csv = readFileSync(join(result.runDir, 'metrics.csv'), 'utf8').trim().split('\n');
  assert.equal(csv.length, 5);
  assert.equal(await runCli(['report', result.runDir]), 0);
  const html = readFileSync(join(result.runDir, 'report.html'), 'utf8');
  const losses = [
    ...(/data-series="train loss">([\s\S]*?)<\/g>/.exec(html)?.[1] ?? '').matchAll(/data-value="([^"]+)"/g),
  ].map((m) => Number(m[1]));
  assert.deepEqual(
    losses,
    rows.filter((r) => r.kind === 'epoch').map((r) => r.train.loss),
  );
});

test('TrainerState: written with its version; version 1 is upgraded; an unknown version is refused by resume', async () => {
  const controller = new AbortController();
  const a = await fit(cfg({ epochs: 2 }), {
    output: out(),
    signal: controller.signal,
    callbacks: [
      { name: 'halve', onEpochEnd: () => ({ lrFactor: 0.5 }) },
      {
        name: 'abort',
        onEvent: (e) => {
          if (e.type === 'batchEnd' && e.step === 8) controller.abort();
        },
      },
    ],
  });
  assert.equal(a.result.status, 'aborted');
  const path = new RunDir(a.result.runDir).checkpoints()[0];
  const ck = loadCheckpoint(path);
  const t = readTrainerState(ck.meta, path);
  assert.deepEqual([t.version, t.epoch, t.batch, t.lrFactors], [TRAINER_STATE_VERSION, 1, 2, { halve: 0.5 }]);
  assert.equal((ck.meta.trainer as { version: number }).version, TRAINER_STATE_VERSION);
  // version 1 (no version field; lrScale and lrScales) reads as the current one
  const v1 = readTrainerState(
    { trainer: { epoch: 3, batch: 0, lrScale: 0.25, lrScales: { a: 0.5, b: 0.5 } } },
    'old.gck',
  );
  assert.deepEqual([v1.version, v1.epoch, v1.lrFactors], [TRAINER_STATE_VERSION, 3, { a: 0.5, b: 0.5 }]);
  assert.throws(() => readTrainerState({}, 'x.gck'), /x\.gck: the checkpoint holds no trainer state/);
  assert.throws(
    () => readTrainerState({ trainer: { version: 2, epoch: -1, batch: 0, lrFactors: {} } }, 'x.gck'),
    /no valid position/,
  );
  // a checkpoint from a newer Gymnos: resume fails, naming the file and the versions
  saveCheckpoint(path, {
    tensors: ck.tensors,
    meta: { ...ck.meta, trainer: { ...(ck.meta.trainer as object), version: 99 } },
  });
  await assert.rejects(
    fit(cfg({ epochs: 2 }), { resume: a.result.runDir }),
    (e: Error & { code?: string; hint?: string }) => {
      assert.match(
        e.message,
        /step-000000008\.gck: the checkpoint's trainer state has version 99, but this Gymnos reads versions 1 to 2/,
      );
      assert.equal(e.code, 'ERR_CHECKPOINT');
      assert.match(e.hint ?? '', /newer Gymnos/);
      return true;
    },
  );
});

test("LearningRate: the schedule at the step times the product of the callbacks' factors", () => {
  const schedule = createSchedule({ type: 'step', stepSize: 1, gamma: 0.5, unit: 'epoch' }, 0.1);
  const lr = new LearningRate(schedule, { stepsPerEpoch: 10, totalSteps: 100 });
  assert.equal(lr.at(25), 0.1 * 0.5 ** 2);
  assert.equal(lr.setFactor('plateau', 0.5), true);
  assert.equal(lr.setFactor('plateau', 0.5), false);
  assert.equal(lr.setFactor('warm', 0.2), true);
  assert.equal(lr.at(25), 0.1 * 0.5 ** 2 * (0.5 * 0.2));
  const again = new LearningRate(schedule, { stepsPerEpoch: 10, totalSteps: 100 });
  again.load(lr.state());
  assert.equal(again.at(7), lr.at(7));
  assert.deepEqual(again.state(), { plateau: 0.5, warm: 0.2 });
});

test('the Trainer gets its callbacks through a CallbackSource: without one, configured callbacks are refused, not dropped', async () => {
  const withCallbacks = cfg({ epochs: 1, callbacks: [{ type: 'early_stopping', monitor: 'val_loss' }] });
  await assert.rejects(
    new Trainer(withCallbacks, { backend: 'null', output: out() }).fit(),
    /the config names training\.callbacks 'early_stopping' but this Trainer was created without a callbackSource; use train\(\) from 'gymnos', or pass callbackSource: CallbackProvider/,
  );
  const seen: string[] = [];
  const source: CallbackSource = {
    async create(config, user) {
      seen.push(config.training.callbacks.map((c) => c.type).join());
      return [
        ...user,
        {
          name: 'from-source',
          onFitEnd: () => {
            seen.push('fitEnd');
          },
        },
      ];
    },
  };
  const r = await new Trainer(withCallbacks, { backend: 'null', output: out(), callbackSource: source }).fit();
  assert.equal(r.status, 'completed');
  assert.deepEqual(seen, ['early_stopping', 'fitEnd']);
});

test('a varying lrSchedule with an lr_scheduler callback is warned about: the rate is their product', async () => {
  const both = cfg({
    epochs: 1,
    lrSchedule: { type: 'step', stepSize: 1 },
    callbacks: [{ type: 'lr_scheduler', schedule: { type: 'exponential', gamma: 0.9 } }],
  });
  assert.deepEqual(checkLrSources(both.training).length, 1);
  assert.match(
    checkLrSources(both.training)[0],
    /training\.lrSchedule is 'step' and an lr_scheduler callback also sets the learning rate: each step's rate is their product/,
  );
  assert.deepEqual(
    checkLrSources(
      cfg({ callbacks: [{ type: 'lr_scheduler', schedule: { type: 'exponential', gamma: 0.9 } }] }).training,
    ),
    [],
  );
  assert.deepEqual(checkLrSources(cfg({ lrSchedule: { type: 'step', stepSize: 1 } }).training), []);
  const { result } = await fit(both, { output: out() });
  assert.match(
    readFileSync(join(result.runDir, 'gymnos.log'), 'utf8'),
    /"level":40.*each step's rate is their product/,
  );
});
