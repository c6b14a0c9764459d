/** Mean squared error over every predicted element. */
import { floats, type Metric, type MetricDef, type Observation } from './metric.js';

export class MeanSquaredError implements Metric {
  readonly name = 'mse';
  private sum = 0;
  private n = 0;
  update(o: Observation): void {
    const p = floats(o.prediction);
    const y = floats(o.label);
    if (p.length !== y.length)
      throw new Error(
        `metric 'mse': prediction has ${p.length} values but the label ${y.length}; it needs regression targets of the prediction's shape`,
      );
    for (let i = 0; i < p.length; i++) {
      const d = p[i] - y[i];
      this.sum += d * d;
    }
    this.n += p.length;
  }
  compute() {
    return { mse: this.n ? this.sum / this.n : NaN };
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

export const mse: MetricDef = {
  type: 'mse',
  description: 'mean squared error (regression)',
  options: {},
  create: () => new MeanSquaredError(),
};
