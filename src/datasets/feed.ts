/**
 * From data batches to the training graph's feeds: features reshaped to the model's input,
 * targets converted to the loss's label (class indices, one-hot rows or float targets), and
 * micro-batches concatenated for gradient accumulation.
 */
import type { ValueInfo } from '../onnx/ir.js';
import { tensor, type Tensor } from '../onnx/tensor.js';
import type { DataBatch, DataSplit } from './data-split.js';
import { FeedError } from './errors.js';

/** One step's feeds: the model's data input(s) and the loss's label. */
export interface Batch {
  inputs: Record<string, Tensor>;
  label: Tensor;
}
import { UserError } from '../util/errors.js';

/** Concatenates tensors along the first axis. */
export function concatRows(ts: Tensor[]): Tensor {
  if (ts.length === 1) return ts[0];
  const first = ts[0];
  const rows = ts.reduce((n, t) => n + t.dims[0], 0);
  const out = tensor(first.dtype, [rows, ...first.dims.slice(1)]);
  let off = 0;
  for (const t of ts) {
    (out.data as Float32Array).set(t.data as Float32Array, off);
    off += t.data.length;
  }
  return out;
}

/** Builds feeds for one model input and label from data batches. */
export class FeedAdapter {
  constructor(
    private readonly input: ValueInfo,
    private readonly label: ValueInfo,
  ) {
    if (!input.shape) throw new Error(`model input '${input.name}' has no shape`);
  }

  /** Checks that the data's sample shape fits the model input (before the first batch). */
  check(sampleShape: number[], numClasses?: number, targetShape?: number[]): void {
    const want = this.input.shape!.slice(1);
    const per = sampleShape.reduce((a, b) => a * b, 1);
    const need = want.every((d) => typeof d === 'number') ? (want as number[]).reduce((a, b) => a * b, 1) : per;
    if (per !== need)
      throw new UserError(
        `the dataset's samples are [${sampleShape}] (${per} values) but model input '${this.input.name}' takes [${want.join(', ')}] (${need} values); pick a matching model or dataset`,
      );
    const ls = this.label.shape ?? [];
    if (
      this.label.dtype !== 'int64' &&
      ls.length === 2 &&
      typeof ls[1] === 'number' &&
      numClasses &&
      ls[1] !== numClasses
    ) {
      throw new UserError(`the loss needs labels of width ${ls[1]} but the dataset has ${numClasses} classes`);
    }
    const tail = ls.slice(1);
    if (
      targetShape &&
      (this.label.dtype === 'int64' ||
        (tail.every((d) => typeof d === 'number') &&
          (tail as number[]).reduce((a, b) => a * b, 1) !== targetShape.reduce((a, b) => a * b, 1)))
    ) {
      throw new FeedError(
        this.label.dtype === 'int64'
          ? `dataset.targets gives float vectors of width ${targetShape} but the loss takes class labels; use mse, huber or cosine_embedding`
          : `dataset.targets gives vectors of width ${targetShape} but the model's output (the loss's prediction) is [${ls.join(', ')}]; choose model.output, or put a head of that width on it (model.headReplace: { "output": ..., "classes": ${targetShape} })`,
      );
    }
  }

  /**
   * A model exported with a fixed batch size (input dimension 0 a number, 1 typically) takes only
   * batches of exactly that size: says so before the first step, with the remedy, instead of
   * failing inside ONNX Runtime at the first batch of another size.
   */
  checkBatch(o: {
    batchSize: number;
    evalBatchSize: number;
    dropLast: boolean;
    train: DataSplit;
    evals: Array<[string, DataSplit]>;
  }): void {
    const fixed = this.input.shape![0];
    if (typeof fixed !== 'number') return;
    const problems: string[] = [];
    if (o.batchSize !== fixed) problems.push(`training.batchSize is ${o.batchSize}`);
    else if (!o.dropLast && o.train.size % fixed)
      problems.push(`the last training batch holds ${o.train.size % fixed} samples (set training.dropLast: true)`);
    if (o.evals.length && o.evalBatchSize !== fixed) problems.push(`training.evalBatchSize is ${o.evalBatchSize}`);
    else
      for (const [name, e] of o.evals)
        if (e.size % fixed) {
          problems.push(`the last ${name} batch holds ${e.size % fixed} samples`);
          break;
        }
    if (!problems.length) return;
    throw new FeedError(
      `model input '${this.input.name}' is fixed at batch size ${fixed} (its first dimension is ${fixed}, not symbolic) but ${problems.join(' and ')}`,
      {
        hint: `re-export the model with a dynamic batch dimension (PyTorch: torch.onnx.export(..., dynamic_axes={'${this.input.name}': {0: 'batch'}})), or set training.batchSize and training.evalBatchSize to ${fixed}`,
      },
    );
  }

  /** One step's feeds from its micro-batches. */
  batch(parts: DataBatch[]): Batch {
    const x = concatRows(parts.map((p) => p.features));
    const y = concatRows(parts.map((p) => p.target));
    const n = x.dims[0];
    const dims = this.input.shape!.map((d, i) => (i === 0 ? n : typeof d === 'number' ? d : x.dims[i]));
    const features: Tensor =
      dims.every((d) => typeof d === 'number') && dims.reduce((a, b) => a * b, 1) === x.data.length
        ? { ...x, dims }
        : x;
    return { inputs: { [this.input.name]: features }, label: this.toLabel(y, n) };
  }

  private toLabel(y: Tensor, n: number): Tensor {
    const want = this.label.dtype;
    if (y.dtype === want) {
      const ls = this.label.shape ?? [];
      return ls.length &&
        ls.length !== y.dims.length &&
        y.data.length === n * ls.slice(1).reduce<number>((a, d) => a * (typeof d === 'number' ? d : 1), 1)
        ? { ...y, dims: [n, ...ls.slice(1).map((d) => (typeof d === 'number' ? d : 1))] }
        : y;
    }
    if (want === 'float32' && y.dtype === 'int64') {
      const ls = this.label.shape ?? [];
      const width = ls.length >= 2 && typeof ls[ls.length - 1] === 'number' ? (ls[ls.length - 1] as number) : 1;
      const src = y.data as BigInt64Array;
      if (width > 1) {
        // one-hot rows for BCE / MSE on class targets
        const out = new Float32Array(n * width);
        for (let i = 0; i < n; i++) out[i * width + Number(src[i])] = 1;
        return tensor('float32', [n, width], out);
      }
      return tensor('float32', ls.length >= 2 ? [n, 1] : [n], Float32Array.from(src, Number));
    }
    throw new Error(`the loss needs ${want} labels but the dataset gives ${y.dtype} targets`);
  }
}
