/**
 * gymnosd: the Gymnos command line. Each command lives in its own module under commands/ and
 * returns its exit code; errors are reported once, here (exit 2 for user errors, 1 otherwise).
 * Parsing is strict: an unknown command or option, a missing or extra argument, an invalid choice
 * or number is a one-line user error (exit 2) with a suggestion, and nothing runs.
 */
import yargs, { type Argv } from 'yargs';
import { reportError, UserError } from './errors.js';
import { usageError, type UsageContext } from './args.js';
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

interface Parsed {
  getOptions(): {
    key: Record<string, unknown>;
    array: string[];
    hiddenOptions: string[];
    alias: Record<string, string[]>;
  };
}

/** Scalar options given more than once arrive as arrays: refuse them rather than pick one. */
function checkRepeats(argv: Record<string, unknown>, y: Parsed | undefined): void {
  if (!y) return;
  const o = y.getOptions();
  for (const k of Object.keys(o.key)) {
    const v = argv[k];
    if (Array.isArray(v) && !o.array.includes(k) && !/[A-Z]/.test(k))
      throw new UserError(
        `--${k} was given ${v.length} times (${v.map((x) => `'${String(x)}'`).join(', ')}); give it once`,
      );
  }
}

/** Runs gymnosd with the given arguments and resolves to the exit code. */
export async function runCli(args: string[]): Promise<number> {
  let code = 0;
  let current: { y: Parsed; usage: string } | undefined;
  const wrap = (h: Handler) => async (argv: unknown) => {
    try {
      checkRepeats(argv as Record<string, unknown>, current?.y);
      code = await h(argv as never);
    } catch (e) {
      code = reportError(e);
    }
  };
  const commands = [
    trainCommand,
    validateCommand,
    schemaCommand,
    evaluateCommand,
    predictCommand,
    exportCommand,
    doctorCommand,
    datasetsCommand,
    modelsCommand,
    reportCommand,
    checkCommand,
    gradcheckCommand,
    sweepCommand,
    workerCommand,
  ];
  const names = commands.map((c) => c.command.split(' ')[0]);
  const context = (): UsageContext => {
    const o = current?.y.getOptions();
    return {
      args,
      commands: names,
      usage: current?.usage,
      options: o && { keys: Object.keys(o.key), hidden: o.hiddenOptions },
    };
  };
  let cli = yargs(args)
    .scriptName('gymnosd')
    .locale('en') // the fail handler reads yargs' English messages
    .usage('$0 <command> [options]\n\nTrain ONNX models on stock ONNX Runtime from Node.js.')
    .strict()
    .demandCommand(1, `name a command: ${names.join(', ')} (gymnosd --help describes them)`)
    .help()
    .version()
    .fail((msg, err) => {
      // yargs wraps its own validation errors and those of an option's coerce() in a YError
      if (err && err.name !== 'YError') throw err;
      throw usageError(msg ?? err?.message ?? 'invalid arguments', context());
    });
  for (const c of commands) {
    const builder = (y: Argv) => {
      const built = (c.builder as (y: Argv) => Argv)(y);
      current = { y: built as unknown as Parsed, usage: c.command };
      return built;
    };
    cli = cli.command(c.command, c.describe, builder as never, wrap(c.handler as Handler));
  }
  try {
    await cli.parseAsync();
  } catch (e) {
    return reportError(e);
  }
  return code;
}
