/**
 * `gymnosd predict <model.onnx> <inputs...>`: runs an inference model on raw inputs (images read
 * with sharp, CSV rows, or an Arrow file from the dataset cache format) and prints one record per
 * sample as JSON or CSV. Models exported by `gymnosd train` have their fitted preprocessing baked
 * in, so images go in as uint8 [N, H, W, C] and features as the CSV holds them.
 */
import { readFileSync } from 'node:fs';
import { extname, basename } from 'node:path';
import type { Argv } from 'yargs';
import sharp from 'sharp';
import * as ort from 'onnxruntime-node';
import { decodeArrow } from '../../datasets/arrow-format.js';
import { csvHeader, parseCsv } from '../../datasets/sources/csv-parse.js';
import { UserError } from '../errors.js';
import { numericOption } from '../args.js';

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.tif', '.tiff', '.avif']);

interface Inputs { names: string[]; data: Uint8Array | Float32Array }

/** Images resized to the model's [H, W, C] (uint8 NHWC), or scaled to float NCHW for an un-baked model. */
async function readImages(files: string[], dims: number[], uint8: boolean): Promise<Inputs> {
  const [h, w, c] = uint8 ? [dims[1], dims[2], dims[3]] : [dims[2], dims[3], dims[1]];
  if (![h, w, c].every((d) => typeof d === 'number' && d > 0)) throw new UserError(`the model's image input has no fixed size ([${dims}]); cannot resize images for it`);
  const per = h * w * c;
  const px = new Uint8Array(files.length * per);
  for (const [i, f] of files.entries()) {
    let img = sharp(f).resize(w, h, { fit: 'fill' }).removeAlpha();
    img = c === 1 ? img.grayscale() : img.toColourspace('srgb');
    const { data } = await img.raw().toBuffer({ resolveWithObject: true });
    if (data.length !== per) throw new UserError(`${f}: decoded ${data.length} bytes, expected ${h}x${w}x${c}`);
    px.set(data, i * per);
  }
  if (uint8) return { names: files.map((f) => basename(f)), data: px };
  const out = new Float32Array(px.length);
  for (let n = 0; n < files.length; n++) for (let k = 0; k < c; k++) for (let p = 0; p < h * w; p++) out[n * per + k * h * w + p] = px[n * per + p * c + k] / 255;
  return { names: files.map((f) => basename(f)), data: out };
}

/** Numeric CSV rows: the given columns, or every column. */
function readCsv(file: string, columns: string[] | undefined, width: number): Inputs {
  const records = parseCsv(readFileSync(file, 'utf8'), file, ',');
  const header = csvHeader(records[0], file);
  const cols = (columns ?? header).map((c) => { const k = header.indexOf(c); if (k < 0) throw new UserError(`${file}: no column '${c}'; its columns are ${header.join(', ')}`); return k; });
  if (cols.length !== width) throw new UserError(`${file}: ${cols.length} columns but the model takes ${width} features; choose them with --columns`);
  const rows = records.slice(1).filter((r) => r.fields.some((f) => f.trim() !== ''));
  const data = new Float32Array(rows.length * width);
  rows.forEach((r, i) => cols.forEach((k, j) => {
    const v = Number(r.fields[k]);
    if (!Number.isFinite(v)) throw new UserError(`${file}:${r.line}: '${r.fields[k]}' in column '${header[k]}' is not a number`);
    data[i * width + j] = v;
  }));
  return { names: rows.map((r) => `${basename(file)}:${r.line}`), data };
}

function readArrow(file: string): Inputs {
  const d = decodeArrow(file);
  const names = Array.from({ length: d.count }, (_, i) => `${basename(file)}#${i}`);
  return { names, data: d.kind === 'image' ? d.pixels : d.features };
}

function csvLine(v: Array<string | number>): string {
  return v.map((x) => (typeof x === 'string' && /[",\n]/.test(x) ? `"${x.replace(/"/g, '""')}"` : String(x))).join(',');
}

export const predictCommand = {
  command: 'predict <model> <inputs..>',
  describe: 'Run an inference model (e.g. a run\'s model.onnx, preprocessing baked in) on raw inputs: images, CSV files or an Arrow file; prints JSON or CSV',
  builder: (y: Argv) => y
    .positional('model', { type: 'string', demandOption: true, describe: 'the .onnx model' })
    .positional('inputs', { type: 'string', array: true, demandOption: true, describe: 'image files, one or more .csv files, or an .arrow file' })
    .option('format', { choices: ['json', 'csv'] as const, default: 'json' as const, describe: 'output format' })
    .option('columns', { type: 'string', describe: 'CSV feature columns, comma-separated (default: every column)' })
    .option('batch', numericOption('batch', 'samples per session run', { integer: true, min: 1, default: 256 })),
  handler: async (a: { model: string; inputs: string[]; format: 'json' | 'csv'; columns?: string; batch: number }): Promise<number> => {
    const session = await ort.InferenceSession.create(a.model).catch((e: Error) => { throw new UserError(`cannot load ${a.model}: ${e.message}`); });
    const inputName = session.inputNames[0];
    const meta = (session.inputMetadata as unknown as Array<{ name: string; isTensor: boolean; type: string; shape: Array<number | string> }>).find((m) => m.name === inputName);
    const dims = (meta?.shape ?? []).map((d) => (typeof d === 'number' ? d : -1));
    const uint8 = meta?.type === 'uint8';
    const exts = new Set(a.inputs.map((f) => extname(f).toLowerCase()));
    let x: Inputs;
    if ([...exts].every((e) => IMAGE_EXT.has(e))) x = await readImages(a.inputs, dims, uint8);
    else if (exts.size === 1 && exts.has('.csv')) {
      const parts = a.inputs.map((f) => readCsv(f, a.columns?.split(',').map((s) => s.trim()), dims.slice(1).reduce((p, q) => p * q, 1)));
      const data = new Float32Array(parts.reduce((n, p) => n + p.data.length, 0));
      let off = 0;
      for (const p of parts) { data.set(p.data, off); off += p.data.length; }
      x = { names: parts.flatMap((p) => p.names), data };
    } else if (a.inputs.length === 1 && ['.arrow', '.feather', '.ipc'].includes([...exts][0])) x = readArrow(a.inputs[0]);
    else throw new UserError(`inputs must be image files (${[...IMAGE_EXT].join(', ')}), .csv files, or one .arrow file; got ${a.inputs.join(', ')}`);
    const n = x.names.length;
    const per = x.data.length / Math.max(1, n);
    const records: Array<Record<string, unknown>> = [];
    for (let s = 0; s < n; s += a.batch) {
      const m = Math.min(a.batch, n - s);
      const shape = [m, ...dims.slice(1).map((d, i) => (d > 0 ? d : i === dims.length - 2 ? per : 1))];
      const slice = x.data.subarray(s * per, (s + m) * per);
      const feed = uint8 ? new ort.Tensor('uint8', slice instanceof Uint8Array ? slice : Uint8Array.from(slice), shape) : new ort.Tensor('float32', slice instanceof Float32Array ? slice : Float32Array.from(slice), shape);
      const out = await session.run({ [inputName]: feed });
      for (let i = 0; i < m; i++) {
        const rec: Record<string, unknown> = { input: x.names[s + i] };
        for (const name of session.outputNames) {
          const t = out[name];
          const w = t.data.length / m;
          const row = Array.from((t.data as ArrayLike<number | bigint | string>)).slice(i * w, (i + 1) * w).map((v) => (typeof v === 'bigint' ? Number(v) : v));
          rec[name] = w === 1 ? row[0] : row;
        }
        records.push(rec);
      }
    }
    if (a.format === 'json') process.stdout.write(`${JSON.stringify(records, null, 1)}\n`);
    else {
      const cols = ['input', ...session.outputNames.flatMap((o) => (Array.isArray(records[0]?.[o]) ? (records[0][o] as unknown[]).map((_, k) => `${o}_${k}`) : [o]))];
      process.stdout.write(`${csvLine(cols)}\n`);
      for (const r of records) process.stdout.write(`${csvLine([r.input as string, ...session.outputNames.flatMap((o) => (Array.isArray(r[o]) ? r[o] as Array<string | number> : [r[o] as string | number]))])}\n`);
    }
    return 0;
  },
};
