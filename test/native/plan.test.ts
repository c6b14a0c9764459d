/** Plan validation (pure TypeScript) and the addon loader's error message. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validatePlan, PlanError } from '../../src/native/plan.js';
import { loadBindingFrom, loadBinding, addonPath, platformTag, findPackageRoot } from '../../src/native/binding.js';

test('defaults are filled and sizes normalized', () => {
  const p = validatePlan({
    path: 'x.arrow',
    data: {
      kind: 'image',
      column: 'image',
      transforms: [{ type: 'randomCrop', size: 32, padding: 4 }, { type: 'toFloat' }],
    },
    batchSize: 64,
    threads: 2,
  });
  assert.deepEqual(p.data, {
    kind: 'image',
    column: 'image',
    layout: 'NCHW',
    transforms: [
      { type: 'randomCrop', size: [32, 32], padding: 4, fill: 0 },
      { type: 'toFloat', scale: 1 / 255 },
    ],
  });
  assert.equal(p.prefetch, 4);
  assert.deepEqual([p.shuffle, p.seed, p.dropLast, p.epochs, p.label], [true, 0, false, 1, null]);
  assert.deepEqual(p.shard, { index: 0, count: 1 });
  assert.deepEqual(p.cursor, { epoch: 0, position: 0 });
});

test('every problem is reported at once, with path, expectation and value', () => {
  try {
    validatePlan({
      path: '',
      data: {
        kind: 'image',
        column: 'image',
        transforms: [
          { type: 'randomCrop', size: 0 },
          { type: 'blur' },
          { type: 'normalize', mean: [0.5], std: [0] },
          { type: 'colorJitter', hue: 0.7 },
        ],
      },
      batchSize: 0,
      threads: 2.5,
      shard: { index: 3, count: 2 },
      mixup: true,
      batchTransforms: [{ type: 'mixup' }],
    });
    assert.fail('should throw');
  } catch (e) {
    assert.ok(e instanceof PlanError);
    const all = e.issues.join('\n');
    for (const want of [
      'expected a non-empty string for plan.path but got ""',
      'expected a positive integer or [height, width] for plan.data.transforms[0].size but got 0',
      'for plan.data.transforms[1].type but got "blur"',
      'expected a non-empty array of positive finite numbers for plan.data.transforms[2].std but got [0]',
      'colorJitter must come before normalize',
      'expected a number in [0, 0.5] for plan.data.transforms[3].hue but got 0.7',
      'expected an integer in [1, 16777216] for plan.batchSize but got 0',
      'expected an integer in [1, 256] for plan.threads but got 2.5',
      'expected an integer in [0, 1] for plan.shard.index but got 3',
      'unknown key plan.mixup',
      'mixup produces soft labels; set plan.label.oneHot',
    ])
      assert.ok(all.includes(want), `missing: ${want}\nin:\n${all}`);
  }
  assert.throws(() => validatePlan(null), PlanError);
  assert.throws(
    () =>
      validatePlan({
        path: 'a',
        data: { kind: 'tabular', columns: ['a'] },
        batchSize: 1,
        batchTransforms: [{ type: 'cutmix' }],
        label: { column: 'y', oneHot: 3 },
      }),
    /cutmix needs image data/,
  );
  assert.throws(
    () =>
      validatePlan({
        path: 'a',
        data: { kind: 'tabular', columns: ['a'], standardize: { mean: [0, 1], std: [1] } },
        batchSize: 1,
      }),
    /mean and std must have the same length/,
  );
  assert.throws(
    () =>
      validatePlan({
        path: 'a',
        data: { kind: 'image', column: 'i' },
        batchSize: 1,
        epochs: 2,
        cursor: { epoch: 3, position: 0 },
      }),
    /cursor.epoch \(3\) is past plan.epochs \(2\)/,
  );
});

test('a missing addon error says what to run and carries the cause', () => {
  assert.throws(
    () => loadBindingFrom('/nonexistent/gymnos-native.node'),
    (e: Error) =>
      /npm run build:native/.test(e.message) &&
      /node scripts\/build-native.mjs/.test(e.message) &&
      e.cause instanceof Error,
  );
  const bogus = join(mkdtempSync(join(tmpdir(), 'gymnos-bogus-')), 'gymnos-native.node');
  writeFileSync(bogus, 'not a shared object');
  assert.throws(
    () => loadBindingFrom(bogus),
    (e: Error) =>
      /failed to load the native data engine/.test(e.message) &&
      /npm run build:native/.test(e.message) &&
      e.cause !== undefined,
  );
});

test('the addon is found from the package root by platform tag', () => {
  assert.match(platformTag(), /^(linux-(x64|arm64)-(gnu|musl)|darwin-\w+|win32-\w+)$/);
  assert.ok(addonPath().startsWith(findPackageRoot(new URL('.', import.meta.url).pathname)));
  assert.ok(addonPath().endsWith(`native/gymnos-native.${platformTag()}.node`));
});

test('the hand-written binding interface matches the addon exports', () => {
  const b = loadBinding();
  assert.deepEqual(Object.keys(b).sort(), ['close', 'info', 'next', 'open', 'release', 'stats', 'version']);
  assert.match(b.version, /^\d+\.\d+\.\d+$/);
  assert.deepEqual(Object.keys(b.stats()).sort(), ['liveBatchBytes', 'liveLoaders', 'liveThreads']);
});
