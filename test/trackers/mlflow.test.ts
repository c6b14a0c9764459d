/**
 * The mlflow tracker against a stand-in server (./mlflow-server.ts) that checks every request
 * against MLflow's documented REST API. No live MLflow server was available to test against.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FakeMlflow } from './mlflow-server.js';
import { cfg, fit, only, scripted, tempDir } from '../callbacks/helpers.js';

const out = tempDir('gymnos-mlflow-');
const server = await new FakeMlflow().start();
test.after(() => server.stop());

const tracking = (o: Record<string, unknown> = {}) => ({
  tracking: {
    trackers: [{ type: 'metrics_jsonl' }, { type: 'metrics_csv' }, { type: 'mlflow', trackingUri: server.url, ...o }],
  },
});

test('a run logs its experiment, params, metrics, tags, model artifact and end status, every request per the API', async () => {
  const before = server.requests.length;
  const { result, events } = await fit(
    cfg(
      { epochs: 2 },
      {
        ...tracking({ experimentName: 'iris-exp', tags: { team: 'ml' } }),
        experiment: { name: 'callbacks', tags: ['nightly'] },
      },
    ),
    { ...scripted({ valLoss: (e) => 1 / (e + 2) }), output: out() },
  );
  assert.deepEqual(server.violations, []);
  const reqs = server.requests.slice(before);
  const paths = reqs.map((r) => r.path.replace(/\?.*/, '').replace(/run\d+/, 'RUN'));
  assert.deepEqual(paths.slice(0, 3), ['/api/2.0/mlflow/experiments/get-by-name', 'experiments/create', 'runs/create']);
  assert.equal(paths[paths.length - 1], 'runs/update');
  const create = reqs[2].body as {
    experiment_id: string;
    run_name: string;
    tags: Array<{ key: string; value: string }>;
  };
  assert.equal(create.experiment_id, server.experiments.get('iris-exp'));
  assert.equal(create.run_name, result.runDir.split('/').pop());
  assert.deepEqual(
    create.tags.filter((t) => ['team', 'tag.nightly', 'gymnos.run_dir'].includes(t.key)).map((t) => t.value),
    [result.runDir, 'true', 'ml'],
  );
  const batches = reqs
    .filter((r) => r.path === 'runs/log-batch')
    .map(
      (r) =>
        r.body as {
          params: Array<{ key: string; value: string }>;
          metrics: Array<{ key: string; value: number; step: number }>;
        },
    );
  const params = new Map(batches.flatMap((b) => b.params).map((p) => [p.key, p.value]));
  assert.deepEqual(
    [params.get('training.epochs'), params.get('training.optimizer.type'), params.get('dataset.type')],
    ['2', 'sgd', 'iris'],
  );
  const metrics = batches.flatMap((b) => b.metrics);
  const at = (key: string, step: number) => metrics.filter((m) => m.key === key && m.step === step).map((m) => m.value);
  for (const e of only(events, 'epochEnd')) {
    assert.deepEqual(at('loss', e.step), [e.train.loss]);
    assert.deepEqual(at('val_loss', e.step), [e.validation!.loss]);
    assert.deepEqual(at('lr', e.step), [e.lr]);
    assert.deepEqual(at('epoch', e.step), [e.step / 6]); // epochs count from 1: epoch e ends at step 6e
  }
  for (const b of only(events, 'batchEnd')) assert.deepEqual(at('batch_loss', b.step), [b.loss]);
  const t = only(events, 'testEnd')[0];
  assert.deepEqual(at('test_accuracy', t.step), [t.metrics.accuracy]);
  const tags = reqs.filter((r) => r.path === 'runs/set-tag').map((r) => r.body as { key: string; value: string });
  assert.deepEqual(
    tags.map((x) => [x.key, x.value]),
    [['gymnos.status', 'completed']],
  );
  const put = reqs.find((r) => r.method === 'PUT')!;
  assert.match(put.path, /^\/api\/2\.0\/mlflow-artifacts\/artifacts\/1\/run\d+\/artifacts\/model\/model\.onnx$/);
  assert.deepEqual(put.bytes, readFileSync(result.modelPath!));
  const update = reqs[reqs.length - 1].body as { run_id: string; status: string; end_time: number };
  assert.deepEqual([update.run_id, update.status], [put.path.split('/')[6], 'FINISHED']);
});

test('an existing experiment is reused; an abort ends KILLED; resume continues the same MLflow run', async () => {
  const before = server.requests.length;
  const controller = new AbortController();
  const c = cfg({ epochs: 3 }, tracking({ experimentName: 'iris-exp', logModel: false }));
  const a = await fit(c, {
    ...scripted({}),
    output: out(),
    signal: controller.signal,
    callbacks: [
      {
        name: 'abort',
        onBatchEnd: (e) => {
          if (e.step === 8) controller.abort();
        },
      },
    ],
  });
  const reqs = server.requests.slice(before);
  assert.ok(!reqs.some((r) => r.path === 'experiments/create'));
  const killed = reqs[reqs.length - 1].body as { status: string; run_id: string };
  assert.equal(killed.status, 'KILLED');
  const mid = server.requests.length;
  const b = await fit(c, { ...scripted({}), resume: a.result.runDir });
  const more = server.requests.slice(mid);
  assert.ok(!more.some((r) => r.path === 'runs/create'));
  assert.deepEqual(more[0].body, { run_id: killed.run_id, status: 'RUNNING' });
  const last = more[more.length - 1].body as { status: string; run_id: string };
  assert.deepEqual([last.run_id, last.status, b.result.status], [killed.run_id, 'FINISHED', 'completed']);
  const steps = more
    .filter((r) => r.path === 'runs/log-batch')
    .flatMap((r) => (r.body as { metrics: Array<{ key: string; step: number }> }).metrics)
    .filter((m) => m.key === 'batch_loss')
    .map((m) => m.step);
  assert.deepEqual(steps, [9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
  assert.deepEqual(server.violations, []);
});

test('an unreachable server fails the run before the first batch, naming the setting to fix', async () => {
  let batches = 0;
  await assert.rejects(
    fit(cfg({}, tracking({ trackingUri: 'http://127.0.0.1:1' })), {
      ...scripted({}),
      output: out(),
      callbacks: [
        {
          name: 'count',
          onBatchEnd: () => {
            batches++;
          },
        },
      ],
    }),
    /MLflow server http:\/\/127\.0\.0\.1:1 unreachable \(runs\/create\).*trackingUri/,
  );
  assert.equal(batches, 0);
});

test('a server failing mid-run turns the tracker off with a warning; training completes', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  try {
    const { result } = await fit(cfg({ epochs: 2 }, tracking()), {
      ...scripted({}),
      output: out(),
      callbacks: [
        {
          name: 'break',
          onFitStart: () => {
            server.failing.add('runs/log-batch');
          },
        },
      ],
    });
    assert.equal(result.status, 'completed');
  } finally {
    server.failing.clear();
  }
  await new Promise((r) => setImmediate(r));
  process.off('warning', onWarning);
  assert.equal(
    warnings.filter((w) =>
      /^tracker mlflow failed and is off for the rest of the run: MLflow runs\/log-batch failed: HTTP 500/.test(w),
    ).length,
    1,
    warnings.join('\n'),
  );
});
