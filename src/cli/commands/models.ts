/**
 * `gymnosd models list` and `gymnosd models show <name>`: the zoo architectures and presets, their
 * hyperparameters, and for one model its layers, parameter count and forward FLOPs per sample;
 * `--out` writes the ONNX file.
 */
import type { Argv } from 'yargs';
import { ZOO } from '../../models/registry.js';
import { listPresets } from '../../models/presets.js';
import { ModelManager } from '../../models/model-manager.js';
import { summarizeModel, formatSummary, formatFlops } from '../../models/summary.js';
import { saveModel } from '../../onnx/io.js';
import { applyOverrides } from '../../config/overrides.js';
import { UserError } from '../errors.js';
import { numericOption } from '../args.js';

interface ShowArgs {
  name: string;
  set?: string[];
  classes?: number;
  inputShape?: string;
  out?: string;
  json: boolean;
  seed: number;
}

function list(): number {
  const lines = ['architectures:'];
  for (const m of ZOO.list) {
    lines.push(`  ${m.type.padEnd(20)} ${m.description}`);
    const opts = Object.entries(m.options)
      .map(([k, s]) => `${k}${s.optional ? '?' : ''}`)
      .join(', ');
    lines.push(`  ${''.padEnd(20)} options: ${opts}`);
  }
  lines.push('', 'presets (models/*.json):');
  for (const p of listPresets())
    lines.push(`  ${p.name.padEnd(24)} ${JSON.stringify(p.spec)}${p.comment ? `  ${p.comment}` : ''}`);
  lines.push('', "and 'onnx': an exported .onnx file (gymnosd check <file> says whether it trains)");
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

function show(a: ShowArgs): number {
  const preset = listPresets().find((p) => p.name === a.name);
  const spec = preset ? { ...preset.spec } : { type: a.name };
  const def = ZOO.get(spec.type);
  if (!def)
    throw new UserError(
      `expected an architecture (${ZOO.types().join(', ')}) or a preset (${listPresets()
        .map((p) => p.name)
        .join(', ')}) but got '${a.name}'`,
    );
  const full = applyOverrides({ ...def.example.options, ...spec }, a.set ?? []) as { type: string };
  const inputShape = a.inputShape ? a.inputShape.split(/[x,]/).map(Number) : def.example.inputShape;
  if (inputShape.some((d) => !Number.isInteger(d) || d < 1))
    throw new UserError(`expected dimensions like 3x32x32 for --input-shape but got '${a.inputShape}'`);
  const { model } = new ModelManager().load(full, {
    seed: a.seed,
    datasetInfo: { inputShape, numClasses: a.classes ?? def.example.numClasses },
    path: '--set',
  });
  const summary = summarizeModel(model);
  if (a.json) process.stdout.write(`${JSON.stringify({ name: a.name, spec: full, ...summary }, null, 2)}\n`);
  else process.stdout.write(`${formatSummary(`${a.name} ${JSON.stringify(full)}`, summary)}\n`);
  if (a.out) {
    saveModel(model, a.out);
    process.stderr.write(
      `wrote ${a.out} (${summary.parameters.toLocaleString('en-US')} parameters, ${formatFlops(summary.flops)} per sample)\n`,
    );
  }
  return 0;
}

export const modelsCommand = {
  command: 'models <action> [name]',
  describe:
    'List the model zoo (architectures and presets), or show one model: layers, parameters, FLOPs per sample; --out writes its ONNX file',
  builder: (y: Argv) =>
    y
      .positional('action', {
        choices: ['list', 'show'] as const,
        demandOption: true,
        describe: 'list: every architecture and preset; show: one model',
      })
      .positional('name', { type: 'string', describe: 'architecture or preset name (for show)' })
      .option('set', {
        type: 'array',
        string: true,
        nargs: 1,
        describe: 'hyperparameter override key=value (JSON values; a.b or a[0] paths reach nested options), repeatable',
      })
      .option(
        'classes',
        numericOption('classes', "number of classes (default: the architecture's example)", { integer: true, min: 1 }),
      )
      .option('input-shape', {
        type: 'string',
        describe: "per-sample input shape, e.g. 3x32x32 (default: the architecture's example)",
      })
      .option('seed', numericOption('seed', 'weight initialization seed', { integer: true, min: 0, default: 1 }))
      .option('out', { type: 'string', describe: 'write the model to this .onnx file' })
      .option('json', { type: 'boolean', default: false, describe: 'print the summary as JSON' }),
  handler: async (argv: {
    action: 'list' | 'show';
    name?: string;
    set?: string[];
    classes?: number;
    inputShape?: string;
    out?: string;
    json: boolean;
    seed: number;
  }): Promise<number> => {
    if (argv.action === 'list') return list();
    if (!argv.name) throw new UserError('name a model to show: gymnosd models show <architecture or preset>');
    return show({ ...argv, name: argv.name });
  },
};
