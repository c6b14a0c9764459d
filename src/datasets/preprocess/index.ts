/**
 * Preprocessing: the registry of kinds (built from their modules), fitting a list on the training
 * split, applying it at training time, JSON round trips, the native loader plan fragment, and
 * `bakePreprocessing`, which prepends the steps to an inference model as ONNX nodes.
 */
import { optionsOf, type ComponentSpec } from '../../config/component.js';
import { DatasetError, isObj } from '../errors.js';
import type { DatasetData } from '../types.js';
import type { Fitted, PreprocessorKind, Samples } from './preprocessor.js';
import { preprocessorKind } from './registry.js';

export { bakePreprocessing } from './bake.js';
export { PREPROCESSORS, preprocessorKind } from './registry.js';
export type { Fitted, Samples, PreprocessorKind } from './preprocessor.js';

/** A validated preprocessing list: each kind with its typed options. */
export type PreprocessSpec = { kind: PreprocessorKind<unknown, Fitted>; options: unknown }[];

/** The kinds of a resolved preprocessing list (validated by datasets/spec.ts) with their typed options. */
export function preprocessSpecs(list: readonly ComponentSpec[]): PreprocessSpec {
  return list.map((s, i) => {
    const kind = preprocessorKind(s.type, `preprocess[${i}]`);
    return { kind, options: kind.create(optionsOf(s), undefined) };
  });
}

/** The samples of `rows` of a dataset, as preprocessors see them. */
export function samplesOf(d: DatasetData, rows?: ArrayLike<number>): Samples {
  const width = d.kind === 'image' ? d.shape[0] * d.shape[1] * d.shape[2] : d.featureNames.length;
  const src = d.kind === 'image' ? d.pixels : d.features;
  let values: Uint8Array | Float32Array = src;
  const count = rows ? rows.length : d.count;
  if (rows) {
    values = d.kind === 'image' ? new Uint8Array(count * width) : new Float32Array(count * width);
    for (let k = 0; k < count; k++)
      (values as Uint8Array).set(src.subarray(rows[k] * width, (rows[k] + 1) * width) as Uint8Array, k * width);
  }
  return d.kind === 'image'
    ? { kind: 'image', count, shape: d.shape, pixels: values as Uint8Array }
    : { kind: 'float', count, sampleShape: [width], values: values as Float32Array };
}

/** Fits each step in order on the training samples (each on the output of the ones before it). */
export function fitPreprocess(spec: PreprocessSpec, train: Samples, classes: string[]): Fitted[] {
  const fitted: Fitted[] = [];
  let x = train;
  spec.forEach(({ kind, options }, i) => {
    const f = kind.fit(options, x, classes);
    fitted.push(f);
    // The next step fits on this one's output; the last one's output is not needed.
    if (i < spec.length - 1) x = kind.apply(f, x);
  });
  return fitted;
}

/** The training-time transform: applies fitted steps in order. */
export function applyPreprocess(fitted: Fitted[], x: Samples): Samples {
  return fitted.reduce((acc, f, i) => preprocessorKind(f.type, `preprocessors[${i}]`).apply(f, acc), x);
}

/** Checks fitted preprocessors read back from JSON (type known, an object). */
export function parseFitted(json: unknown, where = 'preprocessors'): Fitted[] {
  if (!Array.isArray(json)) throw new DatasetError(`expected an array of fitted preprocessors in ${where}`);
  return json.map((f, i) => {
    if (!isObj(f)) throw new DatasetError(`expected an object for ${where}[${i}] but got ${JSON.stringify(f)}`);
    preprocessorKind(f.type, `${where}[${i}]`);
    return f as Fitted;
  });
}
