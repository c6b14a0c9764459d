/** The source registry, built from the source modules' exports: adding a source touches one line. */
import { Registry } from '../../config/component.js';
import type { DatasetSource } from '../types.js';
import { arrowSource } from './arrow.js';
import { digitsSource, irisSource } from './builtin.js';
import { csvSource } from './csv.js';
import { idxSource } from './idx.js';
import { imageFolderSource } from './image-folder.js';

/** Every registered source by type. */
export const SOURCES = new Registry<DatasetSource<unknown>>('dataset', [
  imageFolderSource,
  csvSource,
  arrowSource,
  idxSource,
  digitsSource,
  irisSource,
] as DatasetSource<unknown>[]);
