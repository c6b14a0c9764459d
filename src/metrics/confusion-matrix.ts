/** The confusion matrix: rows are true classes, columns predicted classes. */
import {
  argmaxRows,
  classLabels,
  type Metric,
  type MetricContext,
  type MetricDef,
  type Observation,
} from './metric.js';

export class ConfusionMatrix implements Metric {
  readonly name = 'confusion_matrix';
  counts: number[][];
  constructor(readonly classes: number) {
    this.counts = ConfusionMatrix.zeros(classes);
  }
  private static zeros(c: number): number[][] {
    return Array.from({ length: c }, () => new Array<number>(c).fill(0));
  }
  update(o: Observation): void {
    const p = argmaxRows(o.prediction);
    const y = classLabels(o.label, o.prediction);
    for (let i = 0; i < p.length; i++) {
      if (y[i] < 0 || y[i] >= this.classes) continue; // ignored labels (ignore_index)
      this.counts[y[i]][p[i]]++;
    }
  }
  compute() {
    return { confusion_matrix: this.counts.map((r) => [...r]) };
  }
  reset(): void {
    this.counts = ConfusionMatrix.zeros(this.classes);
  }
  state() {
    return this.counts;
  }
  load(s: unknown): void {
    this.counts = (s as number[][]).map((r) => [...r]);
  }
}

export function needClasses(ctx: MetricContext, metric: string): number {
  if (!ctx.numClasses)
    throw new Error(`metric '${metric}' needs a classification dataset (the number of classes is unknown)`);
  return ctx.numClasses;
}

export const confusionMatrix: MetricDef = {
  type: 'confusion_matrix',
  description: 'counts of (true class, predicted class) pairs; in metrics.jsonl only',
  options: {},
  create: (_o, ctx) => new ConfusionMatrix(needClasses(ctx, 'confusion_matrix')),
};
