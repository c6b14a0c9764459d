/**
 * The run report: one self-contained HTML page (inline CSS and SVG, no scripts, no network) with
 * the run's status, final metrics, loss and metric curves, the learning rate, the confusion matrix,
 * the resolved config and the platform. Built from the run directory's files alone.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { esc, lineChart, type Series } from './chart.js';
import { UserError } from '../util/errors.js';

interface Row {
  kind: 'epoch' | 'test';
  epoch: number;
  step: number;
  lr?: number;
  train?: Record<string, unknown>;
  validation?: Record<string, unknown>;
  test?: Record<string, unknown>;
  seconds?: number;
  peak_rss_mb?: number;
}

/** What the page is built from (read from a run directory by `readRun`). */
export interface RunData {
  name: string;
  config?: Record<string, unknown>;
  platform?: Record<string, unknown>;
  state?: Record<string, unknown>;
  rows: Row[];
  classes?: string[];
  /** What callbacks did, from gymnos.log: stop requests, learning-rate changes, restored weights. */
  notes?: string[];
}

/** Callback decisions the Trainer logged (one line each). */
function readNotes(dir: string): string[] {
  const p = join(dir, 'gymnos.log');
  if (!existsSync(p)) return [];
  const out: string[] = [];
  for (const line of readFileSync(p, 'utf8').split('\n')) {
    if (
      !line.includes('"msg":"stop requested"') &&
      !line.includes('"msg":"learning rate scaled"') &&
      !line.includes('"msg":"weights restored')
    )
      continue;
    try {
      const l = JSON.parse(line) as {
        msg: string;
        callback?: string;
        reason?: string;
        lrFactor?: number;
        lrScale?: number;
        total?: number;
        tag?: string;
        step?: number;
      };
      if (l.msg === 'stop requested') out.push(`stop requested by ${l.callback}: ${l.reason}`);
      else if (l.msg === 'learning rate scaled') {
        const f = l.lrFactor ?? l.lrScale; // lrScale: logs of runs before the field was renamed
        out.push(`${l.callback} set its learning-rate factor to ${f} (overall ${l.total ?? f})`);
      } else out.push(`the run ended with the weights ${l.tag} kept at step ${l.step}`);
    } catch {
      /* a torn line */
    }
  }
  return out;
}

const readJson = (p: string) =>
  existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>) : undefined;

/** Reads a run directory; fails with the remedy when it is not one. */
export function readRun(dir: string): RunData {
  const jsonl = join(dir, 'metrics.jsonl');
  if (!existsSync(join(dir, 'config.json')))
    throw new UserError(`${dir} is not a run directory (no config.json); pass the folder gymnosd train printed`);
  const rows = existsSync(jsonl)
    ? readFileSync(jsonl, 'utf8')
        .split('\n')
        .filter((l) => l.trim())
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as Row];
          } catch {
            return [];
          }
        })
    : [];
  const dataset = readJson(join(dir, 'dataset.json'));
  return {
    name: basename(dir),
    config: readJson(join(dir, 'config.json')),
    platform: readJson(join(dir, 'platform.json')),
    state: readJson(join(dir, 'state.json')),
    rows,
    classes: Array.isArray(dataset?.classes) ? (dataset.classes as string[]) : undefined,
    notes: readNotes(dir),
  };
}

/** Text content needs only &, < and > escaped (quotes stay readable in the config dump). */
const escText = (s: string) => s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
const fmt = (v: unknown) =>
  typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(5)) : esc(String(v ?? ''));

function scalarNames(rows: Row[], part: 'train' | 'validation'): string[] {
  return [
    ...new Set(
      rows.flatMap((r) =>
        Object.entries(r[part] ?? {})
          .filter(([, v]) => typeof v === 'number')
          .map(([k]) => k),
      ),
    ),
  ];
}

function confusion(m: number[][], title: string, classes?: string[]): string {
  const max = Math.max(1, ...m.flat());
  const name = (i: number) => esc(classes?.[i] ?? String(i));
  const head = `<tr><th>true \\ predicted</th>${m.map((_, j) => `<th>${name(j)}</th>`).join('')}</tr>`;
  const body = m
    .map(
      (r, i) =>
        `<tr><th>${name(i)}</th>${r.map((v, j) => `<td data-value="${v}" style="background:rgba(31,119,180,${(0.08 + (0.8 * v) / max).toFixed(3)})${i === j ? ';font-weight:bold' : ''}">${v}</td>`).join('')}</tr>`,
    )
    .join('');
  return `<figure id="confusion"><figcaption>${esc(title)}</figcaption><table class="confusion">${head}${body}</table></figure>`;
}

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1180px;color:#222;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}
.charts{display:flex;flex-wrap:wrap;gap:12px}.chart{margin:0}.chart figcaption,#confusion figcaption{font-weight:600}
svg text{font-size:11px;fill:#444}svg .grid{stroke:#eee}svg .axis{stroke:#888}svg .label{font-size:12px}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}th{background:#f6f6f6}
.status{display:inline-block;padding:1px 8px;border-radius:9px;background:#eee}.completed{background:#d4f5d4}.failed{background:#f8d0d0}
pre{background:#f6f8fa;padding:10px;overflow:auto;max-height:480px;font-size:12px}`;

/** The page. */
export function renderReport(d: RunData): string {
  const epochs = d.rows.filter((r) => r.kind === 'epoch');
  const test = d.rows.find((r) => r.kind === 'test')?.test;
  // epochs count from 1 in metrics.jsonl; runs written before that counted from 0
  const first = epochs[0]?.epoch ?? 1;
  const x = (r: Row) => r.epoch + (first === 0 ? 1 : 0);
  const curve = (part: 'train' | 'validation', k: string): Series => ({
    name: `${part} ${k}`,
    points: epochs.flatMap((r) =>
      num(r[part]?.[k]) !== undefined ? [[x(r), num(r[part]![k])!] as [number, number]] : [],
    ),
  });
  const names = [...new Set([...scalarNames(epochs, 'train'), ...scalarNames(epochs, 'validation')])];
  const charts = names.map((k) =>
    lineChart(
      `chart-${k}`,
      k,
      [curve('train', k), curve('validation', k)].filter((s) => s.points.length),
      k,
    ),
  );
  charts.push(
    lineChart(
      'chart-lr',
      'learning rate',
      [
        {
          name: 'lr',
          points: epochs.flatMap((r) => (num(r.lr) !== undefined ? [[x(r), r.lr!] as [number, number]] : [])),
        },
      ],
      'lr',
    ),
  );
  const rss = epochs.flatMap((r) =>
    num(r.peak_rss_mb) !== undefined ? [[x(r), r.peak_rss_mb!] as [number, number]] : [],
  );
  if (rss.length)
    charts.push(
      lineChart('chart-peak-rss', 'peak resident memory (MiB)', [{ name: 'peak RSS MiB', points: rss }], 'MiB'),
    );
  const last = epochs[epochs.length - 1];
  const finalRows: Array<[string, Record<string, unknown> | undefined]> = [
    ['train', last?.train],
    ['validation', last?.validation],
    ...(test ? [['test', test] as [string, Record<string, unknown>]] : []),
  ];
  const metricNames = [
    ...new Set(
      finalRows.flatMap(([, m]) =>
        Object.entries(m ?? {})
          .filter(([, v]) => typeof v === 'number')
          .map(([k]) => k),
      ),
    ),
  ];
  const summary = `<table id="final"><tr><th></th>${metricNames.map((k) => `<th>${esc(k)}</th>`).join('')}</tr>${finalRows.map(([p, m]) => `<tr><th>${p}</th>${metricNames.map((k) => `<td data-value="${num(m?.[k]) ?? ''}">${fmt(m?.[k])}</td>`).join('')}</tr>`).join('')}</table>`;
  const cmSource = test?.confusion_matrix
    ? ['test', test.confusion_matrix]
    : last?.validation?.confusion_matrix
      ? ['validation (last epoch)', last.validation.confusion_matrix]
      : undefined;
  const cm = cmSource
    ? confusion(cmSource[1] as number[][], `confusion matrix, ${cmSource[0]}`, d.classes)
    : '<p>No confusion matrix: add { "type": "confusion_matrix" } to training.metrics.</p>';
  const status = String(d.state?.status ?? 'unknown');
  const exp = (d.config?.experiment ?? {}) as { name?: string; description?: string };
  const seconds = epochs.reduce((s, r) => s + (r.seconds ?? 0), 0);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${esc(exp.name ?? 'run')} - ${esc(d.name)}</title><style>${CSS}</style></head>
<body><h1>${esc(exp.name ?? 'run')} <small>${esc(d.name)}</small></h1>
<p><span class="status ${esc(status)}" id="status">${esc(status)}</span> ${epochs.length} epoch(s), step ${fmt(d.state?.step ?? last?.step)}, ${seconds.toFixed(1)} s of training${d.state?.error ? ` &mdash; error: ${esc(String(d.state.error))}` : ''}</p>
${exp.description ? `<p>${esc(exp.description)}</p>` : ''}
${d.notes?.length ? `<ul id="notes">${d.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
<h2>Final metrics</h2>${summary}
<h2>Curves</h2><div class="charts">${charts.join('\n')}</div>
<h2>Confusion matrix</h2>${cm}
<h2>Configuration</h2><pre id="config">${escText(JSON.stringify(d.config ?? {}, null, 2))}</pre>
<h2>Platform</h2><pre id="platform">${escText(JSON.stringify(d.platform ?? {}, null, 2))}</pre>
<footer><small>Generated by gymnosd report from ${esc(d.name)}; this page needs no network.</small></footer>
</body></html>
`;
}
