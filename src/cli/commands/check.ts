/** `gymnosd check <model.onnx>`: can Gymnos train this model, and if not, which nodes stop it. */
import type { Argv } from 'yargs';
import { checkModelFile, formatReport } from '../../models/inspect.js';
import { printableLines } from '../../util/printable.js';
import { parseInputShapes } from '../../models/input-shapes.js';

export const checkCommand = {
  command: 'check <model>',
  describe: 'List a model\'s inputs, outputs, parameters and ops, and say whether Gymnos can train it (exit 0) or not (exit 1), naming every unsupported op and node',
  builder: (y: Argv) => y
    .positional('model', { type: 'string', demandOption: true, describe: 'path to an .onnx file (external data beside it is read)' })
    .option('freeze', { type: 'array', string: true, nargs: 1, describe: 'parameter names or glob patterns to freeze (repeatable)' })
    .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON' })
    .option('input-shape', { type: 'array', string: true, nargs: 1, describe: 'pin input dims, name=dims with ? for a symbolic axis (e.g. x=?,3,64,64; repeatable); ? on a fixed batch makes it symbolic (as the model option inputShapes)' }),
  handler: async (argv: { model: string; freeze?: string[]; json: boolean; inputShape?: string[] }): Promise<number> => {
    const report = checkModelFile(argv.model, { freeze: argv.freeze }, argv.inputShape && parseInputShapes(argv.inputShape));
    process.stdout.write(argv.json ? `${JSON.stringify(report, null, 2)}\n` : `${printableLines(formatReport(report))}\n`);
    return report.trainable ? 0 : 1;
  },
};
