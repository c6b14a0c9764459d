/**
 * The one component contract: every registry documents every option (description and type), and
 * an experiment with mistakes in many components reports them all at once, each with its path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REGISTRIES, experimentJsonSchema, parseExperiment } from '../../src/experiment/index.js';
import { SOURCES } from '../../src/datasets/sources/index.js';
import { PREPROCESSORS } from '../../src/datasets/preprocess/registry.js';
import { sessionOptions } from '../../src/sessions/config.js';
import { ConfigError } from '../../src/config/errors.js';
import type { Registry } from '../../src/config/component.js';
import type { JsonSchema } from '../../src/config/schema.js';

/** A JSON Schema node says what type its value has. */
const typed = (j: JsonSchema): boolean =>
  j.type !== undefined ||
  Array.isArray(j.enum) ||
  j.const !== undefined ||
  (Array.isArray(j.oneOf) && (j.oneOf as JsonSchema[]).every(typed));

const ALL: Array<[string, Registry]> = [
  ...(Object.entries(REGISTRIES) as Array<[string, Registry]>),
  ['dataset', SOURCES as unknown as Registry],
  ['dataset.preprocess[]', PREPROCESSORS as unknown as Registry],
];

test('every option of every registered component has a description and a type', () => {
  const problems: string[] = [];
  let options = 0;
  for (const [where, reg] of ALL) {
    assert.ok(reg.list.length > 0, where);
    for (const c of reg.list) {
      if (!c.description?.trim()) problems.push(`${where} ${c.type}: no description`);
      for (const [k, s] of Object.entries(c.options)) {
        options++;
        const j = s.json();
        if (typeof j.description !== 'string' || !j.description.trim())
          problems.push(`${where} ${c.type}.${k}: no description`);
        if (!typed(j)) problems.push(`${where} ${c.type}.${k}: no type`);
      }
    }
  }
  for (const [k, s] of Object.entries(sessionOptions)) {
    options++;
    if (!s.json().description) problems.push(`session.${k}: no description`);
    if (!typed(s.json())) problems.push(`session.${k}: no type`);
  }
  assert.deepEqual(problems, []);
  assert.ok(options > 100, `only ${options} options found`);
});

test('gymnosd schema documents every key of the experiment file, components included', () => {
  const problems: string[] = [];
  const walk = (node: JsonSchema, path: string) => {
    (node.oneOf as JsonSchema[] | undefined)?.forEach((v) => {
      const t = (v.properties as Record<string, JsonSchema> | undefined)?.type?.const;
      if (t !== undefined && !v.description) problems.push(`${path} ${String(t)}: no description`);
      walk(v, t === undefined ? path : `${path}<${String(t)}>`);
    });
    for (const [k, p] of Object.entries((node.properties ?? {}) as Record<string, JsonSchema>)) {
      if (k === 'type' && p.const !== undefined) continue;
      if (typeof p.description !== 'string' || !p.description) problems.push(`${path}.${k}: no description`);
      if (!typed(p)) problems.push(`${path}.${k}: no type`);
      walk(p, `${path}.${k}`);
    }
    if (node.items && typeof node.items === 'object') walk(node.items as JsonSchema, `${path}[]`);
  };
  const s = experimentJsonSchema();
  walk(s, '');
  assert.deepEqual(problems, []);
  // the optimizer is documented option by option (it used to be a bare enum)
  const training = (s.properties as Record<string, JsonSchema>).training.properties as Record<string, JsonSchema>;
  const adam = (training.optimizer.oneOf as JsonSchema[]).find(
    (v) => (v.properties as Record<string, JsonSchema>).type.const === 'adam',
  )!;
  assert.deepEqual(Object.keys(adam.properties as object), ['type', 'lr', 'betas', 'eps', 'weight_decay', 'amsgrad']);
  assert.equal((adam.properties as Record<string, JsonSchema>).betas.default instanceof Array, true);
});

test('mistakes in many components of one file are reported together, each with its path', () => {
  const raw = {
    dataset: { type: 'iris', sise: 3, split: { validation: 1.5 } },
    model: { type: 'mlp', dropout: 1.5 },
    training: {
      epochs: 0,
      loss: { type: 'softmax_cross_entropy', reduction: 'none' },
      optimizer: { type: 'adam', lr: -1, betas: [0.9, 1] },
      lrSchedule: { type: 'exponential', gamma: 2 },
      metrics: [{ type: 'top_k', k: 0 }],
      callbacks: [{ type: 'early_stopping', patience: 0 }],
    },
    session: { intraOpThreads: 0, device: 'gpu' },
    tracking: { trackers: [{ type: 'mlflow' }] },
  };
  assert.throws(
    () => parseExperiment(raw, 'bad.json'),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      const paths = e.issues.map((i) => i.path).sort();
      assert.deepEqual(paths, [
        'dataset.sise',
        'dataset.split.validation',
        'model.dropout',
        'session.device',
        'session.intraOpThreads',
        'tracking.trackers[0].trackingUri',
        'training.callbacks[0].patience',
        'training.epochs',
        'training.loss.reduction',
        'training.lrSchedule.gamma',
        'training.metrics[0].k',
        'training.optimizer.betas',
        'training.optimizer.lr',
      ]);
      assert.match(e.message, /^bad\.json: 13 problems:\n/);
      for (const i of e.issues) assert.ok(i.message.includes(i.path), `${i.path}: ${i.message}`);
      return true;
    },
  );
});

test("a zoo architecture's own checks run when the file is read, with the other mistakes, naming the JSON path", () => {
  const raw = {
    dataset: { type: 'iris' },
    model: { type: 'transformer_encoder', vocabSize: 10, dModel: 10, heads: 4 },
    training: { epochs: 0 },
  };
  assert.throws(
    () => parseExperiment(raw, 'bad.json'),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(
        e.issues.map((i) => [i.path, i.message]),
        [
          ['model', 'expected model.heads to divide model.dModel (10) but got 4'],
          ['training.epochs', 'expected an integer >= 1 for training.epochs but got 0'],
        ],
      );
      return true;
    },
  );
});
