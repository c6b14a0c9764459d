/**
 * gymnosd: the Gymnos command line. Each command lives in its own module under commands/ and
 * returns its exit code; errors are reported once, here (exit 2 for user errors, 1 otherwise).
 */
import yargs from 'yargs';
import { reportError } from './errors.js';
import { checkCommand } from './commands/check.js';
import { gradcheckCommand } from './commands/gradcheck.js';
import { trainCommand } from './commands/train.js';
import { validateCommand } from './commands/validate.js';
import { schemaCommand } from './commands/schema.js';
import { doctorCommand } from './commands/doctor.js';
import { evaluateCommand } from './commands/evaluate.js';
import { exportCommand } from './commands/export.js';
import { datasetsCommand } from './commands/datasets.js';
import { predictCommand } from './commands/predict.js';
import { modelsCommand } from './commands/models.js';
import { reportCommand } from './commands/report.js';
import { sweepCommand } from './commands/sweep.js';
import { workerCommand } from './commands/worker.js';

type Handler = (argv: never) => Promise<number>;

/** Runs gymnosd with the given arguments and resolves to the exit code. */
export async function runCli(args: string[]): Promise<number> {
  let code = 0;
  const wrap = (h: Handler) => async (argv: unknown) => {
    try {
      code = await h(argv as never);
    } catch (e) {
      code = reportError(e);
    }
  };
  const commands = [trainCommand, validateCommand, schemaCommand, evaluateCommand, predictCommand, exportCommand, doctorCommand, datasetsCommand, modelsCommand, reportCommand, checkCommand, gradcheckCommand, sweepCommand, workerCommand];
  let cli = yargs(args)
    .scriptName('gymnosd')
    .usage('$0 <command> [options]\n\nTrain ONNX models on stock ONNX Runtime from Node.js.')
    .strict()
    .demandCommand(1, 'name a command (see the list above)')
    .help()
    .version()
    .fail((msg, err, y) => {
      if (err) throw err;
      process.stderr.write(`${y.help()}\n\ngymnosd: ${msg}\n`);
      code = 2;
    });
  for (const c of commands) cli = cli.command(c.command, c.describe, c.builder as never, wrap(c.handler as Handler));
  await cli.parseAsync();
  return code;
}
