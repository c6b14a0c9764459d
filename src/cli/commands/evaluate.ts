/**
 * `gymnosd evaluate <run-dir|model.onnx> --data <spec>`: the library's `evaluate`
 * (src/inference/), printed as JSON. The data spec is a dataset type ('digits'), a JSON dataset
 * block, or an experiment file (its dataset); a run directory defaults to its own dataset.
 */
import type { Argv } from 'yargs';
import { evaluate, type SplitName } from '../../inference/evaluate.js';
import { numericOption } from '../args.js';

export const evaluateCommand = {
  command: 'evaluate <model>',
  describe: 'Metrics of a trained model (a run directory or an .onnx file) on a dataset split; prints JSON',
  builder: (y: Argv) =>
    y
      .positional('model', { type: 'string', demandOption: true, describe: 'a run directory or an .onnx file' })
      .option('data', {
        type: 'string',
        describe: "dataset: a type ('digits'), a JSON block, or an experiment file (default: the run's)",
      })
      .option('split', {
        choices: ['test', 'validation', 'train'] as const,
        default: 'test' as const,
        describe: 'which part of the data',
      })
      .option('device', {
        type: 'string',
        describe: "execution provider: cpu, cuda[:N], webgpu or auto (default: the run's session.device, else cpu)",
      })
      .option(
        'threads',
        numericOption('threads', "intra-op threads (default: the run's, else the session default)", {
          integer: true,
          min: 1,
        }),
      ),
  handler: async (a: {
    model: string;
    data?: string;
    split: SplitName;
    device?: string;
    threads?: number;
  }): Promise<number> => {
    const session =
      a.device || a.threads
        ? { device: a.device ?? 'cpu', ...(a.threads ? { intraOpThreads: a.threads } : {}) }
        : undefined;
    const r = await evaluate(a.model, { data: a.data, split: a.split, session });
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    return 0;
  },
};
