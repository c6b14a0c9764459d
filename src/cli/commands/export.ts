/** `gymnosd export <run-dir>`: the inference model from a run's newest valid checkpoint. */
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { saveModel } from '../../onnx/io.js';
import { exportFromRun } from '../../experiment/index.js';

export const exportCommand = {
  command: 'export <run>',
  describe:
    "Write the inference model (the original graph with the trained weights as initializers) from a run directory's newest valid checkpoint; works for interrupted runs too",
  builder: (y: Argv) =>
    y
      .positional('run', { type: 'string', demandOption: true, describe: 'the run directory' })
      .option('output', { type: 'string', describe: 'where to write the model (default <run>/model.onnx)' }),
  handler: async (a: { run: string; output?: string }): Promise<number> => {
    const r = await exportFromRun(a.run);
    for (const s of r.skipped) process.stderr.write(`gymnosd: skipped unusable checkpoint ${s}\n`);
    const out = resolve(a.output ?? resolve(a.run, 'model.onnx'));
    saveModel(r.model, out);
    process.stdout.write(`${out}\n`);
    return 0;
  },
};
