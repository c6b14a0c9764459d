/**
 * The schema of a dataset spec, `{ "type": <source>, ...source options, "split", "preprocess" }`,
 * from the source and preprocessor registries: one declaration validates it (every issue of the
 * spec at once, with its path), fills its defaults and documents it. The experiment's `dataset`
 * block adds the trainer's keys (datasets/block.ts) to the same schema.
 */
import { arr, bool, check, int, num, obj, opt, type Props, type Schema } from '../config/schema.js';
import { Registry, type ComponentSpec } from '../config/component.js';
import { PREPROCESSORS } from './preprocess/registry.js';
import { SOURCES } from './sources/index.js';

const AMOUNT_DOC = 'a fraction in [0, 1) of the samples, or a whole count >= 1';

/** A split part: a fraction in [0, 1) or a whole count >= 1. */
const amount = (doc: string): Schema<number | undefined> =>
  opt(
    check(num({ doc: `${doc}: ${AMOUNT_DOC}` }), (v, path) =>
      v >= 0 && (v < 1 || Number.isInteger(v))
        ? undefined
        : `expected a fraction in [0, 1) or a whole count >= 1 for ${path} but got ${v}`,
    ),
  );

/** `split`: the validation and test parts (train gets the rest). */
export const splitSchema = check(
  obj(
    {
      validation: amount('the validation part'),
      test: amount('the test part'),
      seed: opt(int({ min: 0, doc: 'seed of the split (default: training.seed)' })),
      stratify: opt(bool({ doc: "keep each class's proportion in every part (default true, false for regression)" })),
    },
    { doc: 'train/validation/test split (default validation 0.1, test 0.2, stratified)' },
  ),
  (v, path) => {
    const { validation: fv, test: ft } = v;
    return fv !== undefined && ft !== undefined && fv < 1 && ft < 1 && fv + ft >= 1
      ? `expected fractions summing to less than 1 for ${path}.validation and ${path}.test but got ${fv} + ${ft} = ${+(fv + ft).toFixed(6)}, which leaves no training samples; lower one of them`
      : undefined;
  },
);

/** `preprocess`: preprocessors fitted on the training part, in order; image_normalize first. */
export const preprocessSchema = opt(
  check(
    arr(PREPROCESSORS.schema(), {
      doc: `preprocessors fitted on the training part and baked into model.onnx, in order: ${PREPROCESSORS.types().join(', ')}`,
    }),
    (list, path) => {
      const i = list.findIndex((p) => p.type === 'image_normalize');
      return i > 0
        ? `expected image_normalize first in ${path} but got it at ${path}[${i}]; it converts the raw uint8 images, so move it to the front`
        : undefined;
    },
  ),
);

/** The keys every dataset spec takes besides its source's options. */
export const SPEC_KEYS = { split: opt(splitSchema), preprocess: preprocessSchema } satisfies Props;

/** A dataset spec with `extra` keys beside the source options (each source a variant). */
export function datasetSpecSchema(
  extra: Props = SPEC_KEYS,
  doc = 'the data: { "type": source, ...options }',
): Schema<ComponentSpec> {
  const sources = SOURCES.list.map((s) => ({ ...s, options: { ...s.options, ...extra } }));
  return new Registry('dataset', sources).schema({ doc });
}
