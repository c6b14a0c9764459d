/**
 * Inline SVG charts for the run report: a line chart of series over epochs with axes, ticks, a
 * legend, and a `data-value` on every point (so the page can be checked against the run's numbers
 * and read by a screen reader through each point's <title>). No scripts, no external resources.
 */

export interface Series {
  name: string;
  points: Array<[number, number]>;
}

export const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];

/** "Nice" tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

const fmt = (v: number) =>
  Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : Number(v.toPrecision(4)).toString();

/** A line chart; `id` names it for tests and anchors. */
export function lineChart(id: string, title: string, series: Series[], yLabel = '', xLabel = 'epoch'): string {
  const W = 560,
    H = 280,
    L = 64,
    R = 16,
    T = 32,
    B = 44;
  const pts = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  if (!pts.length)
    return `<figure class="chart" id="${esc(id)}"><figcaption>${esc(title)}</figcaption><p class="empty">no data</p></figure>`;
  const xs = pts.map(([x]) => x),
    ys = pts.map(([, y]) => y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y0 === y1) {
    y0 -= Math.abs(y0) * 0.1 || 1;
    y1 += Math.abs(y1) * 0.1 || 1;
  }
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const sx = (x: number) => L + (x1 === x0 ? (W - L - R) / 2 : ((x - x0) / (x1 - x0)) * (W - L - R));
  const sy = (y: number) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  const parts: string[] = [];
  for (const t of ticks(y0, y1))
    parts.push(
      `<line x1="${L}" x2="${W - R}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" class="grid"/><text x="${L - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`,
    );
  for (const t of ticks(x0, x1, Math.min(10, Math.max(1, x1 - x0))))
    if (Number.isInteger(t))
      parts.push(`<text x="${sx(t).toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${t}</text>`);
  parts.push(
    `<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" class="axis"/><line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" class="axis"/>`,
  );
  parts.push(
    `<text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle" class="label">${esc(xLabel)}</text><text transform="translate(14 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle" class="label">${esc(yLabel)}</text>`,
  );
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    const ok = s.points.filter(([, y]) => Number.isFinite(y));
    parts.push(
      `<g class="series" data-series="${esc(s.name)}"><polyline fill="none" stroke="${c}" stroke-width="2" points="${ok.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>` +
        ok
          .map(
            ([x, y]) =>
              `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${c}" data-x="${x}" data-value="${y}"><title>${esc(s.name)} at ${esc(xLabel)} ${x}: ${y}</title></circle>`,
          )
          .join('') +
        '</g>',
    );
    parts.push(
      `<rect x="${L + 8 + i * 130}" y="8" width="12" height="12" fill="${c}"/><text x="${L + 24 + i * 130}" y="18">${esc(s.name)}</text>`,
    );
  });
  return `<figure class="chart" id="${esc(id)}"><figcaption>${esc(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">${parts.join('')}</svg></figure>`;
}
