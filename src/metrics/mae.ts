/** Mean absolute error over every predicted element. */
import { RunningMean, regressionValues, type MetricDef, type Observation } from './metric.js';

export class MeanAbsoluteError extends RunningMean {
  readonly name = 'mae';
  update(o: Observation): void {
    const [p, y] = regressionValues(this.name, o);
    for (let i = 0; i < p.length; i++) this.sum += Math.abs(p[i] - y[i]);
    this.n += p.length;
  }
}

export const mae: MetricDef = {
  type: 'mae',
  description: 'mean absolute error (regression)',
  options: {},
  create: () => new MeanAbsoluteError(),
};
