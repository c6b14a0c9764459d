/** Mean squared error over every predicted element. */
import { RunningMean, regressionValues, type MetricDef, type Observation } from './metric.js';

export class MeanSquaredError extends RunningMean {
  readonly name = 'mse';
  update(o: Observation): void {
    const [p, y] = regressionValues(this.name, o);
    for (let i = 0; i < p.length; i++) {
      const d = p[i] - y[i];
      this.sum += d * d;
    }
    this.n += p.length;
  }
}

export const mse: MetricDef = {
  type: 'mse',
  description: 'mean squared error (regression)',
  options: {},
  create: () => new MeanSquaredError(),
};
