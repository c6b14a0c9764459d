/**
 * `gymnosd report <run-dir>`: the page built from a run holds the run's numbers (curves, final
 * metrics, confusion matrix, config, platform), needs no network, and renders in headless Chromium
 * (Debian's `chromium`): the DOM Chromium parsed is checked and a screenshot taken. Without
 * chromium this test fails, saying how to install it, unless GYMNOS_SKIP_CHROMIUM=1
 * (GYMNOS_CHROMIUM names another binary).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import { readRun, renderReport } from '../../src/report/html.js';
import { ticks } from '../../src/report/chart.js';
import { cfg, fit, scripted, tempDir } from '../callbacks/helpers.js';

const out = tempDir('gymnos-report-');
const VAL = [1.2, 0.8, 0.5, 0.45];

async function makeRun(): Promise<string> {
  const { result } = await fit(
    cfg({
      epochs: 4,
      metrics: [{ type: 'accuracy' }, { type: 'confusion_matrix' }],
      lrSchedule: { type: 'step', stepSize: 1, gamma: 0.5 },
    }),
    { ...scripted({ valLoss: (e) => VAL[e], trainLoss: (s) => 2 / s }), output: out() },
  );
  return result.runDir;
}

const rows = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

/** data-value of every point of a series in chart `id`, from HTML text. */
function seriesValues(html: string, id: string, series: string): number[] {
  const chart = new RegExp(`<figure class="chart" id="${id}">([\\s\\S]*?)</figure>`).exec(html)?.[1] ?? '';
  const g = new RegExp(`<g class="series" data-series="${series}">([\\s\\S]*?)</g>`).exec(chart)?.[1] ?? '';
  return [...g.matchAll(/data-value="([^"]+)"/g)].map((m) => Number(m[1]));
}

function checkNumbers(html: string, dir: string): void {
  const r = rows(dir);
  const epochs = r.filter((x) => x.kind === 'epoch');
  const test = r.find((x) => x.kind === 'test');
  assert.deepEqual(
    seriesValues(html, 'chart-loss', 'train loss'),
    epochs.map((e) => e.train.loss),
  );
  assert.deepEqual(
    seriesValues(html, 'chart-loss', 'validation loss'),
    epochs.map((e) => e.validation.loss),
  );
  assert.deepEqual(
    seriesValues(html, 'chart-accuracy', 'validation accuracy'),
    epochs.map((e) => e.validation.accuracy),
  );
  assert.deepEqual(
    seriesValues(html, 'chart-lr', 'lr'),
    epochs.map((e) => e.lr),
  );
  const cells = [
    ...(/<table class="confusion">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '').matchAll(/data-value="(\d+)"/g),
  ].map((m) => Number(m[1]));
  assert.deepEqual(cells, test.test.confusion_matrix.flat());
  assert.ok(html.includes(`data-value="${test.test.accuracy}"`));
  assert.match(html, /"optimizer": \{\s*"type": "sgd"/);
  assert.match(html, /id="platform"/);
}

test("the page holds the run's numbers and references nothing outside itself", async () => {
  const dir = await makeRun();
  assert.equal(await runCli(['report', dir]), 0);
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  checkNumbers(html, dir);
  assert.doesNotMatch(html, /\s(src|href)=|<script|@import|url\(/i);
  assert.match(html, /<span class="status completed" id="status">completed<\/span> 4 epoch\(s\)/);
  assert.deepEqual(ticks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.throws(() => readRun(out()), /is not a run directory \(no config\.json\)/);
  assert.match(renderReport({ name: 'empty', rows: [] }), /no data/);
});

test('what callbacks decided is on the page: the stop, learning-rate factors, restored weights', async () => {
  const { result } = await fit(
    cfg({
      epochs: 8,
      callbacks: [
        { type: 'early_stopping', patience: 2 },
        { type: 'reduce_lr_on_plateau', patience: 1, factor: 0.5 },
      ],
    }),
    { ...scripted({ valLoss: (e) => [1, 0.5, 0.7, 0.8, 0.9][e] ?? 1 }), output: out() },
  );
  const html = renderReport(readRun(result.runDir));
  const notes = [...(/<ul id="notes">([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? '').matchAll(/<li>(.*?)<\/li>/g)].map(
    (m) => m[1],
  );
  assert.deepEqual(notes, [
    'reduce_lr_on_plateau#1 set its learning-rate factor to 0.5 (overall 0.5)',
    'stop requested by early_stopping#0: val_loss did not improve for 2 epoch(s) (best 0.5 at epoch 2)',
    'reduce_lr_on_plateau#1 set its learning-rate factor to 0.25 (overall 0.25)',
    'the run ended with the weights early_stopping#0 kept at step 12',
  ]);
  assert.match(html, /id="status">stopped</);
});

/** The chromium binary: GYMNOS_CHROMIUM when set (a path or name), else chromium on PATH. */
function findChromium(): string | undefined {
  for (const name of process.env.GYMNOS_CHROMIUM ? [process.env.GYMNOS_CHROMIUM] : ['chromium', 'chromium-browser']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
}

test('headless Chromium renders it: the parsed DOM holds the numbers; a screenshot is taken', async (t) => {
  const bin = findChromium();
  if (!bin) {
    if (process.env.GYMNOS_SKIP_CHROMIUM === '1') {
      t.skip('chromium not installed and GYMNOS_SKIP_CHROMIUM=1');
      return;
    }
    assert.fail(
      'chromium is not installed: run `apt-get install -y chromium` (Debian; .ci/run does this), or set GYMNOS_SKIP_CHROMIUM=1 to skip this check',
    );
  }
  const dir = await makeRun();
  assert.equal(await runCli(['report', dir, '--out', join(dir, 'page.html')]), 0);
  const profile = mkdtempSync(join(tmpdir(), 'gymnos-chromium-'));
  t.after(() => rmSync(profile, { recursive: true, force: true }));
  const flags = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--user-data-dir=${profile}`,
  ];
  const url = `file://${join(dir, 'page.html')}`;
  const dom = spawnSync(bin, [...flags, '--dump-dom', url], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
  assert.equal(dom.status, 0, dom.stderr);
  assert.match(dom.stdout, /<svg[^>]*role="img"/);
  checkNumbers(dom.stdout, dir);
  const png = join(dir, 'report.png');
  const shot = spawnSync(bin, [...flags, `--screenshot=${png}`, '--window-size=1200,1600', '--hide-scrollbars', url], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(shot.status, 0, shot.stderr);
  const bytes = readFileSync(png);
  assert.equal(bytes.subarray(1, 4).toString(), 'PNG');
  assert.deepEqual([bytes.readUInt32BE(16), bytes.readUInt32BE(20)], [1200, 1600]);
  assert.ok(statSync(png).size > 30_000, `a blank page compresses to a few KB; got ${statSync(png).size} bytes`);
  if (process.env.GYMNOS_REPORT_SCREENSHOT) writeFileSync(process.env.GYMNOS_REPORT_SCREENSHOT, bytes);
});

test('the per-epoch peak resident memory from metrics.jsonl is charted, and no chart appears without it', () => {
  const rows = [0, 1, 2].map((epoch) => ({
    kind: 'epoch' as const,
    epoch,
    step: epoch + 1,
    lr: 0.1,
    train: { loss: 1 / (epoch + 1) },
    peak_rss_mb: 100 + 10 * epoch,
  }));
  const html = renderReport({ name: 'mem', rows });
  assert.match(html, /id="chart-peak-rss"/);
  assert.match(html, /peak resident memory \(MiB\)/);
  assert.doesNotMatch(
    renderReport({ name: 'mem', rows: rows.map(({ peak_rss_mb: _p, ...r }) => r) }),
    /chart-peak-rss/,
  );
});
