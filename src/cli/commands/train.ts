/** `gymnosd train <experiment.json>`: train, leaving a complete run directory; `--resume` continues one. */
import { dirname, resolve } from 'node:path';
import type { Argv } from 'yargs';
import { loadLogging } from '../../config/index.js';
import { loadSystem, runConfig } from '../../experiment/index.js';
import { Trainer } from '../../trainer/trainer.js';
import { CallbackProvider } from '../../callbacks/provider.js';
import { UserError } from '../errors.js';
import { loadExperimentFile, withConfigFiles } from '../experiment-args.js';
import { progressPrinter } from '../progress.js';
import { numericOption } from '../args.js';

interface TrainArgs {
  experiment?: string;
  resume?: string;
  set?: string[];
  device?: string;
  output?: string;
  seed?: number;
  system?: string;
  logging?: string;
  backend?: string;
}

export const trainCommand = {
  command: 'train [experiment]',
  describe:
    'Train an experiment; writes <runsDir>/<name>/<id>/ (config.json, platform.json, metrics.jsonl/csv, checkpoints/, model.onnx, gymnos.log, state.json). Ctrl-C stops after the current step and leaves a resumable run',
  builder: (y: Argv) =>
    withConfigFiles(
      y
        .positional('experiment', { type: 'string', describe: 'the experiment JSON file' })
        .option('resume', {
          type: 'string',
          describe:
            'continue this run directory from its newest valid checkpoint (refused while another process holds its lock)',
        })
        .option('set', {
          type: 'array',
          string: true,
          nargs: 1,
          describe: 'override a config value: key.path=value (JSON or a string; repeatable)',
        })
        .option('device', { type: 'string', describe: 'session.device: cpu, cuda, cuda:N, webgpu or auto' })
        .option('output', {
          type: 'string',
          describe: 'the run directory to create (default <runsDir>/<experiment>/<id>)',
        })
        .option('seed', numericOption('seed', 'training.seed', { integer: true, min: 0 }))
        .option('backend', {
          type: 'string',
          hidden: true,
          describe: "session backend ('null' for orchestration tests)",
        }),
    ),
  handler: async (a: TrainArgs): Promise<number> => {
    const system = loadSystem(a.system);
    const logging = loadLogging(a.logging);
    let config;
    let baseDir = process.cwd();
    if (a.resume) {
      if (a.experiment || a.set?.length || a.seed !== undefined || a.device !== undefined || a.output) {
        throw new UserError(
          '--resume continues a run with the config saved in it; drop the experiment file, --set, --seed, --device and --output',
        );
      }
      config = runConfig(a.resume);
    } else {
      if (!a.experiment)
        throw new UserError('name the experiment file (gymnosd train <experiment.json>) or a run to --resume');
      config = loadExperimentFile(a.experiment, a);
      baseDir = dirname(resolve(a.experiment));
    }
    const controller = new AbortController();
    const onSignal = () => {
      if (controller.signal.aborted) process.exit(130);
      process.stderr.write('\ngymnosd: stopping after the current step (Ctrl-C again to quit now)\n');
      controller.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const trainer = new Trainer(config, {
        system,
        logging,
        output: a.output,
        resume: a.resume,
        signal: controller.signal,
        baseDir,
        callbackSource: CallbackProvider,
        // the progress_bar callback, when configured, draws its own bars: print none here then; a
        // disabled console (logging.json) silences the progress output too
        backend: a.backend,
        ...(hasProgressBar(config) || !logging.console.enabled ? {} : progressPrinter()),
      });
      const r = await trainer.fit();
      if (r.status === 'aborted') {
        process.stderr.write(`gymnosd: run stopped; continue it with: gymnosd train --resume ${r.runDir}\n`);
        return 130;
      }
      const acc = r.test?.accuracy;
      process.stdout.write(`${r.runDir}\n`);
      if (typeof acc === 'number') process.stderr.write(`test accuracy ${(acc * 100).toFixed(2)}%\n`);
      return 0;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};

function hasProgressBar(config: unknown): boolean {
  const callbacks = (config as { training?: { callbacks?: Array<{ type?: string }> } })?.training?.callbacks;
  return Array.isArray(callbacks) && callbacks.some((c) => c?.type === 'progress_bar');
}
