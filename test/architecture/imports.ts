/**
 * The import graph of src/ for the architecture test: every file's imports (type-only, re-exports,
 * side-effect and dynamic `import()` included), resolved to files, and the strongly connected
 * components of that graph (a component of two or more files is an import cycle).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** The target layer order of the top-level folders of src/, bottom to top (docs/architecture.md). */
export const LAYERS = [
  'util',
  'config',
  'report',
  'onnx',
  'autodiff',
  'sessions',
  'native',
  'datasets',
  'models',
  'metrics',
  'schedules',
  'trainer',
  'trackers',
  'callbacks',
  'experiment',
  'inference',
  'sweeps',
  'cli',
] as const;

/** An import edge, as repo-relative paths: `from` imports `to`. */
export interface Edge {
  from: string;
  to: string;
}

const SPECIFIERS = [
  /(?:^|[\s;}])(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, // import x from, import type, export * from
  /(?:^|[\s;])import\s*['"]([^'"]+)['"]/g, // import './side-effect.js'
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g, // import('./lazy.js') and typeof import('./x.js')
];

/** Removes comments so that an import written in a doc comment is not an edge. */
function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** The relative module specifiers a TypeScript source imports. */
export function importSpecifiers(text: string): string[] {
  const code = stripComments(text);
  const out = new Set<string>();
  for (const re of SPECIFIERS) for (const m of code.matchAll(re)) if (m[1].startsWith('.')) out.add(m[1]);
  return [...out];
}

function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts') && !name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** Every import edge between the files under `srcDir` (paths relative to `root`). */
export function importEdges(root: string, srcDir = 'src'): { files: string[]; edges: Edge[]; unresolved: Edge[] } {
  const files = walk(join(root, srcDir), []);
  const edges: Edge[] = [];
  const unresolved: Edge[] = [];
  for (const f of files) {
    const from = relative(root, f);
    for (const spec of importSpecifiers(readFileSync(f, 'utf8'))) {
      const base = resolve(dirname(f), spec).replace(/\.js$/, '');
      const hit = [`${base}.ts`, join(base, 'index.ts')].find((c) => existsSync(c));
      if (hit) edges.push({ from, to: relative(root, hit) });
      else if (!/\.(json|node|mjs|cjs)$/.test(spec)) unresolved.push({ from, to: spec });
    }
  }
  return { files: files.map((f) => relative(root, f)), edges, unresolved };
}

/** Strongly connected components with two or more nodes (Tarjan's algorithm, iterative). */
export function cycles(nodes: string[], edges: Edge[]): string[][] {
  const next = new Map<string, string[]>(nodes.map((n) => [n, []]));
  for (const e of edges) next.get(e.from)?.push(e.to);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let counter = 0;
  for (const start of nodes) {
    if (index.has(start)) continue;
    const work: Array<{ v: string; i: number }> = [{ v: start, i: 0 }];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length) {
      const top = work[work.length - 1];
      const succ = next.get(top.v) ?? [];
      if (top.i < succ.length) {
        const w = succ[top.i++];
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          work.push({ v: w, i: 0 });
        } else if (onStack.has(w)) low.set(top.v, Math.min(low.get(top.v)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length) low.set(work[work.length - 1].v, Math.min(low.get(work[work.length - 1].v)!, low.get(top.v)!));
      if (low.get(top.v) === index.get(top.v)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== top.v);
        if (comp.length > 1) out.push(comp.sort());
      }
    }
  }
  return out;
}

/** The top-level folder of a src/ path ('' for files directly in src/, such as index.ts). */
export function layerOf(path: string): string {
  const parts = path.split('/');
  return parts.length > 2 ? parts[1] : '';
}

/** The rank of a path's layer: files directly in src/ sit above every folder; -1 for an unknown folder. */
export function rank(path: string): number {
  const layer = layerOf(path);
  return layer === '' ? LAYERS.length : (LAYERS as readonly string[]).indexOf(layer);
}
