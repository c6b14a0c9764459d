/** `gymnosd gradcheck <model.onnx>`: numerical gradient check of the generated training graph. */
import type { Argv } from 'yargs';
import { loadModel } from '../../onnx/io.js';
import { formatGradCheck, gradCheckPasses, modelGradCheck } from '../../autodiff/model-gradcheck.js';
import { numericOption } from '../args.js';

export const gradcheckCommand = {
  command: 'gradcheck <model>',
  describe:
    "Check the gradients of the training graph Gymnos generates for a model against float64 finite differences on random inputs; prints each parameter's worst relative error and element, reports elements at non-differentiable points (ReLU kinks, max ties) separately from failures, and warns when the loss or a gradient is identically zero; exit 0 within tolerance, 1 on a failure or an identically zero loss",
  builder: (y: Argv) =>
    y
      .positional('model', { type: 'string', demandOption: true, describe: 'path to an .onnx file' })
      .option('loss', {
        type: 'string',
        default: 'softmax_cross_entropy',
        describe:
          'loss type: softmax_cross_entropy, binary_cross_entropy_with_logits, mse, l1, huber, cosine_embedding',
      })
      .option('batch', numericOption('batch', 'batch size of the random inputs', { integer: true, min: 1, default: 2 }))
      .option(
        'seed',
        numericOption('seed', 'seed of the random inputs and the checked elements', {
          integer: true,
          min: 0,
          default: 1,
        }),
      )
      .option(
        'elements',
        numericOption('elements', 'elements checked per parameter', { integer: true, min: 1, default: 6 }),
      )
      .option('tolerance', numericOption('tolerance', 'largest acceptable relative error', { above: 0, default: 1e-4 }))
      .option('freeze', {
        type: 'array',
        string: true,
        nargs: 1,
        describe: 'parameter names or glob patterns to freeze',
      }),
  handler: async (argv: {
    model: string;
    loss: string;
    batch: number;
    seed: number;
    elements: number;
    tolerance: number;
    freeze?: string[];
  }): Promise<number> => {
    const model = loadModel(argv.model);
    const r = modelGradCheck(model, {
      loss: { type: argv.loss },
      batch: argv.batch,
      seed: argv.seed,
      maxElements: argv.elements,
      trainable: { freeze: argv.freeze },
    });
    process.stdout.write(formatGradCheck(r, argv.tolerance));
    const ok = gradCheckPasses(r, argv.tolerance);
    return ok ? 0 : 1;
  },
};
