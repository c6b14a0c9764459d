/**
 * The datasets shipped with the package (no network): `digits` (UCI handwritten digits, 1,797
 * 8x8 images as 64 features in [0, 1]) and `iris` (150 samples, 4 features in cm). Attribution:
 * data/builtin/ATTRIBUTION.md.
 */
import { builtinDataPath, loadDigits, loadIris, type TabularDataset } from '../builtin.js';
import type { DatasetSource, IngestedData } from '../types.js';

function builtin(
  name: string,
  describe: string,
  file: string,
  load: () => TabularDataset,
  featureNames: string[],
): DatasetSource<Record<string, never>> {
  return {
    type: name,
    description: describe,
    options: {},
    create: () => ({}),
    files: async () => [{ key: file, path: builtinDataPath(file) }],
    keyOptions: () => ({}),
    ingest: async (): Promise<IngestedData> => {
      const d = load();
      return {
        kind: 'tabular',
        featureNames,
        features: d.features,
        labels: d.labels,
        classes: d.classes,
        count: d.count,
        skipped: [],
      };
    },
  };
}

const pixels = Array.from({ length: 64 }, (_, i) => `pixel_${Math.floor(i / 8)}_${i % 8}`);

export const digitsSource = builtin(
  'digits',
  'built-in: UCI handwritten digits, 1,797 samples of 8x8 pixels (64 features in [0, 1]), 10 classes',
  'digits.csv.gz',
  loadDigits,
  pixels,
);
export const irisSource = builtin(
  'iris',
  "built-in: Fisher's iris, 150 samples, 4 features (cm), 3 classes",
  'iris.csv',
  loadIris,
  ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
);
