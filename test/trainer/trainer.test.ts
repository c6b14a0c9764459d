/**
 * Trainer orchestration on the null backend (no ONNX Runtime; milliseconds): the event sequence,
 * the run directory, gradient accumulation, callback decisions, abort and resume, corrupt
 * checkpoints, and failures recorded in the run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseExperiment } from '../../src/experiment/index.js';
import { Trainer } from '../../src/trainer/trainer.js';
import { train } from '../../src/experiment/train.js';
import type { TrainerEvent } from '../../src/trainer/events.js';

const dir = mkdtempSync(join(tmpdir(), 'gymnos-trainer-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const out = () => join(dir, `run-${n++}`);

const cfg = (training: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  parseExperiment({
    experiment: { name: 'null-run' },
    dataset: { type: 'iris', split: { validation: 0.2, test: 0.2 } },
    model: { type: 'mlp', hidden: [8] },
    training: { epochs: 3, batchSize: 16, optimizer: { type: 'sgd', lr: 0.1 }, ...training },
    ...extra,
  });
// iris: 150 samples, 30 validation, 30 test -> 90 training samples -> 6 batches of 16

async function fit(config: ReturnType<typeof cfg>, opts: ConstructorParameters<typeof Trainer>[1] = {}) {
  const events: TrainerEvent[] = [];
  const trainer = new Trainer(config, {
    backend: 'null',
    output: opts.resume ? undefined : out(),
    ...opts,
    onEvent: (e) => events.push(e),
  });
  return { result: await trainer.fit(), events };
}

test('events come in order and the run directory is complete', async () => {
  const { result, events } = await fit(cfg({ checkpoint: { keepLast: 2, everySteps: 0 } }));
  assert.equal(result.status, 'completed');
  const kinds = events.map((e) => e.type).filter((t) => t !== 'batchEnd' && t !== 'checkpointSaved');
  // set-up phases first (data, graphs, sessions: a start and an end each), then the fit
  assert.deepEqual(
    events.filter((e) => e.type === 'setupPhase').map((e) => e.type === 'setupPhase' && `${e.phase}:${e.done}`),
    ['data:false', 'data:true', 'graphs:false', 'graphs:true', 'sessions:false', 'sessions:true'],
  );
  assert.deepEqual(kinds, [
    ...Array(6).fill('setupPhase'),
    'fitStart',
    ...Array(3).fill(['epochStart', 'validationEnd', 'epochEnd']).flat(),
    'testEnd',
    'stop',
    'fitEnd',
  ]);
  assert.equal(events.filter((e) => e.type === 'batchEnd').length, 18);
  const start = events.find((e) => e.type === 'fitStart') as Extract<TrainerEvent, { type: 'fitStart' }>;
  assert.deepEqual([start.stepsPerEpoch, start.totalSteps], [6, 18]);
  const files = readdirSync(result.runDir).sort();
  assert.deepEqual(files, [
    'checkpoints',
    'config.json',
    'dataset.json',
    'gymnos.log',
    'metrics.csv',
    'metrics.jsonl',
    'model.onnx',
    'platform.json',
    'preprocessors.json',
    'split.json',
    'state.json',
  ]);
  assert.deepEqual(readdirSync(join(result.runDir, 'checkpoints')), ['step-000000012.gck', 'step-000000018.gck']);
  const state = JSON.parse(readFileSync(join(result.runDir, 'state.json'), 'utf8'));
  assert.deepEqual(
    [state.status, state.epoch, state.step, state.checkpoint],
    ['completed', 3, 18, 'checkpoints/step-000000018.gck'],
  );
  const rows = readFileSync(join(result.runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    rows.map((r) => [r.kind, r.epoch, r.step]),
    [
      ['epoch', 1, 6],
      ['epoch', 2, 12],
      ['epoch', 3, 18],
      ['test', 3, 18],
    ],
  );
  const csv = readFileSync(join(result.runDir, 'metrics.csv'), 'utf8').trim().split('\n');
  assert.equal(csv.length, 5);
  assert.match(csv[0], /^kind,epoch,step,lr,train_loss,train_accuracy,validation_loss,validation_accuracy,seconds/);
  assert.deepEqual(
    JSON.parse(readFileSync(join(result.runDir, 'config.json'), 'utf8')),
    JSON.parse(JSON.stringify(cfg({ checkpoint: { keepLast: 2, everySteps: 0 } }))),
  );
  const log = readFileSync(join(result.runDir, 'gymnos.log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.ok(log.some((l) => l.event === 'epochEnd' && l.level === 30));
});

test('gradient accumulation and K steps per run change the step count, not the data seen', async () => {
  const acc = await fit(cfg({ epochs: 1, gradientAccumulation: 4 }));
  assert.equal(acc.result.step, 2); // 6 batches -> ceil(6 / 4) steps
  const sizes = acc.events.filter((e) => e.type === 'batchEnd').map((e) => (e as { batch: number }).batch);
  assert.deepEqual(sizes, [4, 6]);
  const k = await fit(cfg({ epochs: 2, stepsPerRun: 2, batchSize: 16 }));
  assert.equal(k.result.step, 8); // 5 full batches (drop last) -> 4 steps per epoch in runs of 2
});

test('callback decisions: lrFactor changes the rate, stop ends the run with its reason', async () => {
  const { result, events } = await fit(cfg({ epochs: 5, lrSchedule: { type: 'constant' } }), {
    callbacks: [
      {
        name: 'test-callback',
        onEvent: (e) => {
          if (e.type === 'epochEnd' && e.epoch === 1) return { lrFactor: 0.5 };
          if (e.type === 'epochEnd' && e.epoch === 2) return { stop: { reason: 'enough' } };
        },
      },
    ],
  });
  assert.deepEqual(
    [result.status, result.reason, result.message, result.epochs],
    ['stopped', 'callback', 'test-callback: enough', 2],
  );
  const lrs = events.filter((e) => e.type === 'batchEnd').map((e) => (e as { lr: number }).lr);
  assert.deepEqual([lrs[0], lrs[6]], [0.1, 0.05]);
  assert.ok(existsSync(result.modelPath!));
  assert.ok(result.test);
});

test('abort mid-epoch leaves a resumable run; resume continues at the cursor and finishes it', async () => {
  const controller = new AbortController();
  const a = await fit(cfg({ checkpoint: { everySteps: 4, keepLast: 3 } }), {
    signal: controller.signal,
    onEvent: () => undefined,
    callbacks: [
      {
        name: 'abort-at-8',
        onEvent: (e) => {
          if (e.type === 'batchEnd' && e.step === 8) controller.abort();
        },
      },
    ],
  });
  assert.deepEqual([a.result.status, a.result.step], ['aborted', 8]);
  const state = JSON.parse(readFileSync(join(a.result.runDir, 'state.json'), 'utf8'));
  assert.deepEqual([state.status, state.epoch, state.batch, state.step], ['aborted', 2, 2, 8]);
  assert.ok(!existsSync(join(a.result.runDir, 'model.onnx')));
  const b = await fit(cfg(), { resume: a.result.runDir });
  const start = b.events.find((e) => e.type === 'fitStart') as Extract<TrainerEvent, { type: 'fitStart' }>;
  assert.deepEqual({ ...start.resumed, checkpoint: undefined }, { epoch: 2, batch: 2, step: 8, checkpoint: undefined });
  assert.equal(b.events.filter((e) => e.type === 'batchEnd').length, 10);
  assert.deepEqual([b.result.status, b.result.step], ['completed', 18]);
  const rows = readFileSync(join(a.result.runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    rows.map((r) => r.step),
    [6, 12, 18, 18],
  );
});

test('a corrupt newest checkpoint is detected and the previous one is used', async () => {
  const controller = new AbortController();
  const a = await fit(cfg({ checkpoint: { everySteps: 2, keepLast: 3 } }), {
    signal: controller.signal,
    callbacks: [
      {
        name: 'abort',
        onEvent: (e) => {
          if (e.type === 'batchEnd' && e.step === 9) controller.abort();
        },
      },
    ],
  });
  const cks = readdirSync(join(a.result.runDir, 'checkpoints')).sort();
  assert.deepEqual(cks, ['step-000000006.gck', 'step-000000008.gck', 'step-000000009.gck']);
  const newest = join(a.result.runDir, 'checkpoints', cks[2]);
  const bytes = readFileSync(newest);
  writeFileSync(newest, bytes.subarray(0, bytes.length - 100)); // half-written
  const b = await fit(cfg(), { resume: a.result.runDir });
  const start = b.events.find((e) => e.type === 'fitStart') as Extract<TrainerEvent, { type: 'fitStart' }>;
  assert.equal(start.resumed?.step, 8);
  assert.match(start.resumed!.checkpoint, /step-000000008\.gck$/);
  const log = readFileSync(join(a.result.runDir, 'gymnos.log'), 'utf8');
  assert.match(log, /step-000000009\.gck.*(truncated|CRC)/);
  assert.equal(b.result.step, 18);
});

test('a failure before the first batch marks the run failed, with the reason, and rejects', async () => {
  const bad = cfg({}, { model: { type: 'cnn', channels: [4] } });
  const o = out();
  await assert.rejects(new Trainer(bad, { backend: 'null', output: o }).fit(), /\[channels, height, width\].*\[4\]/);
  const state = JSON.parse(readFileSync(join(o, 'state.json'), 'utf8'));
  assert.equal(state.status, 'failed');
  assert.match(state.error, /\[channels, height, width\]/);
});

test('train(): the handle iterates every event and resolves the result; a session profile applies', async () => {
  const h = train(
    { ...JSON.parse(JSON.stringify(cfg({ epochs: 1 }))), session: { profile: 'tiny' } },
    {
      backend: 'null',
      output: out(),
      system: {
        ...(await import('../../src/experiment/index.js')).parseSystem(
          { sessionProfiles: { tiny: { intraOpThreads: 1 } } },
          's',
          dir,
        ),
      },
    },
  );
  const types: string[] = [];
  for await (const e of h) types.push(e.type);
  assert.deepEqual([types[0], types.find((t) => t !== 'setupPhase')], ['setupPhase', 'fitStart']);
  assert.equal(types[types.length - 1], 'fitEnd');
  assert.equal((await h.result).status, 'completed');
  assert.throws(() => train({ dataset: { type: 'iris' } }), /missing model/);
  const noProfile = train(
    { ...JSON.parse(JSON.stringify(cfg({ epochs: 1 }))), session: { profile: 'fast' } },
    { backend: 'null', output: out() },
  );
  await assert.rejects(
    noProfile.result,
    /expected one of \(no profiles: add sessionProfiles to system\.json\) for session\.profile but got 'fast'/,
  );
});
