/** Classification accuracy: the fraction of samples whose argmax equals the label. */
import { argmaxRows, classLabels, type Metric, type MetricDef, type Observation } from './metric.js';

export class Accuracy implements Metric {
  readonly name = 'accuracy';
  private hit = 0;
  private n = 0;
  update(o: Observation): void {
    const p = argmaxRows(o.prediction);
    const y = classLabels(o.label, o.prediction);
    for (let i = 0; i < p.length; i++) if (p[i] === y[i]) this.hit++;
    this.n += p.length;
  }
  compute() {
    return { accuracy: this.n ? this.hit / this.n : NaN };
  }
  reset(): void {
    this.hit = 0;
    this.n = 0;
  }
  state() {
    return [this.hit, this.n];
  }
  load(s: unknown): void {
    [this.hit, this.n] = s as [number, number];
  }
}

export const accuracy: MetricDef = {
  type: 'accuracy',
  description: 'fraction of samples whose highest logit is the true class',
  options: {},
  create: () => new Accuracy(),
};
