/** `gymnosd gradcheck <model.onnx>`: numerical gradient check of the generated training graph. */
import type { Argv } from 'yargs';
import { loadModel } from '../../onnx/io.js';
import { formatGradCheck, gradCheckPasses, modelGradCheck } from '../../autodiff/model-gradcheck.js';
import { UserError } from '../errors.js';

export const gradcheckCommand = {
  command: 'gradcheck <model>',
  describe: 'Check the gradients of the training graph Gymnos generates for a model against float64 finite differences on random inputs; prints each parameter\'s worst relative error and element, reports elements at non-differentiable points (ReLU kinks, max ties) separately from failures, and warns when the loss or a gradient is identically zero; exit 0 within tolerance, 1 on a failure or an identically zero loss',
  builder: (y: Argv) => y
    .positional('model', { type: 'string', demandOption: true, describe: 'path to an .onnx file' })
    .option('loss', { type: 'string', default: 'softmax_cross_entropy', describe: 'loss type: softmax_cross_entropy, binary_cross_entropy_with_logits, mse, l1, huber' })
    .option('batch', { type: 'number', default: 2, describe: 'batch size of the random inputs' })
    .option('seed', { type: 'number', default: 1, describe: 'seed of the random inputs and the checked elements' })
    .option('elements', { type: 'number', default: 6, describe: 'elements checked per parameter' })
    .option('tolerance', { type: 'number', default: 1e-4, describe: 'largest acceptable relative error' })
    .option('freeze', { type: 'array', string: true, describe: 'parameter names or glob patterns to freeze' }),
  handler: async (argv: { model: string; loss: string; batch: number; seed: number; elements: number; tolerance: number; freeze?: string[] }): Promise<number> => {
    if (!(argv.batch >= 1)) throw new UserError(`--batch: expected a positive integer but got ${argv.batch}`);
    const model = loadModel(argv.model);
    const r = modelGradCheck(model, { loss: { type: argv.loss }, batch: argv.batch, seed: argv.seed, maxElements: argv.elements, trainable: { freeze: argv.freeze } });
    process.stdout.write(formatGradCheck(r, argv.tolerance));
    const ok = gradCheckPasses(r, argv.tolerance);
    return ok ? 0 : 1;
  },
};
