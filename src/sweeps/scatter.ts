/**
 * A scatter chart for the sweep report: the metric against one parameter, one point per trial,
 * with a log axis for log-uniform parameters and one column per value for choices. Same look and
 * the same `data-value` per point as the run report's line charts (src/report/chart.ts).
 */
import { esc, ticks } from '../report/chart.js';

export interface ScatterPoint {
  x: number;
  y: number;
  label: string;
  status: string;
}

const fmt = (v: number) =>
  Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : Number(v.toPrecision(4)).toString();

/** `xTicks` overrides the x axis labels (choices); `logX` plots log10(x) with labels in x. */
export function scatterChart(
  id: string,
  title: string,
  pts: ScatterPoint[],
  o: { xLabel: string; yLabel: string; logX?: boolean; xTicks?: Array<[number, string]> },
): string {
  const ok = pts.filter((p) => Number.isFinite(p.y) && Number.isFinite(p.x) && (!o.logX || p.x > 0));
  if (!ok.length)
    return `<figure class="chart" id="${esc(id)}"><figcaption>${esc(title)}</figcaption><p class="empty">no data</p></figure>`;
  const W = 420,
    H = 260,
    L = 64,
    R = 16,
    T = 20,
    B = 44;
  const tx = (x: number) => (o.logX ? Math.log10(x) : x);
  let [x0, x1] = [Math.min(...ok.map((p) => tx(p.x))), Math.max(...ok.map((p) => tx(p.x)))];
  let [y0, y1] = [Math.min(...ok.map((p) => p.y)), Math.max(...ok.map((p) => p.y))];
  if (x0 === x1) {
    x0 -= 0.5;
    x1 += 0.5;
  }
  if (y0 === y1) {
    y0 -= Math.abs(y0) * 0.1 || 1;
    y1 += Math.abs(y1) * 0.1 || 1;
  }
  const px = (x1 - x0) * 0.06,
    py = (y1 - y0) * 0.06;
  x0 -= px;
  x1 += px;
  y0 -= py;
  y1 += py;
  const sx = (x: number) => L + ((tx(x) - x0) / (x1 - x0)) * (W - L - R);
  const sy = (y: number) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  const parts: string[] = [];
  for (const t of ticks(y0, y1))
    parts.push(
      `<line x1="${L}" x2="${W - R}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" class="grid"/><text x="${L - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`,
    );
  const xt: Array<[number, string]> =
    o.xTicks ?? ticks(x0, x1, 4).map((t) => [o.logX ? 10 ** t : t, fmt(o.logX ? 10 ** t : t)]);
  for (const [v, label] of xt)
    parts.push(`<text x="${sx(v).toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${esc(label)}</text>`);
  parts.push(
    `<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" class="axis"/><line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" class="axis"/>`,
  );
  parts.push(
    `<text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle" class="label">${esc(o.xLabel)}${o.logX ? ' (log scale)' : ''}</text><text transform="translate(14 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle" class="label">${esc(o.yLabel)}</text>`,
  );
  for (const p of ok) {
    const c = p.status === 'completed' ? '#1f77b4' : p.status === 'pruned' ? '#ff7f0e' : '#999';
    parts.push(
      `<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="4" fill="${c}" data-trial="${esc(p.label)}" data-x="${p.x}" data-value="${p.y}"><title>${esc(p.label)} (${esc(p.status)}): ${esc(o.xLabel)} ${p.x}, ${esc(o.yLabel)} ${p.y}</title></circle>`,
    );
  }
  return `<figure class="chart" id="${esc(id)}"><figcaption>${esc(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">${parts.join('')}</svg></figure>`;
}
