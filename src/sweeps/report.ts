/**
 * The sweep report: one self-contained HTML page (inline CSS and SVG, no scripts, no network)
 * built from a sweep directory alone: the trial table (parameters, metric, status, epochs,
 * duration, resumes), the best trial, the metric against each parameter, and the metric curves of
 * the top trials. Charts come from the run report's helpers.
 */
import { esc, lineChart, type Series } from '../report/chart.js';
import { RunDir } from '../trainer/run-dir.js';
import { bestTrial, countStatuses, type SweepData } from './sweep-dir.js';
import { scatterChart } from './scatter.js';
import { metricValue } from './trial.js';
import type { TrialOutcome } from './events.js';

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1180px;color:#222;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}
.charts{display:flex;flex-wrap:wrap;gap:12px}.chart{margin:0}.chart figcaption{font-weight:600}
svg text{font-size:11px;fill:#444}svg .grid{stroke:#eee}svg .axis{stroke:#888}svg .label{font-size:12px}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}th{background:#f6f6f6}
tr.best td{background:#eef8ee}.status{padding:1px 8px;border-radius:9px;background:#eee}.completed{background:#d4f5d4}.failed{background:#f8d0d0}.pruned{background:#fde6c8}
code{font-size:12px}`;

const show = (v: unknown) =>
  typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : JSON.stringify(v);
const TOP = 5;

/** The page. */
export function renderSweepReport(d: SweepData): string {
  const m = d.manifest;
  const keys = Object.keys(m.space);
  const outcomes = m.trials.map((t) => d.outcomes.get(t.id));
  const done = outcomes.filter((o): o is TrialOutcome => o !== undefined);
  const best = bestTrial(done, m.mode);
  const counts = countStatuses(done);
  const rows = m.trials.map((t, i) => {
    const o = outcomes[i];
    const status = o?.status ?? 'not run';
    const note = o?.error ?? o?.pruned?.reason ?? '';
    return (
      `<tr data-trial="${esc(t.id)}"${best?.id === t.id ? ' class="best"' : ''}><th>${esc(t.id)}</th>${keys.map((k) => `<td>${esc(show(t.params[k]))}</td>`).join('')}` +
      `<td data-value="${o?.value ?? ''}">${o?.value !== undefined ? esc(show(o.value)) : ''}</td><td><span class="status ${esc(status.replace(' ', '-'))}">${esc(status)}</span></td>` +
      `<td>${o?.epochs ?? ''}</td><td data-seconds="${o?.seconds ?? ''}">${o ? o.seconds.toFixed(1) : ''}</td><td>${o?.resumes.length ? o.resumes.map((r) => `step ${r.step} on ${esc(r.worker)}`).join('; ') : ''}</td><td style="text-align:left">${esc(note)}</td></tr>`
    );
  });
  const table = `<table id="trials"><tr><th>trial</th>${keys.map((k) => `<th>${esc(k)}</th>`).join('')}<th>${esc(m.metric)}</th><th>status</th><th>epochs</th><th>seconds</th><th>resumed</th><th>note</th></tr>${rows.join('')}</table>`;
  const scatters = keys.map((k) => {
    const p = m.space[k];
    const choice = p.type === 'choice' ? p.values.map((v) => JSON.stringify(v)) : undefined;
    const pts = done
      .filter((o) => o.value !== undefined)
      .map((o) => ({
        x: choice ? choice.indexOf(JSON.stringify(o.params[k])) : Number(o.params[k]),
        y: o.value!,
        label: o.id,
        status: o.status,
      }));
    return scatterChart(`param-${k}`, `${m.metric} against ${k}`, pts, {
      xLabel: k,
      yLabel: m.metric,
      logX: p.type === 'loguniform',
      xTicks: choice?.map((c, i) => [i, c]),
    });
  });
  const dir = m.mode === 'min' ? 1 : -1;
  const top = done
    .filter((o) => typeof o.value === 'number' && !Number.isNaN(o.value))
    .sort((a, b) => dir * (a.value! - b.value!))
    .slice(0, TOP);
  const curves: Series[] = top.map((o) => ({
    name: o.id,
    points: new RunDir(o.runDir)
      .readMetrics()
      .filter((r) => r.kind === 'epoch')
      .flatMap((r) => {
        const v = metricValue(r, m.metric);
        return v === undefined ? [] : [[r.epoch, v] as [number, number]];
      }),
  }));
  const bestHtml = best
    ? `<p id="best">Best trial: <strong data-trial="${esc(best.id)}">${esc(best.id)}</strong>, ${esc(m.metric)} = <span data-value="${best.value}">${esc(show(best.value))}</span> (${esc(best.status)}): ${keys.map((k) => `<code>${esc(k)}=${esc(show(best.params[k]))}</code>`).join(' ')}<br>run directory: <code>${esc(best.runDir)}</code></p>`
    : '<p id="best">No trial has finished with a value yet.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>sweep ${esc(m.name)} - ${esc(m.id)}</title><style>${CSS}</style></head>
<body><h1>sweep ${esc(m.name)} <small>${esc(m.id)}</small></h1>
<p id="summary">${m.trials.length} trial(s): ${Object.entries(counts)
    .map(([k, n]) => `${n} ${k}`)
    .join(
      ', ',
    )}, ${m.trials.length - done.length} not run; metric ${esc(m.metric)} (${m.mode === 'min' ? 'lower' : 'higher'} is better)${m.asha ? `; ASHA with eta ${m.asha.eta} from epoch ${m.asha.minEpochs}` : ''}.</p>
<h2>Best run</h2>${bestHtml}
<h2>Trials</h2>${table}
<h2>${esc(m.metric)} against each parameter</h2><div class="charts">${scatters.join('\n')}</div>
<h2>Curves of the top ${top.length} trial(s)</h2><div class="charts">${lineChart('chart-top', `${m.metric} per epoch`, curves, m.metric)}</div>
<footer><small>Generated by gymnosd sweep report from ${esc(d.dir)}; this page needs no network.</small></footer>
</body></html>
`;
}
