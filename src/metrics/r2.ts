/**
 * Coefficient of determination, 1 - SS_res / SS_tot, over every predicted element, streamed from
 * running sums (sum y, sum y^2, sum of squared residuals) so one pass suffices.
 */
import { floats, type Metric, type MetricDef, type Observation } from './metric.js';

export class R2 implements Metric {
  readonly name = 'r2';
  private n = 0;
  private sy = 0;
  private syy = 0;
  private res = 0;
  update(o: Observation): void {
    const p = floats(o.prediction);
    const y = floats(o.label);
    if (p.length !== y.length)
      throw new Error(
        `metric 'r2': prediction has ${p.length} values but the label ${y.length}; it needs regression targets of the prediction's shape`,
      );
    for (let i = 0; i < p.length; i++) {
      const d = y[i] - p[i];
      this.res += d * d;
      this.sy += y[i];
      this.syy += y[i] * y[i];
    }
    this.n += p.length;
  }
  compute() {
    if (!this.n) return { r2: NaN };
    const tot = this.syy - (this.sy * this.sy) / this.n;
    return { r2: tot > 0 ? 1 - this.res / tot : NaN };
  }
  reset(): void {
    this.n = 0;
    this.sy = 0;
    this.syy = 0;
    this.res = 0;
  }
  state() {
    return [this.n, this.sy, this.syy, this.res];
  }
  load(s: unknown): void {
    [this.n, this.sy, this.syy, this.res] = s as number[];
  }
}

export const r2: MetricDef = {
  type: 'r2',
  description: 'coefficient of determination (regression)',
  options: {},
  create: () => new R2(),
};
