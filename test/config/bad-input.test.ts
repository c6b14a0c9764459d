/**
 * Bad input, table-driven: malformed experiment, system.json and logging.json values and files,
 * each with the exact message it must give (JSON path, what was expected, the valid choices).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLogging, loadLogging, readJsonFile, applyOverrides, ConfigError } from '../../src/config/index.js';
import { parseExperiment, parseSystem, loadSystem } from '../../src/experiment/index.js';

const base = { dataset: { type: 'digits' }, model: { type: 'mlp' } };

type Kind = 'experiment' | 'system' | 'logging';
const CASES: Array<[Kind, string, unknown, string]> = [
  ['experiment', 'not an object', [1], 'expected an object for (root) but got [1]'],
  [
    'experiment',
    'missing dataset',
    { model: { type: 'mlp' } },
    `missing dataset: expected an object { "type": 'image_folder' | 'csv' | 'arrow' | 'idx' | 'digits' | 'iris', ... } (the data: { "type": source, ...source options, split, preprocess, augment, loader, shuffle, task, shape, targets } (gymnosd datasets list shows the sources))`,
  ],
  [
    'experiment',
    'unknown top key',
    { ...base, traning: {} },
    "unknown key traning (did you mean 'training'?); valid keys: $schema, $comment, experiment, dataset, model, training, session, tracking",
  ],
  [
    'experiment',
    'dataset type typo',
    { ...base, dataset: { type: 'digts' } },
    "expected one of 'image_folder', 'csv', 'arrow', 'idx', 'digits', 'iris' (did you mean 'digits'?) for dataset.type but got 'digts'",
  ],
  [
    'experiment',
    'dataset type missing',
    { ...base, dataset: {} },
    "missing dataset.type: expected one of 'image_folder', 'csv', 'arrow', 'idx', 'digits', 'iris'",
  ],
  [
    'experiment',
    'dataset type not string',
    { ...base, dataset: { type: 3 } },
    "expected one of 'image_folder', 'csv', 'arrow', 'idx', 'digits', 'iris' for dataset.type but got 3",
  ],
  [
    'experiment',
    'split fraction negative',
    { ...base, dataset: { type: 'digits', split: { test: -0.1 } } },
    'expected a fraction in [0, 1) or a whole count >= 1 for dataset.split.test but got -0.1',
  ],
  [
    'experiment',
    'dataset unknown option',
    { ...base, dataset: { type: 'digits', batchsize: 3 } },
    'unknown key dataset.batchsize; valid keys of dataset: type, split, preprocess, augment, loader, shuffle, task, shape, targets',
  ],
  [
    'experiment',
    'model unknown type',
    { ...base, model: { type: 'resnet50' } },
    "expected one of 'mlp', 'cnn', 'lenet5', 'resnet', 'mobilenet_v2', 'vgg', 'text_classifier', 'transformer_encoder', 'onnx' (did you mean 'resnet'?) for model.type but got 'resnet50'",
  ],
  [
    'experiment',
    'cnn channels not array',
    { ...base, model: { type: 'cnn', channels: 16 } },
    'expected an array for model.channels but got 16',
  ],
  [
    'experiment',
    'cnn channel zero',
    { ...base, model: { type: 'cnn', channels: [16, 0] } },
    'expected an integer >= 1 for model.channels[1] but got 0',
  ],
  [
    'experiment',
    'onnx without path',
    { ...base, model: { type: 'onnx' } },
    'missing model.path: expected a string (path to the .onnx file (relative to the experiment file); external data beside it is read)',
  ],
  [
    'experiment',
    'dropout too large',
    { ...base, model: { type: 'mlp', dropout: 1.5 } },
    'expected a number >= 0 and <= 0.95 for model.dropout but got 1.5',
  ],
  [
    'experiment',
    'epochs zero',
    { ...base, training: { epochs: 0 } },
    'expected an integer >= 1 for training.epochs but got 0',
  ],
  [
    'experiment',
    'batch size fractional',
    { ...base, training: { batchSize: 12.5 } },
    'expected an integer >= 1 for training.batchSize but got 12.5',
  ],
  [
    'experiment',
    'epochs string',
    { ...base, training: { epochs: '10' } },
    "expected an integer >= 1 for training.epochs but got '10'",
  ],
  [
    'experiment',
    'loss unknown',
    { ...base, training: { loss: { type: 'cross_entropy' } } },
    "expected one of 'softmax_cross_entropy', 'binary_cross_entropy_with_logits', 'mse', 'l1', 'huber', 'cosine_embedding' for training.loss.type but got 'cross_entropy'",
  ],
  [
    'experiment',
    'loss bad option',
    { ...base, training: { loss: { type: 'softmax_cross_entropy', label_smoothing: 2 } } },
    'expected a number >= 0 and <= 1 for training.loss.label_smoothing but got 2',
  ],
  [
    'experiment',
    'optimizer unknown',
    { ...base, training: { optimizer: { type: 'lion', lr: 0.1 } } },
    "expected one of 'sgd', 'adam', 'adamw', 'rmsprop', 'adagrad' for training.optimizer.type but got 'lion'",
  ],
  [
    'experiment',
    'optimizer negative lr',
    { ...base, training: { optimizer: { type: 'sgd', lr: -1 } } },
    'expected a number >= 0 for training.optimizer.lr but got -1',
  ],
  [
    'experiment',
    'optimizer unknown option',
    { ...base, training: { optimizer: { type: 'adam', lr: 0.1, betas1: 0.9 } } },
    "unknown key training.optimizer.betas1 (did you mean 'betas'?); valid keys of training.optimizer: type, lr, betas, eps, weight_decay, amsgrad",
  ],
  [
    'experiment',
    'schedule unknown',
    { ...base, training: { lrSchedule: { type: 'cosin' } } },
    "expected one of 'constant', 'step', 'exponential', 'cosine', 'one_cycle', 'linear' (did you mean 'cosine'?) for training.lrSchedule.type but got 'cosin'",
  ],
  [
    'experiment',
    'step schedule missing stepSize',
    { ...base, training: { lrSchedule: { type: 'step' } } },
    'missing training.lrSchedule.stepSize: expected an integer (epochs (or steps) between decays)',
  ],
  [
    'experiment',
    'schedule gamma > 1',
    { ...base, training: { lrSchedule: { type: 'exponential', gamma: 1.5 } } },
    'expected a number > 0 and <= 1 for training.lrSchedule.gamma but got 1.5',
  ],
  [
    'experiment',
    'metric unknown',
    { ...base, training: { metrics: [{ type: 'auc' }] } },
    "expected one of 'accuracy', 'top_k', 'precision_recall_f1', 'confusion_matrix', 'mse', 'mae', 'r2' for training.metrics[0].type but got 'auc'",
  ],
  [
    'experiment',
    'top_k k zero',
    { ...base, training: { metrics: [{ type: 'top_k', k: 0 }] } },
    'expected an integer >= 1 for training.metrics[0].k but got 0',
  ],
  [
    'experiment',
    'freeze not array',
    { ...base, training: { trainable: { freeze: 'fc0.*' } } },
    "expected an array for training.trainable.freeze but got 'fc0.*'",
  ],
  [
    'experiment',
    'gradient accumulation zero',
    { ...base, training: { gradientAccumulation: 0 } },
    'expected an integer >= 1 for training.gradientAccumulation but got 0',
  ],
  [
    'experiment',
    'clipGradNorm zero',
    { ...base, training: { clipGradNorm: 0 } },
    'expected a number > 0 for training.clipGradNorm but got 0',
  ],
  [
    'experiment',
    'session device bad',
    { ...base, session: { device: 'tpu' } },
    'expected cpu, cuda, cuda:N, webgpu or auto for session.device but got "tpu"',
  ],
  [
    'experiment',
    'session unknown key',
    { ...base, session: { threads: 2 } },
    'unknown key session.threads; valid keys of session: profile, device, intraOpThreads, interOpThreads, graphOptimization, executionMode, enableProfiling, profileFilePrefix, memoryPattern, allowSpinning, cpuMemArena',
  ],
  [
    'experiment',
    'tracking unknown tracker',
    { ...base, tracking: { trackers: [{ type: 'wandb' }] } },
    "expected one of 'metrics_jsonl', 'metrics_csv', 'tensorboard', 'mlflow' for tracking.trackers[0].type but got 'wandb'",
  ],
  [
    'experiment',
    'tags not strings',
    { ...base, experiment: { name: 'x', tags: [1] } },
    'expected a string for experiment.tags[0] but got 1',
  ],
  [
    'experiment',
    'empty name',
    { ...base, experiment: { name: '' } },
    "expected a non-empty string for experiment.name but got ''",
  ],
  ['system', 'runsDir number', { runsDir: 5 }, 'expected a non-empty string for runsDir but got 5'],
  [
    'system',
    'unknown key',
    { runDir: 'x' },
    "unknown key runDir (did you mean 'runsDir'?); valid keys: $schema, runsDir, cacheDir, sessionProfiles",
  ],
  [
    'system',
    'profile bad',
    { sessionProfiles: { fast: { intraOpThreads: 0 } } },
    'expected an integer >= 1 for sessionProfiles.fast.intraOpThreads but got 0',
  ],
  ['system', 'not object', 'x', "expected an object for (root) but got 'x'"],
  [
    'logging',
    'level bad',
    { level: 'verbose' },
    "expected one of 'trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent' for level but got 'verbose'",
  ],
  [
    'logging',
    'console format',
    { console: { format: 'xml' } },
    "expected one of 'pretty', 'json' for console.format but got 'xml'",
  ],
  [
    'logging',
    'file unknown',
    { file: { path: 'x' } },
    'unknown key file.path; valid keys of file: enabled, level, name',
  ],
];

const parse = (kind: Kind, v: unknown) =>
  kind === 'experiment'
    ? parseExperiment(v, 'file.json')
    : kind === 'system'
      ? parseSystem(v, 'file.json', '/tmp')
      : parseLogging(v, 'file.json');

for (const [kind, name, input, message] of CASES) {
  test(`${kind}: ${name}`, () => {
    assert.throws(
      () => parse(kind, input),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.equal(e.code, 'ERR_CONFIG');
        assert.equal(e.message, `file.json: ${message}`);
        return true;
      },
    );
  });
}

test('the table holds at least 25 cases', () => assert.ok(CASES.length >= 25));

test('every problem of a file is reported at once', () => {
  assert.throws(
    () =>
      parseExperiment(
        { dataset: { type: 'x' }, model: { type: 'mlp', hiden: [3] }, training: { epochs: -1 } },
        'e.json',
      ),
    (e: ConfigError) =>
      e.issues.length === 3 &&
      /^e\.json: 3 problems:\n {2}- /.test(e.message) &&
      e.issues.map((i) => i.path).join() === 'dataset.type,model.hiden,training.epochs',
  );
});

const dir = mkdtempSync(join(tmpdir(), 'gymnos-config-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('files: invalid JSON names the file, line and column; a missing file names the path', () => {
  const p = join(dir, 'broken.json');
  writeFileSync(p, '{\n  "dataset": { "type": "digits", }\n}');
  assert.throws(
    () => readJsonFile(p),
    (e: Error) => e.message.startsWith(`${p}: not valid JSON at line 2, column `),
  );
  assert.throws(
    () => readJsonFile(join(dir, 'nope.json')),
    (e: Error) => e.message === `${join(dir, 'nope.json')}: cannot read the file (ENOENT); check the path`,
  );
});

test('system.json/logging.json search: flag, GYMNOS_HOME, cwd, user config dir, defaults', () => {
  const home = join(dir, 'home');
  const cwd = join(dir, 'cwd');
  const xdg = join(dir, 'xdg');
  for (const d of [home, cwd, join(xdg, 'gymnos')]) mkdirSync(d, { recursive: true });
  const env = { XDG_CONFIG_HOME: xdg } as NodeJS.ProcessEnv;
  let s = loadSystem(undefined, env, cwd);
  assert.equal(s.source.via, 'defaults');
  assert.equal(s.runsDir, join(cwd, 'runs'));
  writeFileSync(join(xdg, 'gymnos', 'system.json'), JSON.stringify({ runsDir: 'r-user' }));
  s = loadSystem(undefined, env, cwd);
  assert.deepEqual([s.source.via, s.runsDir], ['user config dir', join(xdg, 'gymnos', 'r-user')]);
  writeFileSync(join(cwd, 'system.json'), JSON.stringify({ runsDir: 'r-cwd' }));
  assert.equal(loadSystem(undefined, env, cwd).source.via, 'cwd');
  writeFileSync(
    join(home, 'system.json'),
    JSON.stringify({ runsDir: '/abs/runs', sessionProfiles: { fast: { intraOpThreads: 2 } } }),
  );
  s = loadSystem(undefined, { ...env, GYMNOS_HOME: home }, cwd);
  assert.deepEqual([s.source.via, s.runsDir, Object.keys(s.sessionProfiles)], ['GYMNOS_HOME', '/abs/runs', ['fast']]);
  writeFileSync(join(dir, 'explicit.json'), JSON.stringify({ level: 'debug' }));
  const l = loadLogging(join(dir, 'explicit.json'), env, cwd);
  assert.deepEqual([l.source.via, l.level, l.console.level, l.file.name], ['flag', 'debug', 'info', 'gymnos.log']);
  assert.throws(
    () => loadSystem(join(dir, 'absent.json'), env, cwd),
    /the system\.json given on the command line does not exist/,
  );
  writeFileSync(join(cwd, 'logging.json'), JSON.stringify({ level: 'loud' }));
  assert.throws(
    () => loadLogging(undefined, env, cwd),
    (e: Error) =>
      e.message ===
      `${join(cwd, 'logging.json')}: expected one of 'trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent' for level but got 'loud'`,
  );
});

test('--set overrides: JSON values, strings, nested paths, array indices; a malformed one is an error', () => {
  const c = applyOverrides({ training: { epochs: 3 }, model: { type: 'cnn', channels: [8, 8] } }, [
    'training.epochs=5',
    'training.optimizer={"type":"sgd","lr":0.1}',
    'experiment.name=my-run',
    'model.channels[1]=16',
    'session.device=cpu',
  ]);
  assert.deepEqual(c, {
    training: { epochs: 5, optimizer: { type: 'sgd', lr: 0.1 } },
    model: { type: 'cnn', channels: [8, 16] },
    experiment: { name: 'my-run' },
    session: { device: 'cpu' },
  });
  assert.throws(
    () => applyOverrides({}, ['epochs']),
    (e: Error) => e.message === "--set: expected key.path=value for --set but got 'epochs'",
  );
});

test('defaults: a minimal experiment resolves every field', () => {
  const c = parseExperiment(base);
  assert.equal(c.training.epochs, 10);
  assert.deepEqual(c.training.optimizer, {
    type: 'adam',
    lr: 0.001,
    betas: [0.9, 0.999],
    eps: 1e-8,
    weight_decay: 0,
    amsgrad: false,
  });
  assert.deepEqual(c.training.loss, {
    type: 'softmax_cross_entropy',
    reduction: 'mean',
    label_smoothing: 0,
    labels: 'index',
    label_dtype: 'int64',
  });
  assert.deepEqual(c.dataset, { type: 'digits', split: { validation: 0.1, test: 0.2, stratify: true }, shuffle: true });
  assert.deepEqual(c.model, { type: 'mlp', hidden: [64], dropout: 0 });
  assert.deepEqual(parseExperiment(JSON.parse(JSON.stringify(c))), c, 'the resolved config is a fixed point');
});
