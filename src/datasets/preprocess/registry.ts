/** The preprocessor registry, built from the kinds' module exports. */
import { Registry } from '../../config/component.js';
import { DatasetError } from '../errors.js';
import { imageNormalize } from './image-normalize.js';
import { labelEncoding } from './label-encoding.js';
import { minMax } from './min-max.js';
import type { Fitted, PreprocessorKind } from './preprocessor.js';
import { standardize } from './standardize.js';

/** Every preprocessor kind by type. */
export const PREPROCESSORS = new Registry<PreprocessorKind<unknown, Fitted>>('preprocessor', [
  standardize,
  minMax,
  imageNormalize,
  labelEncoding,
] as never);

/** The kind of a fitted object read back (preprocessors.json); the error lists the valid types. */
export function preprocessorKind(type: unknown, where: string): PreprocessorKind<unknown, Fitted> {
  const k = typeof type === 'string' ? PREPROCESSORS.get(type) : undefined;
  if (!k)
    throw new DatasetError(
      `expected one of ${PREPROCESSORS.types().join(', ')} for ${where}.type but got ${type === undefined ? 'nothing' : JSON.stringify(type)}`,
    );
  return k;
}
