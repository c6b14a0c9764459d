/**
 * `label_encoding`: the mapping between class names and label indices. At training time labels
 * are already indices (the cache stores them so); baked, it adds an output with the predicted
 * class name (ArgMax over the last axis of the scores, then Gather from the names).
 */
import { str } from '../../config/schema.js';
import { DatasetError } from '../errors.js';
import { tensor } from '../../onnx/tensor.js';
import type { Fitted, PreprocessorKind } from './preprocessor.js';

export interface LabelEncodingFitted extends Fitted {
  type: 'label_encoding';
  classes: string[];
  output: string;
}

export const labelEncoding: PreprocessorKind<{ output: string }, LabelEncodingFitted> = {
  type: 'label_encoding',
  description: 'adds a model output with the class name of the highest score (string tensor)',
  options: { output: str({ minLength: 1, default: 'class_name', doc: 'name of the class-name output of model.onnx' }) },
  create: (r: { output: string }) => ({ output: r.output }),
  fit: (s, _train, classes) => ({ type: 'label_encoding', classes: [...classes], output: s.output }),
  apply: (_p, x) => x,
  bakeOutput(p, b, scores) {
    const idx = b.op('ArgMax', [scores], { axis: -1, keepdims: 0 });
    const names = b.initializer(tensor('string', [p.classes.length], [...p.classes]), 'class_names');
    b.emit('Gather', [names, idx], [p.output], { axis: 0 });
    return [{ name: p.output, dtype: 'string', shape: ['N'] }];
  },
};

/** Class index of each name in `names` (training-time encoding of raw labels). */
export function encodeLabels(p: LabelEncodingFitted, names: string[]): Int32Array {
  const index = new Map(p.classes.map((c, i) => [c, i]));
  return Int32Array.from(names, (n) => {
    const i = index.get(n);
    if (i === undefined)
      throw new DatasetError(`label ${JSON.stringify(n)} is not one of the classes ${JSON.stringify(p.classes)}`);
    return i;
  });
}
