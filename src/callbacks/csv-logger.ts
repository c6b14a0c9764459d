/**
 * `csv_logger`: one row per epoch (epoch, step, lr, training and validation scalars) in a CSV file
 * of your choosing (Keras' CSVLogger). metrics.csv is always written; this is for another place,
 * separator or an appending log across runs. Columns are fixed by the first row. A resumed run
 * keeps the rows of the epochs it does not redo.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { bool, str } from '../config/schema.js';
import type { Callback, CallbackContext, TrainerEvent } from '../trainer/events.js';
import type { CallbackDef } from './callback.js';

export interface CsvLoggerOptions {
  filename: string;
  separator: string;
  append: boolean;
}

export class CsvLogger implements Callback {
  readonly name: string;
  private path = '';
  private cols?: string[];

  constructor(
    readonly o: CsvLoggerOptions,
    index = 0,
  ) {
    this.name = `csv_logger#${index}`;
  }

  setup(ctx: CallbackContext): void {
    this.path = resolve(ctx.runDir, this.o.filename);
    mkdirSync(dirname(this.path), { recursive: true });
  }

  /** A new run starts the file over (unless appending); a resumed one drops the rows it will redo. */
  onFitStart(e: Extract<TrainerEvent, { type: 'fitStart' }>): void {
    const exists = existsSync(this.path);
    const lines = exists
      ? readFileSync(this.path, 'utf8')
          .split('\n')
          .filter((l) => l)
      : [];
    this.cols = lines[0]?.split(this.o.separator);
    if (e.resumed && lines.length) {
      // the rows of epochs that ended at or before the checkpoint's step stay; later ones are redone
      const at = this.cols!.indexOf('step');
      const keep = lines.slice(1).filter((l) => Number(l.split(this.o.separator)[at]) <= e.resumed!.step);
      writeFileSync(this.path, [lines[0], ...keep].map((l) => `${l}\n`).join(''));
    } else if (!this.o.append) {
      writeFileSync(this.path, '');
      this.cols = undefined;
    }
  }

  onEpochEnd(e: Extract<TrainerEvent, { type: 'epochEnd' }>): void {
    const row: Record<string, number> = { epoch: e.epoch, step: e.step, lr: e.lr };
    for (const [k, v] of Object.entries(e.train)) if (typeof v === 'number') row[k] = v;
    for (const [k, v] of Object.entries(e.validation ?? {})) if (typeof v === 'number') row[`val_${k}`] = v;
    let text = '';
    if (!this.cols?.length) {
      this.cols = Object.keys(row);
      text += `${this.cols.join(this.o.separator)}\n`;
    }
    text += `${this.cols.map((c) => row[c] ?? '').join(this.o.separator)}\n`;
    appendFileSync(this.path, text);
  }
}

export const csvLogger: CallbackDef<CsvLoggerOptions> = {
  type: 'csv_logger',
  description: 'append one row per epoch to a CSV file',
  options: {
    filename: str({ minLength: 1, default: 'training.csv', doc: 'file path, relative to the run directory' }),
    separator: str({ minLength: 1, default: ',', doc: 'column separator' }),
    append: bool({ default: false, doc: 'append to an existing file instead of starting it over' }),
  },
  create: (o, ctx) => new CsvLogger(o, ctx.index),
};
