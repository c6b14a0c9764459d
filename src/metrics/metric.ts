/**
 * The streaming-metric contract: `update` with each batch, `compute` at the end of an epoch (or any
 * time), `reset` between epochs. `state`/`load` carry a metric across a mid-epoch resume.
 */
import type { Tensor } from '../onnx/tensor.js';
import type { Component } from '../config/component.js';

/** What one batch tells the metrics: the model's prediction, the labels and the mean loss. */
export interface Observation {
  /** Classification: logits [..., C]; regression: predictions of the label's shape. */
  prediction: Tensor;
  /** Class indices (int64 [...]), one-hot/probabilities [..., C], or regression targets. */
  label: Tensor;
  /** Mean loss over the batch. */
  loss: number;
  /** Samples in the batch. */
  count: number;
}

/** Scalars go to metrics.csv; vectors and matrices (per class, confusion) to metrics.jsonl only. */
export type MetricValue = number | number[] | number[][];

export interface Metric {
  readonly name: string;
  update(o: Observation): void;
  compute(): Record<string, MetricValue>;
  reset(): void;
  /** The accumulated state as plain JSON (for checkpoints). */
  state(): unknown;
  load(state: unknown): void;
}

/** What metric factories know about the task. */
export interface MetricContext {
  numClasses?: number;
}

/** A registered metric: `{ "type": name, ...options }` in `training.metrics`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type MetricDef<O = any> = Component<O, Metric, MetricContext>;

/** Predicted class per row of `[..., C]` logits, and the row count. */
export function argmaxRows(t: Tensor): Int32Array {
  const c = t.dims[t.dims.length - 1];
  const d = t.data as Float32Array;
  const rows = d.length / c;
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    let best = 0;
    const o = i * c;
    for (let k = 1; k < c; k++) if (d[o + k] > d[o + best]) best = k;
    out[i] = best;
  }
  return out;
}

/** True class per sample: int labels as they are, one-hot/probability rows by argmax. */
export function classLabels(label: Tensor, prediction: Tensor): Int32Array {
  if (label.dtype === 'int64' || label.dtype === 'int32')
    return Int32Array.from(label.data as BigInt64Array | Int32Array, Number);
  if (
    label.data.length === prediction.data.length &&
    label.dims[label.dims.length - 1] === prediction.dims[prediction.dims.length - 1]
  )
    return argmaxRows(label);
  return Int32Array.from(label.data as Float32Array, (v) => Math.round(v));
}

/** Numbers of a float tensor as a plain array view. */
export function floats(t: Tensor): Float32Array | Float64Array {
  if (t.dtype === 'float32' || t.dtype === 'float64') return t.data as Float32Array;
  return Float64Array.from(t.data as BigInt64Array, Number);
}

/**
 * A mean accumulated over an epoch (`sum / n`), reported under the metric's name: the state, reset
 * and checkpointing shared by the loss mean and the element-wise regression errors.
 */
export abstract class RunningMean implements Metric {
  abstract readonly name: string;
  protected sum = 0;
  protected n = 0;
  abstract update(o: Observation): void;
  compute(): Record<string, MetricValue> {
    return { [this.name]: this.n ? this.sum / this.n : NaN };
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

/** Prediction and label values of a regression metric, which must have as many of each. */
export function regressionValues(
  metric: string,
  o: Observation,
): [Float32Array | Float64Array, Float32Array | Float64Array] {
  const p = floats(o.prediction);
  const y = floats(o.label);
  if (p.length !== y.length)
    throw new Error(
      `metric '${metric}': prediction has ${p.length} values but the label ${y.length}; it needs regression targets of the prediction's shape`,
    );
  return [p, y];
}
