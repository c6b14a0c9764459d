/** `standardize`: (x - mean) / std per feature, fitted on the training split (population std; 1 where it is 0). */
import { asFloat, type Fitted, type PreprocessorKind, type Samples } from './preprocessor.js';

const f = Math.fround;

export interface StandardizeFitted extends Fitted {
  type: 'standardize';
  mean: number[];
  std: number[];
}

/** Per-feature mean and population std in float64, std 1 where the feature is constant. */
export function featureStats(x: Samples): { mean: number[]; std: number[]; min: number[]; max: number[] } {
  const { count, values } = asFloat(x);
  const n = values.length / count;
  const mean = new Float64Array(n);
  const m2 = new Float64Array(n);
  const min = new Array<number>(n).fill(Infinity);
  const max = new Array<number>(n).fill(-Infinity);
  for (let k = 0; k < count; k++) {
    for (let j = 0; j < n; j++) {
      const v = values[k * n + j];
      const d = v - mean[j];
      mean[j] += d / (k + 1);
      m2[j] += d * (v - mean[j]);
      if (v < min[j]) min[j] = v;
      if (v > max[j]) max[j] = v;
    }
  }
  return { mean: Array.from(mean, f), std: Array.from(m2, (v) => f(Math.sqrt(v / count)) || 1), min, max };
}

export const standardize: PreprocessorKind<Record<string, never>, StandardizeFitted> = {
  type: 'standardize',
  description: 'per feature (x - mean) / std, fitted on the training part (tabular data)',
  options: {},
  create: () => ({}),
  fit(_s, train) {
    const { mean, std } = featureStats(train);
    return { type: 'standardize', mean, std };
  },
  apply(p, x) {
    const v = asFloat(x);
    const n = p.mean.length;
    const out = new Float32Array(v.values.length);
    for (let i = 0; i < out.length; i++) out[i] = f(f(v.values[i] - p.mean[i % n]) / p.std[i % n]);
    return { kind: 'float', count: v.count, sampleShape: v.sampleShape, values: out };
  },
  bakeInput(p, b, input) {
    const shape = [p.mean.length];
    return b.op(
      'Div',
      [b.op('Sub', [input, b.constant('float32', p.mean, shape)]), b.constant('float32', p.std, shape)],
      {},
      'standardize',
    );
  },
};
