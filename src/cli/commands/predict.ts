/**
 * `gymnosd predict <model.onnx> <inputs...>`: the library's `predict` (src/inference/) on image
 * files, CSV rows or an Arrow file, printed as one record per sample in JSON or CSV. Models
 * exported by `gymnosd train` have their fitted preprocessing baked in, so images go in as uint8
 * [N, H, W, C] and features as the CSV holds them.
 */
import type { Argv } from 'yargs';
import { predict, predictionRecords } from '../../inference/predict.js';
import { numericOption } from '../args.js';

function csvLine(v: Array<string | number>): string {
  return v.map((x) => (typeof x === 'string' && /[",\n]/.test(x) ? `"${x.replace(/"/g, '""')}"` : String(x))).join(',');
}

export const predictCommand = {
  command: 'predict <model> <inputs..>',
  describe:
    "Run an inference model (e.g. a run's model.onnx, preprocessing baked in) on raw inputs: images, CSV files or an Arrow file; prints JSON or CSV",
  builder: (y: Argv) =>
    y
      .positional('model', { type: 'string', demandOption: true, describe: 'the .onnx model' })
      .positional('inputs', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'image files, one or more .csv files, or an .arrow file',
      })
      .option('format', { choices: ['json', 'csv'] as const, default: 'json' as const, describe: 'output format' })
      .option('columns', { type: 'string', describe: 'CSV feature columns, comma-separated (default: every column)' })
      .option('device', {
        type: 'string',
        default: 'cpu',
        describe: 'execution provider: cpu, cuda[:N], webgpu or auto (as session.device)',
      })
      .option(
        'threads',
        numericOption('threads', 'intra-op threads (default: the session default)', { integer: true, min: 1 }),
      )
      .option('batch', numericOption('batch', 'samples per session run', { integer: true, min: 1, default: 256 })),
  handler: async (a: {
    model: string;
    inputs: string[];
    format: 'json' | 'csv';
    columns?: string;
    device: string;
    threads?: number;
    batch: number;
  }): Promise<number> => {
    const session = { device: a.device, ...(a.threads ? { intraOpThreads: a.threads } : {}) };
    const result = await predict(a.model, a.inputs, {
      session,
      batchSize: a.batch,
      columns: a.columns?.split(',').map((s) => s.trim()),
    });
    const records = predictionRecords(result);
    if (a.format === 'json') {
      process.stdout.write(`${JSON.stringify(records, null, 1)}\n`);
      return 0;
    }
    const outs = result.outputNames;
    const cols = [
      'input',
      ...outs.flatMap((o) =>
        Array.isArray(records[0]?.[o]) ? (records[0][o] as unknown[]).map((_, k) => `${o}_${k}`) : [o],
      ),
    ];
    process.stdout.write(`${csvLine(cols)}\n`);
    for (const r of records)
      process.stdout.write(
        `${csvLine([r.input, ...outs.flatMap((o) => (Array.isArray(r[o]) ? (r[o] as Array<string | number>) : [r[o] as string | number]))])}\n`,
      );
    return 0;
  },
};
