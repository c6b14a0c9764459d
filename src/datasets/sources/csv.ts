/**
 * `csv`: numeric feature columns plus a label column named in the header. Labels are categorical:
 * their distinct values become the classes (in `classes` order when given, otherwise sorted,
 * numerically when all are numbers). Missing values follow `missing`; malformed rows (wrong field
 * count, text in a numeric column, no label) follow `onError`, reported as `file:line`.
 */
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { DatasetError } from '../errors.js';
import { arr, check, oneOf, opt, str } from '../../config/schema.js';
import type { DatasetSource, IngestedData, OnError, SkippedItem } from '../types.js';
import { csvHeader, parseCsv } from './csv-parse.js';
import { requireFile } from './fs-helpers.js';

/** Validated options of the csv source. */
export interface CsvOptions {
  path: string;
  /** Header name of the label column. */
  label: string;
  /** Feature columns in order; default every column but the label. */
  features?: string[];
  delimiter: string;
  /** Fields read as missing. */
  missingValues: string[];
  /** fail: error at the first missing value; skip_row: drop the row; fill_mean / fill_zero: impute. */
  missing: 'fail' | 'skip_row' | 'fill_mean' | 'fill_zero';
  /** Class names in label order; other label values are errors. */
  classes?: string[];
  onError: OnError;
}

const MISSING = ['fail', 'skip_row', 'fill_mean', 'fill_zero'] as const;

const options = {
  path: str({ minLength: 1, doc: 'the CSV file (a header line, then one sample per row)' }),
  label: str({ minLength: 1, doc: 'header name of the label column' }),
  features: opt(
    check(arr(str(), { doc: 'feature columns in order (default: every column but the label)' }), (v, path) =>
      v.length
        ? undefined
        : `expected a non-empty array of column names (or leave it out for every column but the label) for ${path} but got []`,
    ),
  ),
  delimiter: check(str({ default: ',', doc: 'field separator: one character' }), (v, path) =>
    v.length === 1 && v !== '"' && v !== '\n'
      ? undefined
      : `expected one character other than a quote or newline for ${path} but got ${JSON.stringify(v)}`,
  ),
  missingValues: arr(str(), { default: ['', 'NA', 'NaN', 'nan', 'null', '?'], doc: 'fields read as missing' }),
  missing: oneOf(MISSING, {
    default: 'fail',
    doc: 'a missing feature: fail, skip_row, or impute with fill_mean / fill_zero',
  }),
  classes: opt(arr(str(), { doc: 'class names in label order; other label values are errors' })),
  onError: oneOf(['fail', 'skip'] as const, {
    default: 'fail',
    doc: "a malformed row: 'fail' stops, 'skip' leaves it out and lists it",
  }),
};

function sortClasses(values: string[]): string[] {
  const numeric = values.every((v) => v.trim() !== '' && Number.isFinite(Number(v)));
  return numeric ? [...values].sort((a, b) => Number(a) - Number(b)) : [...values].sort();
}

async function ingest(o: CsvOptions): Promise<IngestedData> {
  const file = o.path;
  const name = basename(file);
  const records = parseCsv(await readFile(file, 'utf8'), file, o.delimiter);
  if (records.length === 0) throw new DatasetError(`${file} is empty; expected a header line and data rows`);
  const header = csvHeader(records[0], file);
  const col = (h: string, what: string) => {
    const k = header.indexOf(h);
    if (k < 0)
      throw new DatasetError(`${what} '${h}' is not a column of ${file}; its columns are ${header.join(', ')}`);
    return k;
  };
  const labelCol = col(o.label, 'label column');
  const featureNames = o.features ?? header.filter((_, k) => k !== labelCol);
  const featureCols = featureNames.map((h) => col(h, 'feature column'));
  if (featureCols.length === 0) throw new DatasetError(`${file} has no feature columns besides the label '${o.label}'`);
  const skipped: SkippedItem[] = [];
  const bad = (line: number, reason: string) => {
    if (o.onError === 'fail')
      throw new DatasetError(`${file}:${line}: ${reason}; fix the row or set onError: "skip" to leave such rows out`);
    skipped.push({ file: name, line, reason });
  };
  const missingSet = new Set(o.missingValues);
  const rows: { line: number; x: Float64Array; label: string }[] = [];
  for (const r of records.slice(1)) {
    if (r.fields.length !== header.length) {
      bad(r.line, `expected ${header.length} fields (as in the header) but got ${r.fields.length}`);
      continue;
    }
    const label = r.fields[labelCol].trim();
    if (missingSet.has(label)) {
      bad(r.line, `the label column '${o.label}' is empty`);
      continue;
    }
    const x = new Float64Array(featureCols.length);
    let reason = '';
    let missing = '';
    for (let j = 0; j < featureCols.length && !reason; j++) {
      const raw = r.fields[featureCols[j]].trim();
      if (missingSet.has(raw)) {
        x[j] = NaN;
        missing ||= featureNames[j];
        continue;
      }
      const v = Number(raw);
      if (!Number.isFinite(v)) reason = `column '${featureNames[j]}' should be a number but is ${JSON.stringify(raw)}`;
      x[j] = v;
    }
    if (reason) {
      bad(r.line, reason);
      continue;
    }
    if (missing) {
      if (o.missing === 'fail')
        throw new DatasetError(
          `${file}:${r.line}: column '${missing}' has a missing value; set missing to "skip_row", "fill_mean" or "fill_zero", or fill it in`,
        );
      if (o.missing === 'skip_row') {
        skipped.push({ file: name, line: r.line, reason: `missing value in column '${missing}'` });
        continue;
      }
    }
    rows.push({ line: r.line, x, label });
  }
  if (rows.length === 0)
    throw new DatasetError(
      `${file} has no usable data rows (${skipped.length} skipped); check the delimiter and the missing-value policy`,
    );
  const nf = featureCols.length;
  if (o.missing === 'fill_mean' || o.missing === 'fill_zero') {
    for (let j = 0; j < nf; j++) {
      let s = 0,
        k = 0;
      for (const r of rows)
        if (!Number.isNaN(r.x[j])) {
          s += r.x[j];
          k++;
        }
      const fill = o.missing === 'fill_zero' || k === 0 ? 0 : s / k;
      for (const r of rows) if (Number.isNaN(r.x[j])) r.x[j] = fill;
    }
  }
  const distinct = [...new Set(rows.map((r) => r.label))];
  const classes = o.classes ?? sortClasses(distinct);
  const index = new Map(classes.map((c, i) => [c, i]));
  const features = new Float32Array(rows.length * nf);
  const labels = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    const l = index.get(r.label);
    if (l === undefined)
      throw new DatasetError(
        `${file}:${r.line}: label ${JSON.stringify(r.label)} is not one of the classes ${JSON.stringify(classes)}; add it to classes or remove the row`,
      );
    labels[i] = l;
    features.set(r.x, i * nf);
  });
  return {
    kind: 'tabular',
    featureNames,
    features,
    labels,
    classes,
    count: rows.length,
    items: rows.map((r) => `${name}:${r.line}`),
    skipped,
  };
}

export const csvSource: DatasetSource<CsvOptions> = {
  type: 'csv',
  description: 'a CSV file: numeric feature columns and a categorical label column named in the header',
  options,
  create: (r: CsvOptions): CsvOptions => ({ ...r, path: resolve(r.path) }),
  files: async (o) => {
    await requireFile(o.path, 'the csv file');
    return [{ key: 'file', path: o.path }];
  },
  keyOptions: ({ path: _path, ...rest }) => rest,
  ingest,
};
