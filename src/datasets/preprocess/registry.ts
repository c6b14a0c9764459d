/** The preprocessor registry, built from the kinds' module exports. */
import { DatasetError } from '../errors.js';
import { imageNormalize } from './image-normalize.js';
import { labelEncoding } from './label-encoding.js';
import { minMax } from './min-max.js';
import type { Fitted, PreprocessorKind } from './preprocessor.js';
import { standardize } from './standardize.js';

const KINDS: PreprocessorKind<never, never>[] = [standardize, minMax, imageNormalize, labelEncoding] as never;

/** Every preprocessor kind by type name. */
export const PREPROCESSORS: ReadonlyMap<string, PreprocessorKind<unknown, Fitted>> = new Map(KINDS.map((k) => [k.type, k as PreprocessorKind<unknown, Fitted>]));

/** The kind of a spec or fitted object; the error lists the valid types. */
export function preprocessorKind(type: unknown, where: string): PreprocessorKind<unknown, Fitted> {
  const k = typeof type === 'string' ? PREPROCESSORS.get(type) : undefined;
  if (!k) throw new DatasetError(`expected one of ${[...PREPROCESSORS.keys()].join(', ')} for ${where}.type but got ${type === undefined ? 'nothing' : JSON.stringify(type)}`);
  return k;
}

