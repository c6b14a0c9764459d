/**
 * The sweep file: the experiment file's error style (JSON path, did-you-mean, every issue at once),
 * every trial's experiment validated at load, and the example file loading as shipped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/config/errors.js';
import { loadSweepFile, parseSweep } from '../../src/sweeps/sweep-file.js';

const experiment = { dataset: { type: 'iris' }, model: { type: 'mlp', hidden: [4] }, training: { epochs: 3 } };
const base = {
  experiment,
  space: { 'training.optimizer.lr': { type: 'loguniform', low: 0.001, high: 0.1 } },
  trials: 4,
};

const issues = (raw: unknown): string[] => {
  try {
    parseSweep(raw, 'sweep.json');
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.issues.map((i) => i.message);
  }
  assert.fail('expected a ConfigError');
};

test('unknown keys name their path and the nearest valid key; every issue is reported', () => {
  const msgs = issues({
    ...base,
    stratgy: { type: 'grid' },
    earlyTermination: { type: 'asha', etta: 2 },
    space: { x: { type: 'loguniform', low: 0, high: 1 } },
  });
  assert.ok(
    msgs.some((m) => /unknown key stratgy \(did you mean 'strategy'\?\)/.test(m)),
    msgs.join('\n'),
  );
  assert.ok(
    msgs.some((m) => /unknown key earlyTermination\.etta \(did you mean 'eta'\?\)/.test(m)),
    msgs.join('\n'),
  );
  assert.ok(
    msgs.some((m) => /expected a number > 0 for space\.x\.low but got 0/.test(m)),
    msgs.join('\n'),
  );
  assert.match(
    issues({ ...base, strategy: { type: 'sobel' } })[0],
    /expected one of 'grid', 'random', 'halton' for strategy\.type but got 'sobel'/,
  );
  assert.match(
    issues({ ...base, space: { a: { type: 'uniform', low: 2, high: 1 } } })[0],
    /expected space\.a\.low < space\.a\.high/,
  );
  assert.match(issues({ ...base, trials: undefined })[0], /missing trials: the random strategy needs a trial budget/);
  assert.match(issues({ ...base, space: {} })[0], /expected at least one parameter in space/);
});

test('a space path that leads to an invalid experiment fails at load, naming the trial and the key', () => {
  const msgs = issues({ ...base, space: { 'training.optimzer.lr': { type: 'uniform', low: 0.1, high: 0.2 } } });
  assert.match(
    msgs[0],
    /trial t000 \(training\.optimzer\.lr=0\.1\d*\): unknown key training\.optimzer \(did you mean 'optimizer'\?\)/,
  );
  assert.match(
    issues({ ...base, space: { 'training.epochs': { type: 'int', low: 0, high: 2 } }, strategy: { type: 'grid' } })[0],
    /trial t000 \(training\.epochs=0\): expected an integer >= 1 for training\.epochs/,
  );
});

test('trials carry their parameters into validated experiments; set applies to all', () => {
  const s = parseSweep({
    ...base,
    set: { 'training.batchSize': 8 },
    space: {
      'training.optimizer': {
        type: 'choice',
        values: [
          { type: 'sgd', lr: 0.1 },
          { type: 'adam', lr: 0.01 },
        ],
      },
      'model.hidden[0]': { type: 'int', low: 2, high: 3 },
    },
    strategy: { type: 'grid' },
    trials: undefined,
  });
  assert.equal(s.trials.length, 4);
  assert.deepEqual(
    s.trials.map((t) => [
      t.config.training.optimizer.type,
      (t.config.model as unknown as { hidden: number[] }).hidden[0],
      t.config.training.batchSize,
    ]),
    [
      ['sgd', 2, 8],
      ['sgd', 3, 8],
      ['adam', 2, 8],
      ['adam', 3, 8],
    ],
  );
  assert.deepEqual(
    s.trials.map((t) => t.id),
    ['t000', 't001', 't002', 't003'],
  );
  assert.equal(s.mode, 'min');
});

test('examples/sweep-quickstart.json loads: 3 trials of 2 epochs', () => {
  const s = loadSweepFile(new URL('../../examples/sweep-quickstart.json', import.meta.url).pathname);
  assert.equal(s.trials.length, 3);
  assert.ok(s.trials.every((t) => t.config.training.epochs === 2 && t.config.dataset.type === 'digits'));
  assert.equal(s.mode, 'max');
});
