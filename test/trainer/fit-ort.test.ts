/**
 * Real ONNX Runtime runs (worker thread, one intra-op thread) on the digits: a seeded run is
 * bit-identical to itself and to one aborted mid-epoch and resumed; model.onnx in a plain
 * InferenceSession matches the eval graph; a loopback HTTP server answers every request while
 * training runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { parseExperiment } from '../../src/experiment/index.js';
import { Trainer } from '../../src/trainer/trainer.js';
import { train } from '../../src/experiment/train.js';
import { loadCheckpoint } from '../../src/trainer/checkpoint.js';
import { RunDir } from '../../src/trainer/run-dir.js';
import { configData } from '../../src/trainer/rebuild.js';
import { runConfig } from '../../src/experiment/index.js';
import { buildTrainingArtifacts } from '../../src/autodiff/artifacts.js';
import { buildCnn } from '../../src/models/zoo/small.js';
import { StepRunner } from '../../src/trainer/step-runner.js';
import { SessionManager } from '../../src/sessions/session-manager.js';
import { FeedAdapter } from '../../src/datasets/feed.js';

const dir = mkdtempSync(join(tmpdir(), 'gymnos-fit-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const config = parseExperiment({
  experiment: { name: 'ort-run' },
  dataset: { type: 'digits' },
  model: { type: 'cnn', channels: [4], batchNorm: true, dropout: 0.2, hidden: 16 },
  training: {
    epochs: 2,
    batchSize: 64,
    seed: 7,
    optimizer: { type: 'adam', lr: 0.01 },
    lrSchedule: { type: 'cosine', warmupSteps: 3 },
    checkpoint: { everySteps: 5, keepLast: 2 },
  },
  session: { device: 'cpu', intraOpThreads: 1 },
});

const finalTensors = (runDir: string) => loadCheckpoint(new RunDir(runDir).checkpoints()[0]).tensors;

test('same seed, aborted mid-epoch and resumed: final weights equal an uninterrupted run bit for bit; model.onnx matches the eval graph', async () => {
  const a = await new Trainer(config, { output: join(dir, 'a') }).fit();
  assert.equal(a.status, 'completed');
  assert.ok((a.test!.accuracy as number) > 0.25, `test accuracy ${a.test!.accuracy}`);

  const controller = new AbortController();
  const b1 = await new Trainer(config, {
    output: join(dir, 'b'),
    signal: controller.signal,
    callbacks: [
      {
        name: 'abort',
        onEvent: (e) => {
          if (e.type === 'batchEnd' && e.step === 27) controller.abort();
        },
      },
    ],
  }).fit();
  assert.deepEqual([b1.status, b1.step], ['aborted', 27]);
  const b = await new Trainer(config, { resume: b1.runDir }).fit();
  assert.equal(b.status, 'completed');
  assert.equal(b.step, a.step);
  const ta = finalTensors(a.runDir);
  const tb = finalTensors(b.runDir);
  assert.deepEqual([...tb.keys()], [...ta.keys()]);
  for (const [k, v] of ta)
    assert.deepEqual(
      Buffer.from((tb.get(k)!.data as Float32Array).buffer),
      Buffer.from((v.data as Float32Array).buffer),
      `tensor ${k} differs`,
    );
  assert.deepEqual(b.test, a.test);

  // model.onnx in a fresh InferenceSession gives the eval graph's predictions
  const cfg = runConfig(a.runDir);
  const data = await configData(cfg);
  const art = buildTrainingArtifacts(
    buildCnn({ input: [1, 8, 8], channels: [4], classes: 10, batchNorm: true, dropout: 0.2, hidden: 16, seed: 7 }),
    { loss: cfg.training.loss, optimizer: cfg.training.optimizer },
  );
  const sessions = new SessionManager({ device: 'cpu', intraOpThreads: 1 });
  const runner = new StepRunner(art, (name, bytes) => sessions.createSession(name, bytes));
  runner.restore(loadCheckpoint(new RunDir(a.runDir).checkpoints()[0]));
  const feed = new FeedAdapter(art.dataInputs[0], art.label);
  const batch = feed.batch([[...(data.test!.batches(0, 0) as Iterable<never>)][0]]);
  const ev = await runner.evaluate(batch);
  await runner.close();
  await sessions.close();
  const plain = await ort.InferenceSession.create(readFileSync(join(a.runDir, 'model.onnx')), { intraOpNumThreads: 1 });
  const x = batch.inputs.input;
  const got = (await plain.run({ input: new ort.Tensor('float32', x.data as Float32Array, x.dims) }))[
    plain.outputNames[0]
  ].data as Float32Array;
  await plain.release();
  const want = ev.prediction.data as Float32Array;
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++)
    assert.ok(
      Math.abs(got[i] - want[i]) <= 1e-5 * Math.max(1, Math.abs(want[i])),
      `output ${i}: ${got[i]} vs ${want[i]}`,
    );
});

test('a loopback HTTP server answers every request while train() runs', async () => {
  const server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const h = train(
    JSON.parse(
      JSON.stringify({
        ...config,
        training: { ...config.training, epochs: 2, checkpoint: { everySteps: 0, keepLast: 1 } },
      }),
    ),
    { output: join(dir, 'http') },
  );
  let done = false;
  void h.result.finally(() => {
    done = true;
  });
  let sent = 0;
  let answered = 0;
  let batches = 0;
  const counter = (async () => {
    for await (const e of h) if (e.type === 'batchEnd') batches++;
  })();
  while (!done) {
    sent++;
    const body = await new Promise<string>((resolve, reject) =>
      get({ host: '127.0.0.1', port, path: '/' }, (res) => {
        let s = '';
        res.on('data', (c) => {
          s += c;
        });
        res.on('end', () => resolve(s));
      }).on('error', reject),
    );
    if (body === 'ok') answered++;
  }
  await counter;
  server.close();
  assert.equal((await h.result).status, 'completed');
  assert.equal(answered, sent);
  assert.ok(sent > 1 && batches > 0, `sent ${sent} requests during ${batches} steps`);
});
