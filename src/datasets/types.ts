/**
 * The dataset source contract. A source module exports one `DatasetSource`; the registry is built
 * from those exports (sources/index.ts), so adding a source touches one file.
 */

import type { Component } from '../config/component.js';

/** Per-sample failure handling: stop at the first bad item, or skip it and list it. */
export type OnError = 'fail' | 'skip';

/** An item left out of the dataset, and why (file, and line where it applies). */
export interface SkippedItem {
  file: string;
  line?: number;
  reason: string;
}

/** Ingest progress: `done` of `total` items (files or rows). */
export interface Progress {
  done: number;
  total: number;
}

/** What a source's ingest may use. */
export interface IngestContext {
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
}

/** Decoded images: uint8 HWC pixels, row-major over samples. */
export interface ImageData {
  kind: 'image';
  /** [height, width, channels] of every image. */
  shape: [number, number, number];
  pixels: Uint8Array;
}

/** Numeric features: float32, row-major [count, featureNames.length]. */
export interface TabularData {
  kind: 'tabular';
  featureNames: string[];
  features: Float32Array;
}

/** A dataset in memory, in the cache's canonical form. */
export type DatasetData = (ImageData | TabularData) & {
  count: number;
  /** Class index per sample, in [0, classes.length). */
  labels: Int32Array;
  /** Class names; index i is label i. */
  classes: string[];
};

/** What a source's ingest returns: the data plus where each sample came from and what was left out. */
export type IngestedData = DatasetData & {
  /** Per-sample origin (relative file name, or `file:line`), kept in the cache metadata when short. */
  items?: string[];
  skipped: SkippedItem[];
};

/** One input file: `path` is read and hashed by content; `key` (a role or a relative name that
 * changes the result, like `cat/1.jpg`) enters the cache key with it. */
export interface SourceFile {
  key: string;
  path: string;
}

/**
 * One dataset source: a component (`options` declared with the schema toolkit, validated by the
 * registry with every issue at once; `create` turns the resolved options into the source's typed
 * options, paths made absolute) plus the steps that read the data.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface DatasetSource<O = unknown> extends Component<any, O> {
  /** The input files, found without decoding them. */
  files(options: O): Promise<SourceFile[]>;
  /** The options that change the ingested result (paths excluded: contents are hashed). */
  keyOptions(options: O): unknown;
  ingest(options: O, ctx: IngestContext): Promise<IngestedData>;
}
