/** Top-k accuracy: the true class is among the k highest logits (ties counted against it). */
import { int } from '../config/schema.js';
import { classLabels, type Metric, type MetricDef, type Observation } from './metric.js';

export class TopK implements Metric {
  readonly name: string;
  private hit = 0;
  private n = 0;
  constructor(readonly k: number) {
    this.name = `top${k}_accuracy`;
  }
  update(o: Observation): void {
    const c = o.prediction.dims[o.prediction.dims.length - 1];
    const d = o.prediction.data as Float32Array;
    const y = classLabels(o.label, o.prediction);
    for (let i = 0; i < y.length; i++) {
      const v = d[i * c + y[i]];
      let above = 0;
      for (let j = 0; j < c; j++) if (j !== y[i] && d[i * c + j] >= v) above++;
      if (above < this.k) this.hit++;
    }
    this.n += y.length;
  }
  compute() {
    return { [this.name]: this.n ? this.hit / this.n : NaN };
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

export const topK: MetricDef<{ k: number }> = {
  type: 'top_k',
  description: 'fraction of samples whose true class is among the k highest logits',
  options: { k: int({ min: 1, default: 5, doc: 'how many of the highest logits count' }) },
  create: (o) => new TopK(o.k),
};
