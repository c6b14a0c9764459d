/**
 * The layering of src/ (docs/architecture.md): no import cycle, type-only imports included, and
 * no import from a top-level folder into one above it in LAYERS. Imports inside one folder are
 * free; src/index.ts sits above everything.
 * There is no allowlist: the last upward imports went with the renovation of issue 13.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { LAYERS, cycles, importEdges, importSpecifiers, layerOf, rank, type Edge } from './imports.js';

const root = join(import.meta.dirname, '..', '..');
const graph = importEdges(root);
const key = (e: Edge) => `${e.from} -> ${e.to}`;
const isUpward = (e: Edge) => layerOf(e.from) !== layerOf(e.to) && rank(e.to) > rank(e.from);

test('the import scan sees the tree and resolves every relative import', () => {
  assert.ok(
    graph.files.length > 200 && graph.edges.length > 800,
    `${graph.files.length} files, ${graph.edges.length} edges`,
  );
  assert.deepEqual(graph.unresolved.map(key), [], 'imports that name no file under src/');
});

test('src/ (what tsconfig.build.json ships in dist/) imports nothing from test/, bench/ or scripts/', () => {
  assert.deepEqual(
    graph.edges.filter((e) => !e.to.startsWith('src/')).map(key),
    [],
    'shipped code must not need test code (the native oracle lives in test/native/oracle/)',
  );
});

test('every top-level folder of src/ has a place in the layer order', () => {
  const unknown = [...new Set(graph.files.filter((f) => rank(f) < 0).map(layerOf))];
  assert.deepEqual(unknown, [], 'add the folder to LAYERS in test/architecture/imports.ts and to docs/architecture.md');
});

test('no upward import between top-level folders', () => {
  const upward = graph.edges.filter(isUpward).map(key);
  assert.deepEqual(
    upward,
    [],
    `imports into a higher layer (order, bottom to top: ${LAYERS.join(', ')}); move the code down or invert the dependency`,
  );
});

test('no import cycle (type-only imports included)', () => {
  const found = cycles(graph.files, graph.edges);
  assert.deepEqual(
    found.map((c) => `${c.length} files: ${c.join(', ')}`),
    [],
  );
});

test('the checks catch what they are for (synthetic graphs)', () => {
  // a three-file cycle inside one folder (no upward edge) and a self-contained acyclic chain
  const files = ['src/a/x.ts', 'src/a/y.ts', 'src/a/z.ts', 'src/b/p.ts', 'src/b/q.ts'];
  const edges: Edge[] = [
    { from: 'src/a/x.ts', to: 'src/a/y.ts' },
    { from: 'src/a/y.ts', to: 'src/a/z.ts' },
    { from: 'src/a/z.ts', to: 'src/a/x.ts' },
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
  assert.deepEqual(importSpecifiers(text).sort(), [
    '../b/c.js',
    './a.js',
    './d.js',
    './e.js',
    './f.js',
    './g.js',
    './h.js',
    './i.js',
  ]);
});
