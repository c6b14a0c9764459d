/**
 * The metric registry, built from the metric modules (one file each): `training.metrics` entries
 * are `{ "type": <name>, ...options }`. Adding a metric means adding its module to METRIC_DEFS.
 */
import { Registry, type ComponentSpec } from '../config/component.js';
import type { Metric, MetricContext, MetricDef } from './metric.js';
import { accuracy } from './accuracy.js';
import { topK } from './top-k.js';
import { precisionRecallF1 } from './precision-recall-f1.js';
import { confusionMatrix } from './confusion-matrix.js';
import { mse } from './mse.js';
import { mae } from './mae.js';
import { r2 } from './r2.js';
import { LossMean } from './loss-mean.js';

export type { Metric, MetricContext, MetricDef, MetricValue, Observation } from './metric.js';
export { LossMean } from './loss-mean.js';

/** Metrics by registered type. */
export const METRICS = new Registry<MetricDef>('metric', [
  accuracy,
  topK,
  precisionRecallF1,
  confusionMatrix,
  mse,
  mae,
  r2,
]);

/** The loss mean plus each configured metric (resolved specs, as in the parsed experiment). */
export function createMetrics(specs: readonly ComponentSpec[], ctx: MetricContext): Metric[] {
  return [new LossMean(), ...specs.map((s, i) => METRICS.create(s, ctx, `training.metrics[${i}]`))];
}

/** Computes every metric into one record. */
export function computeAll(metrics: Metric[]) {
  return Object.assign({}, ...metrics.map((m) => m.compute())) as Record<string, import('./metric.js').MetricValue>;
}
