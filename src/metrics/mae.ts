/** Mean absolute error over every predicted element. */
import { floats, type Metric, type MetricDef, type Observation } from './metric.js';

export class MeanAbsoluteError implements Metric {
  readonly name = 'mae';
  private sum = 0;
  private n = 0;
  update(o: Observation): void {
    const p = floats(o.prediction);
    const y = floats(o.label);
    if (p.length !== y.length)
      throw new Error(
        `metric 'mae': prediction has ${p.length} values but the label ${y.length}; it needs regression targets of the prediction's shape`,
      );
    for (let i = 0; i < p.length; i++) this.sum += Math.abs(p[i] - y[i]);
    this.n += p.length;
  }
  compute() {
    return { mae: this.n ? this.sum / this.n : NaN };
  }
  reset(): void {
    this.sum = 0;
    this.n = 0;
  }
  state() {
    return [this.sum, this.n];
  }
  load(s: unknown): void {
    [this.sum, this.n] = s as [number, number];
  }
}

export const mae: MetricDef = {
  type: 'mae',
  description: 'mean absolute error (regression)',
  options: {},
  create: () => new MeanAbsoluteError(),
};
