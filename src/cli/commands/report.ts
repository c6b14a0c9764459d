/** `gymnosd report <run-dir>`: a self-contained HTML page of the run (curves, confusion matrix, config, platform). */
import { resolve, join } from 'node:path';
import type { Argv } from 'yargs';
import { readRun, renderReport } from '../../report/html.js';
import { writeFileAtomic } from '../../util/atomic.js';

export const reportCommand = {
  command: 'report <run>',
  describe:
    'Write an HTML report of a run (loss and metric curves, learning rate, confusion matrix, resolved config, platform); it opens offline in any browser',
  builder: (y: Argv) =>
    y
      .positional('run', { type: 'string', demandOption: true, describe: 'the run directory' })
      .option('out', { type: 'string', describe: 'the HTML file to write (default <run>/report.html)' }),
  handler: async (a: { run: string; out?: string }): Promise<number> => {
    const dir = resolve(a.run);
    const out = resolve(a.out ?? join(dir, 'report.html'));
    writeFileAtomic(out, renderReport(readRun(dir)));
    process.stdout.write(`${out}\n`);
    return 0;
  },
};
