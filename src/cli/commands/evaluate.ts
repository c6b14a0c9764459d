/**
 * `gymnosd evaluate <run-dir|model.onnx> --data <spec>`: metrics of an inference model on a
 * dataset split. The data spec is a dataset type ('digits'), a JSON dataset block, or an
 * experiment file (its dataset); a run directory defaults to its own dataset.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { encodeModel, loadModel } from '../../onnx/io.js';
import { BAKED_PREPROCESSING_KEY } from '../../datasets/preprocess/bake.js';
import type { Model } from '../../onnx/ir.js';
import { readJsonFile } from '../../config/index.js';
import { parseExperiment, runConfig, exportFromRun, type ExperimentConfig } from '../../experiment/index.js';
import { SessionManager } from '../../sessions/session-manager.js';
import { computeAll, createMetrics } from '../../metrics/index.js';
import { FeedAdapter } from '../../datasets/index.js';
import { configData } from '../../trainer/rebuild.js';
import { UserError } from '../errors.js';

function dataConfig(spec: string | undefined, fallback: ExperimentConfig | undefined): ExperimentConfig {
  if (!spec) {
    if (!fallback) throw new UserError('--data is required with a model file: a dataset type (digits), a JSON dataset block, or an experiment file');
    return fallback;
  }
  let dataset: unknown;
  if (spec.trim().startsWith('{')) {
    try { dataset = JSON.parse(spec); } catch { throw new UserError(`--data: not valid JSON: ${spec}`); }
  } else if (existsSync(spec)) {
    // an experiment file: its dataset with its seed (the split depends on it)
    const raw = readJsonFile(spec) as { dataset?: unknown; training?: { seed?: unknown } };
    return parseExperiment({ dataset: raw.dataset, model: { type: 'mlp' }, training: { seed: raw.training?.seed ?? 0 } }, spec);
  } else dataset = { type: spec };
  return parseExperiment({ ...(fallback ?? {}), dataset, model: fallback?.model ?? { type: 'mlp' } }, '--data');
}

export const evaluateCommand = {
  command: 'evaluate <model>',
  describe: 'Metrics of a trained model (a run directory or an .onnx file) on a dataset split; prints JSON',
  builder: (y: Argv) => y
    .positional('model', { type: 'string', demandOption: true, describe: 'a run directory or an .onnx file' })
    .option('data', { type: 'string', describe: "dataset: a type ('digits'), a JSON block, or an experiment file (default: the run's)" })
    .option('split', { choices: ['test', 'validation', 'train'] as const, default: 'test' as const, describe: 'which part of the data' }),
  handler: async (a: { model: string; data?: string; split: 'test' | 'validation' | 'train' }): Promise<number> => {
    const isRun = existsSync(a.model) && statSync(a.model).isDirectory();
    const runCfg = isRun ? runConfig(a.model) : undefined;
    let model: Model;
    // a run's data comes preprocessed, so its model is rebuilt without the baked preprocessing
    if (isRun) model = (await exportFromRun(a.model, process.cwd(), { bake: false })).model;
    else {
      model = loadModel(a.model);
      const baked = model.metadata[BAKED_PREPROCESSING_KEY];
      if (baked) {
        throw new UserError(`${a.model} has its preprocessing baked in (${(JSON.parse(baked) as string[]).join(', ')}): it takes raw inputs, while --data feeds preprocessed ones; evaluate the run directory instead (gymnosd evaluate <run-dir> [--data ...]), or run the model on raw inputs with gymnosd predict`);
      }
    }
    const cfg = dataConfig(a.data, runCfg);
    const data = await configData(cfg);
    const split = data[a.split];
    if (!split) throw new UserError(`the dataset has no ${a.split} split (set dataset.split.${a.split})`);
    const input = model.graph.inputs.filter((v) => !model.graph.initializers.has(v.name))[0];
    const output = model.graph.outputs[0];
    const feed = new FeedAdapter(input, { name: 'label', dtype: 'int64', shape: ['N'] });
    feed.check(data.inputShape, data.numClasses);
    const metrics = createMetrics(data.numClasses ? [{ type: 'accuracy' }, { type: 'precision_recall_f1' }, { type: 'confusion_matrix' }] : [{ type: 'mse' }, { type: 'mae' }, { type: 'r2' }], { numClasses: data.numClasses }).slice(1);
    const sessions = new SessionManager(runCfg?.session && !('profile' in runCfg.session) ? runCfg.session : { device: 'cpu' });
    try {
      const s = await sessions.createSession('eval', encodeModel(model));
      for await (const b of split.batches(0, 0)) {
        const batch = feed.batch([b]);
        const out = await s.run(batch.inputs, [output.name]);
        for (const m of metrics) m.update({ prediction: out[output.name], label: b.target, loss: NaN, count: b.target.dims[0] });
      }
    } finally {
      await sessions.close();
    }
    process.stdout.write(`${JSON.stringify({ model: resolve(a.model), split: a.split, samples: split.size, metrics: computeAll(metrics) }, null, 2)}\n`);
    return 0;
  },
};
