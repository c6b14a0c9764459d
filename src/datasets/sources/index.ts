/** The source registry, built from the source modules' exports: adding a source touches one line. */
import { DatasetError } from '../errors.js';
import type { DatasetSource } from '../types.js';
import { arrowSource } from './arrow.js';
import { digitsSource, irisSource } from './builtin.js';
import { csvSource } from './csv.js';
import { idxSource } from './idx.js';
import { imageFolderSource } from './image-folder.js';

const ALL: DatasetSource<never>[] = [imageFolderSource, csvSource, arrowSource, idxSource, digitsSource, irisSource] as DatasetSource<never>[];

/** Every registered source by name. */
export const SOURCES: ReadonlyMap<string, DatasetSource<unknown>> = new Map(ALL.map((s) => [s.name, s as DatasetSource<unknown>]));

/** The source named `type`; the error lists the valid names. */
export function getSource(type: unknown, where = 'dataset'): DatasetSource<unknown> {
  const s = typeof type === 'string' ? SOURCES.get(type) : undefined;
  if (!s) throw new DatasetError(`expected one of ${[...SOURCES.keys()].join(', ')} for ${where}.type but got ${type === undefined ? 'nothing' : JSON.stringify(type)}`);
  return s;
}
