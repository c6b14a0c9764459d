/** `gymnosd check <model.onnx>`: can Gymnos train this model, and if not, which nodes stop it. */
import type { Argv } from 'yargs';
import { loadModel } from '../../onnx/io.js';
import { canonicalize } from '../../onnx/opset.js';
import { inspectModel, formatReport } from '../../models/inspect.js';
import { checkTraining, formatTrainingCheck } from '../../trainer/check-training.js';
import { untieInitializers } from '../../models/untie.js';
import { applyInputShapes, parseInputShapes } from '../../models/input-shapes.js';
import { printableLines } from '../../util/printable.js';
import { numericOption } from '../args.js';

export const checkCommand = {
  command: 'check <model>',
  describe:
    "List a model's inputs, outputs, parameters (also those inside If/Loop/Scan subgraphs), tied initializers and ops; build its training graph; with --step run one training step on random inputs. Exit 0: Gymnos can train it; 1: it cannot (every unsupported op named with its node, the build error shown); 2: the step gave a non-finite loss or some trainable parameter no gradient (named)",
  builder: (y: Argv) =>
    y
      .positional('model', {
        type: 'string',
        demandOption: true,
        describe: 'path to an .onnx file (external data beside it is read)',
      })
      .option('freeze', {
        type: 'array',
        string: true,
        nargs: 1,
        describe: 'parameter names or glob patterns to freeze (repeatable)',
      })
      .option('loss', {
        type: 'string',
        describe:
          'loss to build the training graph with (default: softmax_cross_entropy for an [N, C] output, mse otherwise)',
      })
      .option('output', {
        type: 'string',
        describe: 'the value the loss is computed on (default: the first graph output)',
      })
      .option('step', {
        type: 'boolean',
        default: false,
        describe:
          'also run one training step (learning rate 0) on random inputs and check the loss is finite and every trainable parameter gets a nonzero gradient',
      })
      .option(
        'batch',
        numericOption('batch', 'batch size of the random inputs of --step', { integer: true, min: 1, default: 2 }),
      )
      .option(
        'seed',
        numericOption('seed', 'seed of the random inputs of --step', { integer: true, min: 0, default: 1 }),
      )
      .option('untie-initializers', {
        type: 'boolean',
        default: false,
        describe:
          'give each reader of an initializer the exporter shared through Identity nodes its own copy first (the model option untieInitializers)',
      })
      .option('input-shape', {
        type: 'array',
        string: true,
        nargs: 1,
        describe:
          'pin input dims, name=dims with ? for a symbolic axis (e.g. x=?,3,64,64; repeatable); ? on a fixed batch makes it symbolic (as the model option inputShapes)',
      })
      .option('device', {
        type: 'string',
        default: 'cpu',
        describe:
          "session.device of the --step (cpu, cuda, cuda:N, webgpu, auto); any device but cpu implies --step and reports the step's placement: how many nodes ran on that provider and which fell back to the CPU, by op (from ONNX Runtime's profile)",
      })
      .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON' }),
  handler: async (argv: {
    model: string;
    freeze?: string[];
    loss?: string;
    output?: string;
    step: boolean;
    batch: number;
    seed: number;
    untieInitializers: boolean;
    inputShape?: string[];
    device: string;
    json: boolean;
  }): Promise<number> => {
    const model = loadModel(argv.model);
    if (argv.inputShape)
      applyInputShapes(canonicalize(model, argv.model), parseInputShapes(argv.inputShape), '--input-shape');
    if (argv.untieInitializers) untieInitializers(model.graph);
    const report = inspectModel(model, argv.model, { freeze: argv.freeze });
    const training = await checkTraining(model, {
      loss: argv.loss ? { type: argv.loss } : undefined,
      output: argv.output,
      trainable: { freeze: argv.freeze },
      step: (argv.step || argv.device !== 'cpu') && report.trainable,
      batch: argv.batch,
      seed: argv.seed,
      device: argv.device,
      placement: argv.device !== 'cpu',
    });
    const canTrain = report.trainable && training.built;
    if (argv.json) {
      process.stdout.write(`${JSON.stringify({ ...report, trainable: canTrain, training }, null, 2)}\n`);
    } else {
      const text = formatReport({ ...report, trainable: canTrain }).split('\n');
      text.splice(text.length - 1, 0, formatTrainingCheck(training));
      process.stdout.write(`${printableLines(text.join('\n'))}\n`);
    }
    if (!canTrain) return 1;
    return training.step && !training.step.ok ? 2 : 0;
  },
};
