/** Sample-weighted mean of the batch losses over an epoch. */
import { RunningMean, type MetricDef, type Observation } from './metric.js';

export class LossMean extends RunningMean {
  readonly name = 'loss';
  update(o: Observation): void {
    this.sum += o.loss * o.count;
    this.n += o.count;
  }
}

export const lossMean: MetricDef = {
  type: 'loss',
  description: 'mean loss per sample (always reported)',
  options: {},
  create: () => new LossMean(),
};
