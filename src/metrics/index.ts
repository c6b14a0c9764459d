/**
 * The metric registry, built from the metric modules (one file each): `training.metrics` entries
 * are `{ "type": <name>, ...options }`. Adding a metric means adding its module to METRIC_DEFS.
 */
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

export const METRIC_DEFS = [accuracy, topK, precisionRecallF1, confusionMatrix, mse, mae, r2] as MetricDef<never>[];

/** Metrics by registered name. */
export const METRICS: ReadonlyMap<string, MetricDef<never>> = new Map(METRIC_DEFS.map((d) => [d.name, d]));

/** The loss mean plus each configured metric. */
export function createMetrics(specs: Array<{ type: string } & Record<string, unknown>>, ctx: MetricContext): Metric[] {
  return [new LossMean(), ...specs.map(({ type, ...o }) => {
    const def = METRICS.get(type);
    if (!def) throw new Error(`unknown metric '${type}'; metrics: ${[...METRICS.keys()].join(', ')}`);
    return (def as MetricDef<Record<string, unknown>>).create(o, ctx);
  })];
}

/** Computes every metric into one record. */
export function computeAll(metrics: Metric[]) {
  return Object.assign({}, ...metrics.map((m) => m.compute())) as Record<string, import('./metric.js').MetricValue>;
}
