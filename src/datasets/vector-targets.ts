/**
 * `dataset.targets`: float target vectors for regression and embedding training, one row per
 * sample, read from a CSV or Arrow file: the dataset's own file (a column of float vectors, or
 * several numeric columns) or a second file aligned row by row with the dataset's samples.
 *
 *   "targets": { "path": "targets.csv" }                  every column of a second CSV file
 *   "targets": { "columns": ["t0", "t1", "t2"] }          columns of the dataset's own file
 *   "targets": { "path": "emb.arrow", "column": "emb" }   one FixedSizeList<float> column
 *
 * Row i is the target of sample i in the order the source read them, so the row counts must agree
 * and the source must have skipped nothing. The targets are read at run time, after the source's
 * ingest; they do not enter the dataset cache.
 */
import { readFileSync } from 'node:fs';
import { extname, isAbsolute, resolve } from 'node:path';
import { tableFromIPC, type Table } from 'apache-arrow';
import type { Issue } from '../config/schema.js';
import { DatasetError } from './errors.js';
import { arrowLayoutProblem } from './arrow-check.js';
import { csvHeader, parseCsv } from './sources/csv-parse.js';

/** The validated `dataset.targets` block. */
export interface TargetsBlock {
  /** The targets file (default: the dataset's `path`). */
  path?: string;
  /** Numeric columns, in order, that make the vector (CSV or Arrow). */
  columns?: string[];
  /** One Arrow column of fixed-size lists of numbers. */
  column?: string;
}

/** Targets as read: `width` floats per sample, row-major. */
export interface VectorTargets {
  width: number;
  values: Float32Array;
  /** The names of the columns read (a list column's elements as `name[j]`). */
  names: string[];
}

const KEYS = ['path', 'columns', 'column'];
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** Checks `dataset.targets` (every problem into `issues`). */
export function checkTargetsBlock(v: unknown, path: string, issues: Issue[], datasetPath: unknown): void {
  const at = `${path}.targets`;
  if (!isObj(v)) {
    issues.push({
      path: at,
      message: `expected an object { "path"?, "columns"?, "column"? } for ${at} but got ${JSON.stringify(v)}`,
    });
    return;
  }
  for (const k of Object.keys(v))
    if (!KEYS.includes(k))
      issues.push({ path: `${at}.${k}`, message: `unknown key ${at}.${k}; valid keys of ${at}: ${KEYS.join(', ')}` });
  if (v.path !== undefined && !nonEmpty(v.path))
    issues.push({
      path: `${at}.path`,
      message: `expected a file path (.csv, .arrow, .feather) for ${at}.path but got ${JSON.stringify(v.path)}`,
    });
  if (v.columns !== undefined && !(Array.isArray(v.columns) && v.columns.length > 0 && v.columns.every(nonEmpty)))
    issues.push({
      path: `${at}.columns`,
      message: `expected a non-empty array of column names for ${at}.columns but got ${JSON.stringify(v.columns)}`,
    });
  if (v.column !== undefined && !nonEmpty(v.column))
    issues.push({
      path: `${at}.column`,
      message: `expected the name of a list column for ${at}.column but got ${JSON.stringify(v.column)}`,
    });
  if (v.column !== undefined && v.columns !== undefined)
    issues.push({
      path: at,
      message: `${at}: give "column" (one list column) or "columns" (numeric columns), not both`,
    });
  if (v.path === undefined && !nonEmpty(datasetPath))
    issues.push({
      path: `${at}.path`,
      message: `missing ${at}.path: this dataset source has no file of its own to read target columns from; give the targets file`,
    });
  if (v.path === undefined && v.columns === undefined && v.column === undefined)
    issues.push({
      path: at,
      message: `${at}: name the target columns of the dataset's file with "columns" (or "column" for a list column), or give a second file with "path"`,
    });
}

function isArrow(file: string, bytes: Buffer): boolean {
  return (
    ['.arrow', '.feather', '.ipc', '.arrows'].includes(extname(file).toLowerCase()) ||
    bytes.subarray(0, 6).toString('latin1') === 'ARROW1'
  );
}

function readCsv(file: string, text: string, columns: string[] | undefined, where: string): VectorTargets {
  const records = parseCsv(text, file);
  const header = csvHeader(records[0], file);
  const names = columns ?? header;
  const idx = names.map((n) => {
    const i = header.indexOf(n);
    if (i < 0)
      throw new DatasetError(
        `${where}.columns: '${n}' is not a column of '${file}'; its columns are ${header.join(', ')}`,
      );
    return i;
  });
  const rows = records.slice(1);
  const values = new Float32Array(rows.length * names.length);
  rows.forEach((r, k) =>
    idx.forEach((i, j) => {
      const x = Number(r.fields[i]);
      if (r.fields[i] === undefined || r.fields[i].trim() === '' || !Number.isFinite(x)) {
        throw new DatasetError(
          `${file}:${r.line}: target column '${names[j]}' holds ${JSON.stringify(r.fields[i] ?? '')}; ${where} needs a finite number in every target cell`,
        );
      }
      values[k * names.length + j] = x;
    }),
  );
  return { width: names.length, values, names };
}

function readArrow(file: string, bytes: Buffer, o: TargetsBlock, where: string): VectorTargets {
  const problem = arrowLayoutProblem(bytes);
  if (problem)
    throw new DatasetError(
      `${where}: '${file}' is truncated or corrupt (${problem}); write it again with pyarrow.feather.write_feather(table, path, compression="uncompressed")`,
    );
  let t: Table;
  try {
    t = tableFromIPC(bytes);
  } catch (e) {
    throw new DatasetError(`${where}: cannot read '${file}' as Arrow IPC or Feather v2 (${(e as Error).message})`, {
      cause: e,
    });
  }
  const col = (name: string) => {
    const c = t.getChild(name);
    if (!c)
      throw new DatasetError(
        `${where}: '${name}' is not a column of '${file}'; its columns are ${t.schema.fields.map((f) => f.name).join(', ')}`,
      );
    if (c.nullCount)
      throw new DatasetError(
        `${where}: column '${name}' of '${file}' has ${c.nullCount} null value(s); every sample needs a target`,
      );
    return c;
  };
  const n = t.numRows;
  if (o.column !== undefined || (o.columns === undefined && t.schema.fields.length === 1)) {
    const name = o.column ?? t.schema.fields[0].name;
    const c = col(name);
    const size = (c.type as { listSize?: number }).listSize;
    if (!size)
      throw new DatasetError(
        `${where}.column: column '${name}' of '${file}' is ${String(c.type)}; expected a FixedSizeList of numbers (one vector per row)`,
      );
    const values = new Float32Array(n * size);
    for (let r = 0; r < n; r++) values.set(Array.from(c.get(r) as Iterable<number | bigint>, Number), r * size);
    return { width: size, values, names: Array.from({ length: size }, (_, j) => `${name}[${j}]`) };
  }
  const names = o.columns ?? t.schema.fields.map((f) => f.name);
  const cols = names.map(col);
  const values = new Float32Array(n * names.length);
  cols.forEach((c, j) => {
    if (!/^(u?int\d*|float\d*)$/i.test(String(c.type)))
      throw new DatasetError(
        `${where}.columns: column '${names[j]}' of '${file}' is ${String(c.type)}; expected numbers`,
      );
    for (let r = 0; r < n; r++) values[r * names.length + j] = Number(c.get(r));
  });
  return { width: names.length, values, names };
}

/**
 * Reads the targets of `count` samples. `datasetPath` is the dataset's own file (for targets in its
 * columns), `baseDir` what a relative `targets.path` resolves against, `skipped` how many rows the
 * source left out (rows would no longer line up).
 */
export function readVectorTargets(
  o: TargetsBlock,
  where: string,
  ctx: { datasetPath?: string; baseDir: string; count: number; skipped: number },
): VectorTargets {
  const own = o.path === undefined;
  const file = own ? ctx.datasetPath! : isAbsolute(o.path!) ? o.path! : resolve(ctx.baseDir, o.path!);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new DatasetError(
      `${where}.path: cannot read the targets file '${file}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check the path (relative paths resolve against the experiment file's directory)`,
      { cause: e },
    );
  }
  if (ctx.skipped)
    throw new DatasetError(
      `${where}: the dataset source skipped ${ctx.skipped} row(s) (dataset.onError / dataset.missing), so target rows no longer line up with the samples; fix or drop those rows in both files, or set the source to fail on them`,
    );
  if (o.column !== undefined && !isArrow(file, bytes))
    throw new DatasetError(
      `${where}.column: '${file}' is not an Arrow file; name CSV target columns with ${where}.columns`,
    );
  const t = isArrow(file, bytes)
    ? readArrow(file, bytes, o, where)
    : readCsv(file, bytes.toString('utf8'), o.columns, where);
  const rows = t.values.length / t.width;
  if (rows !== ctx.count)
    throw new DatasetError(
      `${where}: '${file}' holds ${rows} target rows but the dataset has ${ctx.count} samples; row i of the targets is the target of sample i, so the counts must agree`,
    );
  return t;
}
