/** Sample-weighted mean of the batch losses over an epoch. */
import type { Metric, MetricDef, Observation } from './metric.js';

export class LossMean implements Metric {
  readonly name = 'loss';
  private sum = 0;
  private n = 0;
  update(o: Observation): void {
    this.sum += o.loss * o.count;
    this.n += o.count;
  }
  compute() {
    return { loss: this.n ? this.sum / this.n : NaN };
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

export const lossMean: MetricDef = {
  type: 'loss',
  description: 'mean loss per sample (always reported)',
  options: {},
  create: () => new LossMean(),
};
