/**
 * Precision, recall and F1 per class and their macro averages (unweighted mean over classes), from
 * a streaming confusion matrix. A class never predicted has precision 0 (as scikit-learn's
 * zero_division=0); a class absent from the labels is left out of the macro averages.
 */
import { ConfusionMatrix, needClasses } from './confusion-matrix.js';
import type { Metric, MetricDef, Observation } from './metric.js';

export class PrecisionRecallF1 implements Metric {
  readonly name = 'precision_recall_f1';
  private readonly cm: ConfusionMatrix;
  constructor(classes: number) {
    this.cm = new ConfusionMatrix(classes);
  }
  update(o: Observation): void {
    this.cm.update(o);
  }
  compute() {
    const m = this.cm.counts;
    const c = m.length;
    const precision: number[] = [];
    const recall: number[] = [];
    const f1: number[] = [];
    const present: number[] = [];
    for (let k = 0; k < c; k++) {
      const tp = m[k][k];
      let predicted = 0;
      let actual = 0;
      for (let j = 0; j < c; j++) {
        predicted += m[j][k];
        actual += m[k][j];
      }
      const p = predicted ? tp / predicted : 0;
      const r = actual ? tp / actual : 0;
      precision.push(p);
      recall.push(r);
      f1.push(p + r ? (2 * p * r) / (p + r) : 0);
      if (actual) present.push(k);
    }
    const macro = (v: number[]) => (present.length ? present.reduce((s, k) => s + v[k], 0) / present.length : NaN);
    return {
      precision,
      recall,
      f1,
      precision_macro: macro(precision),
      recall_macro: macro(recall),
      f1_macro: macro(f1),
    };
  }
  reset(): void {
    this.cm.reset();
  }
  state() {
    return this.cm.state();
  }
  load(s: unknown): void {
    this.cm.load(s);
  }
}

export const precisionRecallF1: MetricDef = {
  type: 'precision_recall_f1',
  description: 'precision, recall and F1 per class, and their macro averages',
  options: {},
  create: (_o, ctx) => new PrecisionRecallF1(needClasses(ctx, 'precision_recall_f1')),
};
