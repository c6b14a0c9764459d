/** `gymnosd validate <experiment.json>`: the resolved config, or every error with its JSON path. */
import type { Argv } from 'yargs';
import { loadExperimentFile } from '../experiment-args.js';
import { numericOption } from '../args.js';

export const validateCommand = {
  command: 'validate <experiment>',
  describe:
    'Check an experiment file: print the resolved config (every default filled) and exit 0, or print every error with its JSON path and exit 2',
  builder: (y: Argv) =>
    y
      .positional('experiment', { type: 'string', demandOption: true, describe: 'the experiment JSON file' })
      .option('set', { type: 'array', string: true, nargs: 1, describe: 'override a config value: key.path=value' })
      .option('seed', numericOption('seed', 'training.seed', { integer: true, min: 0 }))
      .option('device', { type: 'string', describe: 'session.device' }),
  handler: async (a: { experiment: string; set?: string[]; seed?: number; device?: string }): Promise<number> => {
    const cfg = loadExperimentFile(a.experiment, a);
    process.stdout.write(`${JSON.stringify(cfg, null, 2)}\n`);
    return 0;
  },
};
