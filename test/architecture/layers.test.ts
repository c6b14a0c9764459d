/**
 * The layering of src/ (docs/architecture.md): no import cycle, type-only imports included, and
 * no import from a top-level folder into one above it in LAYERS. Imports inside one folder are
 * free; src/index.ts sits above everything.
 *
 * ALLOWED_UPWARD lists the upward imports that exist today and are being removed on other
 * branches. It may only shrink: an entry that no longer exists fails the test, so that whoever
 * removes an import also removes its entry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { LAYERS, cycles, importEdges, importSpecifiers, layerOf, rank, type Edge } from './imports.js';

const ALLOWED_UPWARD = new Set([
  // config/ as the composition root: config/experiment.ts imports every registry. This edge set
  // also closes today's one import cycle (19 files: config/experiment.ts -> callbacks ->
  // trainer/events.ts -> config/experiment.ts). Going with the experiment/ composition root (c13a).
  'src/config/experiment.ts -> src/autodiff/losses/index.ts',
  'src/config/experiment.ts -> src/autodiff/optimizers/index.ts',
  'src/config/experiment.ts -> src/sessions/config.ts',
  'src/config/experiment.ts -> src/metrics/index.ts',
  'src/config/experiment.ts -> src/trainer/schedules/index.ts',
  'src/config/experiment.ts -> src/models/factory.ts',
  'src/config/experiment.ts -> src/trainer/dataset-block.ts',
  'src/config/experiment.ts -> src/callbacks/index.ts',
  'src/config/experiment.ts -> src/trackers/index.ts',
  // config/system.ts validates the session defaults with sessions/' own checker (c13a: config as a leaf)
  'src/config/system.ts -> src/sessions/config.ts',
  // util/logger.ts reads the logging config's type; goes when config/ is a leaf (c13a)
  'src/util/logger.ts -> src/config/logging.ts',
  // callbacks that write through trackers (the TensorBoard callback, the provider's tracker hand-off)
  'src/callbacks/provider.ts -> src/trackers/manager.ts',
  'src/callbacks/tensorboard.ts -> src/trackers/index.ts',
  'src/callbacks/tensorboard.ts -> src/trackers/tensorboard.ts',
  'src/callbacks/tensorboard.ts -> src/trackers/manager.ts',
  // the Trainer builds its CallbackProvider itself (the composition root's job, c13a)
  'src/trainer/trainer.ts -> src/callbacks/provider.ts',
  // `gymnosd check` runs a real training step through the trainer's StepRunner
  'src/models/check-training.ts -> src/trainer/step-runner.ts',
  // native/stats.ts reuses the Arrow layout check and DatasetError of datasets/ (c13b: data rooms)
  'src/native/stats.ts -> src/datasets/arrow-check.ts',
  'src/native/stats.ts -> src/datasets/errors.ts',
]);

const root = join(import.meta.dirname, '..', '..');
const graph = importEdges(root);
const key = (e: Edge) => `${e.from} -> ${e.to}`;
const isUpward = (e: Edge) => layerOf(e.from) !== layerOf(e.to) && rank(e.to) > rank(e.from);

test('the import scan sees the tree and resolves every relative import', () => {
  assert.ok(graph.files.length > 200 && graph.edges.length > 800, `${graph.files.length} files, ${graph.edges.length} edges`);
  assert.deepEqual(graph.unresolved.map(key), [], 'imports that name no file under src/');
});

test('src/ (what tsconfig.build.json ships in dist/) imports nothing from test/, bench/ or scripts/', () => {
  assert.deepEqual(graph.edges.filter((e) => !e.to.startsWith('src/')).map(key), [], 'shipped code must not need test code (the native oracle lives in test/native/oracle/)');
});

test('every top-level folder of src/ has a place in the layer order', () => {
  const unknown = [...new Set(graph.files.filter((f) => rank(f) < 0).map(layerOf))];
  assert.deepEqual(unknown, [], 'add the folder to LAYERS in test/architecture/imports.ts and to docs/architecture.md');
});

test('no upward import between top-level folders (beyond the allowlist of today\'s)', () => {
  const upward = graph.edges.filter(isUpward).map(key);
  const fresh = upward.filter((k) => !ALLOWED_UPWARD.has(k));
  assert.deepEqual(fresh, [], `imports into a higher layer (order, bottom to top: ${LAYERS.join(', ')}); move the code down or invert the dependency`);
  const stale = [...ALLOWED_UPWARD].filter((k) => !upward.includes(k));
  assert.deepEqual(stale, [], 'these allowlisted imports are gone: delete them from ALLOWED_UPWARD');
});

test('no import cycle once the allowlisted upward imports are set aside', () => {
  const kept = graph.edges.filter((e) => !ALLOWED_UPWARD.has(key(e)));
  const found = cycles(graph.files, kept);
  assert.deepEqual(found.map((c) => `${c.length} files: ${c.join(', ')}`), []);
});

test('the checks catch what they are for (synthetic graphs)', () => {
  // a three-file cycle inside one folder (no upward edge) and a self-contained acyclic chain
  const files = ['src/a/x.ts', 'src/a/y.ts', 'src/a/z.ts', 'src/b/p.ts', 'src/b/q.ts'];
  const edges: Edge[] = [
    { from: 'src/a/x.ts', to: 'src/a/y.ts' }, { from: 'src/a/y.ts', to: 'src/a/z.ts' }, { from: 'src/a/z.ts', to: 'src/a/x.ts' },
    { from: 'src/b/p.ts', to: 'src/b/q.ts' },
  ];
  assert.deepEqual(cycles(files, edges), [['src/a/x.ts', 'src/a/y.ts', 'src/a/z.ts']]);
  assert.deepEqual(cycles(files, edges.slice(1)), []);
  // a long chain does not overflow (iterative Tarjan)
  const chain = Array.from({ length: 20000 }, (_, i) => `src/c/f${i}.ts`);
  const links = chain.slice(1).map((to, i) => ({ from: chain[i], to }));
  assert.deepEqual(cycles(chain, links), []);
  assert.equal(cycles(chain, [...links, { from: chain.at(-1)!, to: chain[0] }])[0].length, chain.length);
  // layers: util below cli; files directly in src/ above all
  assert.ok(isUpward({ from: 'src/util/a.ts', to: 'src/cli/b.ts' }));
  assert.ok(!isUpward({ from: 'src/cli/b.ts', to: 'src/util/a.ts' }));
  assert.ok(!isUpward({ from: 'src/index.ts', to: 'src/cli/main.ts' }));
  assert.ok(isUpward({ from: 'src/cli/main.ts', to: 'src/index.ts' }));
});

test('type-only, re-export, side-effect and dynamic imports are all edges; comments are not', () => {
  const text = [
    "import type { A } from './a.js';",
    "import { type B, C } from '../b/c.js';",
    "export { D } from './d.js';",
    "export * from './e.js';",
    "import './f.js';",
    "const g = await import('./g.js');",
    "type H = typeof import('./h.js');",
    "import fs from 'node:fs';",
    "// import { X } from './commented.js';",
    "/** see import('./doc.js') */",
    'import {',
    '  I,',
    "} from './i.js';",
  ].join('\n');
  assert.deepEqual(importSpecifiers(text).sort(), ['../b/c.js', './a.js', './d.js', './e.js', './f.js', './g.js', './h.js', './i.js']);
});
