/**
 * In-process sweeps: `gymnosd sweep run examples/sweep-quickstart.json` end to end (best trial
 * printed, report written), the library's `sweep()` events and result (best trial checked against
 * the run directories' own metrics), aborting a sweep through its signal, and the report rendered
 * by headless Chromium (its parsed DOM holds every trial's value).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sweep } from '../../src/index.js';
import type { SweepEvent } from '../../src/sweeps/events.js';
import { gymnosdRun, ROOT } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'gymnos-sweep-local-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));
const lastVal = (runDir: string, k: string) =>
  readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((r) => r.kind === 'epoch')
    .pop().validation[k] as number;

const irisSweep = (extra: Record<string, unknown> = {}) => ({
  name: 'iris',
  experiment: {
    dataset: { type: 'iris', split: { validation: 0.2 } },
    model: { type: 'mlp', hidden: [8] },
    training: { epochs: 3, batchSize: 16, optimizer: { type: 'sgd', lr: 0.1 } },
    session: { intraOpThreads: 1 },
  },
  space: {
    'training.optimizer.lr': { type: 'loguniform', low: 0.01, high: 0.5 },
    'model.hidden': { type: 'choice', values: [[4], [8], [16]] },
  },
  strategy: { type: 'halton' },
  trials: 4,
  metric: 'val_loss',
  ...extra,
});

test(
  'gymnosd sweep run examples/sweep-quickstart.json prints the best trial and writes the report',
  { timeout: 300_000 },
  async () => {
    const r = await gymnosdRun([
      'sweep',
      'run',
      join(ROOT, 'examples/sweep-quickstart.json'),
      '--output',
      join(tmp, 'cli'),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const [bestLine, report] = r.stdout.trim().split('\n');
    const m = /^best trial (t\d{3}): val_accuracy (\S+) .* (\S+)$/.exec(bestLine);
    assert.ok(m, bestLine);
    assert.equal(Number(m[2]), lastVal(m[3], 'accuracy'));
    assert.match(readFileSync(report, 'utf8'), new RegExp(`data-trial="${m[1]}"`));
    assert.equal((r.stderr.match(/trial t\d{3} completed/g) ?? []).length, 3);
  },
);

test(
  'sweep(): typed events in order, the best trial by the metric, a report Chromium renders',
  { timeout: 300_000 },
  async (t) => {
    const h = sweep(irisSweep(), { output: join(tmp, 'lib'), workers: 2 });
    const events: SweepEvent[] = [];
    for await (const e of h) events.push(e);
    const r = await h.result;
    assert.equal(events[0].type, 'sweepStart');
    assert.equal(events[events.length - 1].type, 'sweepEnd');
    assert.equal(events.filter((e) => e.type === 'trialStart').length, 4);
    assert.equal(events.filter((e) => e.type === 'trialEpoch').length, 12);
    assert.deepEqual(
      r.outcomes.map((o) => o.status),
      ['completed', 'completed', 'completed', 'completed'],
    );
    const losses = r.outcomes.map((o) => lastVal(o.runDir, 'loss'));
    assert.deepEqual(
      r.outcomes.map((o) => o.value),
      losses,
    );
    assert.equal(r.best!.value, Math.min(...losses));
    const html = readFileSync(r.reportPath, 'utf8');
    assert.doesNotMatch(html, /\s(src|href)=|<script|@import|url\(/i);

    const bin = ['chromium', 'chromium-browser']
      .map((n) => spawnSync('sh', ['-c', `command -v ${n}`], { encoding: 'utf8' }).stdout.trim())
      .find(Boolean);
    if (!bin) {
      if (process.env.GYMNOS_SKIP_CHROMIUM === '1') {
        t.skip('chromium not installed and GYMNOS_SKIP_CHROMIUM=1');
        return;
      }
      assert.fail(
        'chromium is not installed: run `apt-get install -y chromium` (Debian; .ci/run does this), or set GYMNOS_SKIP_CHROMIUM=1 to skip this check',
      );
    }
    const profile = mkdtempSync(join(tmpdir(), 'gymnos-chromium-'));
    t.after(() => rmSync(profile, { recursive: true, force: true }));
    const dom = spawnSync(
      bin,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${profile}`,
        '--dump-dom',
        `file://${r.reportPath}`,
      ],
      { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 },
    );
    assert.equal(dom.status, 0, dom.stderr);
    const rows = [...dom.stdout.matchAll(/<tr data-trial="(t\d{3})"[^>]*>[\s\S]*?<td data-value="([^"]*)"/g)].map(
      (m) => [m[1], Number(m[2])],
    );
    assert.deepEqual(
      rows,
      r.outcomes.map((o) => [o.id, o.value]),
    );
    assert.match(dom.stdout, new RegExp(`<tr data-trial="${r.best!.id}" class="best">`));
    const scatter = (id: string) =>
      [
        ...(new RegExp(`<figure class="chart" id="${id}">([\\s\\S]*?)</figure>`).exec(dom.stdout)?.[1] ?? '').matchAll(
          /data-trial="(t\d{3})" data-x="([^"]+)" data-value="([^"]+)"/g,
        ),
      ].map((m) => [m[1], Number(m[2]), Number(m[3])]);
    assert.deepEqual(
      scatter('param-training.optimizer.lr'),
      r.outcomes.map((o) => [o.id, o.params['training.optimizer.lr'], o.value]),
    );
    assert.deepEqual(
      scatter('param-model.hidden').map((p) => p[1]),
      r.outcomes.map((o) => [[4], [8], [16]].findIndex((v) => v[0] === (o.params['model.hidden'] as number[])[0])),
    );
    const curves = [
      ...(/<figure class="chart" id="chart-top">([\s\S]*?)<\/figure>/.exec(dom.stdout)?.[1] ?? '').matchAll(
        /data-series="(t\d{3})"/g,
      ),
    ].map((m) => m[1]);
    assert.deepEqual(
      curves,
      [...r.outcomes].sort((a, b) => a.value! - b.value!).map((o) => o.id),
    );
  },
);

test(
  'aborting the signal stops the running trial after its current step and starts no other',
  { timeout: 300_000 },
  async () => {
    const ctl = new AbortController();
    const h = sweep(irisSweep({ trials: 3, set: { 'training.epochs': 500 } }), {
      output: join(tmp, 'abort'),
      workers: 1,
      signal: ctl.signal,
    });
    for await (const e of h) if (e.type === 'trialEpoch') ctl.abort();
    const r = await h.result;
    assert.equal(r.outcomes.length, 1);
    assert.equal(r.outcomes[0].status, 'stopped');
    assert.ok(r.outcomes[0].epochs < 500);
    assert.equal(JSON.parse(readFileSync(join(r.outcomes[0].runDir, 'state.json'), 'utf8')).status, 'aborted');
    assert.match(readFileSync(r.reportPath, 'utf8'), /1 stopped, 2 not run/);
  },
);
