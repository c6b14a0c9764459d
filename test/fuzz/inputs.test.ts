/**
 * Seeded fuzzing of the files users hand Gymnos: ONNX models, Arrow and CSV datasets, checkpoints.
 * Valid files are mutated (byte flips, truncation, insertions, field edits) and fed to the library
 * entry points (decode + check + shape inference, dataset ingest, checkpoint load) in a worker
 * thread that a watchdog terminates when a case hangs, and a few to the real gymnosd binary in
 * child processes. Every outcome must be a success or a user error (a user code, a one-line
 * message without control bytes); no internal error, no hang, no crash (signal), and no
 * half-written cache entry. Bounded by case counts and a time budget per class.
 * GYMNOS_FUZZ_SEED and GYMNOS_FUZZ_CASES override the seed and the cases per mutation class.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { Rng } from '../../src/util/rng.js';
import { encodeModel } from '../../src/onnx/io.js';
import { buildCnn } from '../../src/models/zoo/small.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/trainer/checkpoint.js';
import { resolveWorkerEntry } from '../../src/util/worker-entry.js';
import type { Model } from '../../src/onnx/ir.js';
import type { FuzzCase, FuzzResult } from './worker.js';

const SEED = Number(process.env.GYMNOS_FUZZ_SEED ?? 20261203);
const CASES = Number(process.env.GYMNOS_FUZZ_CASES ?? 25);
/** A case that burns this much CPU time without answering is a hang (its worker is terminated). */
const HANG_MS = 10_000;

const dir = mkdtempSync(join(tmpdir(), 'gymnos-fuzz-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

type Outcome = 'userError' | 'success' | 'internal' | 'hang' | 'crash';
interface Tally {
  cases: number;
  userError: number;
  success: number;
  internal: number;
  hang: number;
  crash: number;
  skipped: number;
  examples: string[];
}
const tallies = new Map<string, Tally>();
const tally = (cls: string): Tally => {
  let t = tallies.get(cls);
  if (!t)
    tallies.set(
      cls,
      (t = { cases: 0, userError: 0, success: 0, internal: 0, hang: 0, crash: 0, skipped: 0, examples: [] }),
    );
  return t;
};

function record(cls: string, label: string, outcome: Outcome, detail?: string): void {
  const t = tally(cls);
  t.cases++;
  t[outcome]++;
  if (outcome !== 'success' && outcome !== 'userError' && t.examples.length < 5)
    t.examples.push(`${label}: ${outcome}${detail ? `: ${detail.slice(0, 600)}` : ''}`);
}

interface Pending extends FuzzCase {
  cls: string;
  label: string;
}

/**
 * Runs cases in a worker thread; a case silent for HANG_MS is a hang: the worker is replaced and the next case runs.
 */
async function runIsolated(cases: Pending[], cacheDir: string): Promise<void> {
  let start = 0;
  const entry = resolveWorkerEntry(new URL('./', import.meta.url).href, 'worker');
  while (start < cases.length) {
    start = await new Promise<number>((resolve) => {
      const w = new Worker(entry.source, {
        eval: entry.eval,
        workerData: { cases: cases.map(({ kind, path, spec }) => ({ kind, path, spec })), start, cacheDir },
      });
      let next = start;
      let done = false;
      const finish = (outcome: 'hang' | 'crash' | undefined, detail: string, at: number) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (outcome) record(cases[next].cls, cases[next].label, outcome, `${detail} (${cases[next].path})`);
        void w.terminate();
        resolve(at);
      };
      // a hang burns CPU: on a starved machine (a loaded CI runner) a slow case is waited for, up to 10x
      let since = { cpu: process.cpuUsage(), wall: performance.now() };
      const watch = () => {
        const cpuMs = (() => {
          const u = process.cpuUsage(since.cpu);
          return (u.user + u.system) / 1000;
        })();
        if (cpuMs < HANG_MS && performance.now() - since.wall < 10 * HANG_MS) {
          timer = setTimeout(watch, HANG_MS);
          return;
        }
        finish('hang', `no answer after ${Math.round(cpuMs)} ms of CPU time`, next + 1);
      };
      let timer = setTimeout(watch, HANG_MS);
      w.on('message', (r: FuzzResult) => {
        clearTimeout(timer);
        record(cases[r.i].cls, cases[r.i].label, r.outcome, r.detail);
        next = r.i + 1;
        since = { cpu: process.cpuUsage(), wall: performance.now() };
        if (next >= cases.length) finish(undefined, '', next);
        else timer = setTimeout(watch, HANG_MS);
      });
      w.on('error', (e) => finish('crash', `the worker died: ${e.stack}`, next + 1));
      w.on('exit', (code) =>
        finish(next < cases.length ? 'crash' : undefined, `the worker exited with ${code}`, next + 1),
      );
    });
  }
}

// --- mutations ---------------------------------------------------------------------------------

function flip(rng: Rng, b: Uint8Array): Uint8Array {
  const out = Uint8Array.from(b);
  const n = 1 + rng.int(8);
  for (let i = 0; i < n; i++) {
    const k = rng.int(out.length);
    out[k] = rng.int(3) === 0 ? out[k] ^ (1 << rng.int(8)) : rng.int(256);
  }
  return out;
}
const truncate = (rng: Rng, b: Uint8Array) => b.slice(0, rng.int(b.length));
function splice(rng: Rng, b: Uint8Array): Uint8Array {
  const at = rng.int(b.length);
  const len = 1 + rng.int(32);
  const junk = Uint8Array.from({ length: len }, () => rng.int(256));
  return rng.int(2)
    ? Uint8Array.from([...b.subarray(0, at), ...junk, ...b.subarray(at)])
    : Uint8Array.from([...b.subarray(0, at), ...b.subarray(Math.min(b.length, at + len))]);
}
const BYTE_MUTATIONS = { flip, truncate, splice } as const;

// --- ONNX --------------------------------------------------------------------------------------

const baseModel = (): Model => buildCnn({ input: [1, 8, 8], channels: [2], classes: 3, batchNorm: true, dropout: 0.1 });

/** Structural edits a hand-edited or damaged export might carry. */
const MODEL_EDITS: Array<(rng: Rng, m: Model) => void> = [
  (rng, m) => {
    const n = m.graph.nodes[rng.int(m.graph.nodes.length)];
    if (n.inputs.length) n.inputs[rng.int(n.inputs.length)] = `ghost\x1b[${rng.int(99)}m`;
  },
  (rng, m) => {
    m.graph.nodes.splice(rng.int(m.graph.nodes.length), 1);
  },
  (rng, m) => {
    const n = m.graph.nodes[rng.int(m.graph.nodes.length)];
    n.opType = ['Conv', 'Relu', 'Gemm', 'Reshape', 'Frobnicate', 'MaxPool', 'Concat'][rng.int(7)];
  },
  (rng, m) => {
    const n = m.graph.nodes.find((x) => x.opType === 'Conv')!;
    n.attrs.kernel_shape = { type: 'ints', value: [1 + rng.int(12), 1 + rng.int(12)] };
  },
  (rng, m) => {
    const n = m.graph.nodes.find((x) => x.opType === 'Conv' || x.opType === 'MaxPool')!;
    n.attrs.pads = { type: 'ints', value: [rng.int(5) - 2, rng.int(5) - 2, rng.int(5), rng.int(5)] };
    n.attrs.strides = { type: 'ints', value: [rng.int(3), 1 + rng.int(3)] };
  },
  (rng, m) => {
    const names = [...m.graph.initializers.keys()];
    const k = names[rng.int(names.length)];
    const t = m.graph.initializers.get(k)!;
    const dims = t.dims.map((d) => Math.max(1, d + rng.int(5) - 2));
    m.graph.initializers.set(k, { dtype: 'float32', dims, data: new Float32Array(dims.reduce((a, b) => a * b, 1)) });
  },
  (rng, m) => {
    const v = m.graph.inputs[0];
    v.shape = rng.int(2) ? [v.shape![0], 1 + rng.int(4), 1 + rng.int(10), 1 + rng.int(10)] : [v.shape![0], 1, 8];
  },
  (rng, m) => {
    m.opset.set('', [1, 7, 8, 9, 12, 15, 18, 21, 99][rng.int(9)]);
  },
  (rng, m) => {
    const n = m.graph.nodes[rng.int(m.graph.nodes.length)];
    n.name = `node\x00\x07${rng.int(9)}`;
    n.outputs[0] = m.graph.nodes[rng.int(m.graph.nodes.length)].outputs[0];
  },
];

const cases: Pending[] = [];
const caseFile = (name: string, bytes: Uint8Array) => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};

test('fuzz: mutated ONNX models (decode, check, shape inference)', () => {
  const rng = new Rng(SEED);
  const base = encodeModel(baseModel());
  for (const [name, mutate] of Object.entries(BYTE_MUTATIONS)) {
    for (let i = 0; i < CASES; i++)
      cases.push({
        cls: `onnx ${name}`,
        label: `#${i}`,
        kind: 'onnx',
        path: caseFile(`m-${name}-${i}.onnx`, mutate(rng, base)),
      });
  }
  for (let i = 0; i < CASES; i++) {
    const m = baseModel();
    const edits = 1 + rng.int(2);
    for (let k = 0; k < edits; k++) MODEL_EDITS[rng.int(MODEL_EDITS.length)](rng, m);
    cases.push({
      cls: 'onnx field edit',
      label: `#${i}`,
      kind: 'onnx',
      path: caseFile(`m-edit-${i}.onnx`, encodeModel(m)),
    });
  }
});

// --- datasets: Arrow and CSV -----------------------------------------------------------------------

/** No half-written cache entry: every .arrow has its .json, and no temp or lock file is left. */
function assertCacheClean(cacheDir: string): void {
  if (!existsSync(cacheDir)) return;
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)],
    );
  const files = walk(cacheDir);
  // (a .lock left by a case the watchdog stopped is not data: the cache takes over locks whose owner is gone)
  const leftovers = files.filter((f) => /\.tmp|\.partial/.test(f));
  assert.deepEqual(leftovers, [], 'temporary files left in the dataset cache');
  for (const f of files.filter((x) => x.endsWith('.arrow') && !/split-/.test(x)))
    assert.ok(existsSync(f.replace(/\.arrow$/, '.json')), `cache entry ${f} has no metadata`);
}

test('fuzz: mutated Arrow and CSV datasets (ingest)', () => {
  const rng = new Rng(SEED + 1);
  const n = 40;
  const table = tableFromArrays({
    a: Float32Array.from({ length: n }, (_, i) => i / 3),
    b: Float64Array.from({ length: n }, (_, i) => -i),
    label: Int32Array.from({ length: n }, (_, i) => i % 3),
  });
  const formats = { file: tableToIPC(table, 'file'), stream: tableToIPC(table, 'stream') };
  for (const [fmt, base] of Object.entries(formats)) {
    for (const [name, mutate] of Object.entries(BYTE_MUTATIONS)) {
      for (let i = 0; i < Math.ceil(CASES / 2); i++) {
        cases.push({
          cls: `arrow ${fmt} ${name}`,
          label: `#${i}`,
          kind: 'arrow',
          path: caseFile(`${fmt}-${name}-${i}.arrow`, mutate(rng, base)),
          spec: { type: 'arrow', features: ['a', 'b'], label: 'label' },
        });
      }
    }
  }
  const rows = Array.from({ length: 30 }, (_, i) => `${(i * 0.7).toFixed(2)},"${i % 5}",${i % 3 ? 'cat' : 'dog'}`);
  const csv = new TextEncoder().encode(`x,y,label\n${rows.join('\n')}\n`);
  const CSV_EDITS: Array<(rng: Rng, s: string) => string> = [
    (r, s) => s.replace('x,y', ['x,x', 'y,y', 'x,', ',y', 'x;y'][r.int(5)]),
    (r, s) => {
      const lines = s.split('\n');
      lines[1 + r.int(lines.length - 2)] = [
        '',
        '"',
        '1,2',
        '1,2,3,4',
        'NaN,1,cat',
        '1e999,1,dog',
        '"a""b",1,cat',
        '\u0000,1,cat',
      ][r.int(8)];
      return lines.join('\n');
    },
    (r, s) =>
      s
        .split('\n')
        .slice(0, 1 + r.int(3))
        .join('\n'),
    (_, s) => s.replace(/\n/g, '\r\n'),
    (r, s) => s.replaceAll(',', [';', '\t', ',,'][r.int(3)]),
  ];
  for (const [name, mutate] of [
    ...Object.entries(BYTE_MUTATIONS),
    [
      'field edit',
      (r: Rng, b: Uint8Array) =>
        new TextEncoder().encode(CSV_EDITS[r.int(CSV_EDITS.length)](r, new TextDecoder().decode(b))),
    ] as const,
  ]) {
    for (let i = 0; i < CASES; i++) {
      const path = caseFile(`${name}-${i}.csv`, (mutate as (r: Rng, b: Uint8Array) => Uint8Array)(rng, csv));
      cases.push({
        cls: `csv ${name}`,
        label: `#${i}`,
        kind: 'csv',
        path,
        spec: { type: 'csv', label: rng.int(2) ? 'label' : 'x' },
      });
    }
  }
});

// --- checkpoints ---------------------------------------------------------------------------------

test('fuzz: mutated checkpoints (decode)', () => {
  const rng = new Rng(SEED + 2);
  const m = baseModel();
  const tensors = new Map([...m.graph.initializers].slice(0, 6));
  const base = Buffer.concat(encodeCheckpoint({ tensors, meta: { step: 12, epoch: 1, lr: 0.01 } }));
  const back = decodeCheckpoint(base, 'base.gck');
  assert.deepEqual([...back.tensors.keys()], [...tensors.keys()]);
  const headerEdit = (r: Rng, b: Uint8Array) => {
    const text = Buffer.from(b).toString('latin1');
    const at = text.indexOf('{');
    const edits = [
      ['"dims":[', '"dims":[-1,'],
      ['"offset":', '"offset":1e12+'],
      ['"dtype":"float32"', '"dtype":"float99"'],
      ['"bytes":', '"bytes":-'],
      ['"tensors":[', '"tensors":[null,'],
      ['"crc":', '"crc":"x"+'],
    ];
    const [from, to] = edits[r.int(edits.length)];
    return Buffer.from(text.slice(0, at) + text.slice(at).replace(from, to), 'latin1');
  };
  for (const [name, mutate] of [...Object.entries(BYTE_MUTATIONS), ['header edit', headerEdit] as const]) {
    for (let i = 0; i < CASES; i++) {
      cases.push({
        cls: `checkpoint ${name}`,
        label: `#${i}`,
        kind: 'checkpoint',
        path: caseFile(`ck-${name}-${i}.gck`, (mutate as (r: Rng, b: Uint8Array) => Uint8Array)(rng, base)),
      });
    }
  }
});

test('fuzz: every case through the library entry points in a watched worker; the dataset cache holds no half-written entry', async () => {
  const cacheDir = join(dir, 'cache');
  await runIsolated(cases, cacheDir);
  assertCacheClean(cacheDir);
});

// --- the real binary -----------------------------------------------------------------------------

const BIN = 'dist/src/cli/bin.js';

test(
  'fuzz: a handful of mutated models and experiments through the gymnosd binary',
  { skip: !existsSync(BIN) && 'dist/ not built' },
  () => {
    const rng = new Rng(SEED + 3);
    const base = encodeModel(baseModel());
    const cliDir = join(dir, 'cli');
    mkdirSync(cliDir, { recursive: true });
    const cases: Array<{ label: string; args: string[]; ok: number[] }> = [];
    for (let i = 0; i < 4; i++) {
      const p = join(cliDir, `m${i}.onnx`);
      writeFileSync(p, i % 2 ? truncate(rng, base) : flip(rng, base));
      cases.push({ label: `check m${i}`, args: ['check', p], ok: [0, 1, 2] });
    }
    const exp = JSON.stringify({
      dataset: { type: 'iris' },
      model: { type: 'mlp', hidden: [4] },
      training: { epochs: 1, batchSize: 8 },
    });
    for (let i = 0; i < 3; i++) {
      const p = join(cliDir, `e${i}.json`);
      writeFileSync(
        p,
        i === 0
          ? exp.slice(0, rng.int(exp.length))
          : exp.replace(/\d+/, String(rng.int(3) - 1)).replace('iris', ['iris', 'irs', ''][i]),
      );
      cases.push({ label: `validate e${i}`, args: ['validate', p], ok: [0, 2] });
    }
    const out = join(cliDir, 'run');
    cases.push({
      label: 'train with a corrupt model',
      args: ['train', writeBadModelExperiment(cliDir, truncate(rng, base)), '--output', out],
      ok: [2],
    });
    for (const c of cases) {
      const r = spawnSync(process.execPath, [BIN, ...c.args], { encoding: 'utf8', timeout: 60_000 });
      // the user's message is the last line (a config error lists its problems below it); the train
      // command's console logger may print the failure before it (issue 14, item 6)
      const message = /(^|\n)gymnosd: [^\n]+\n(( {2}- [^\n]+\n)+)?$/.test(r.stderr) && !/internal error/.test(r.stderr);
      const outcome: Outcome =
        r.signal === 'SIGTERM' && r.error
          ? 'hang'
          : r.signal
            ? 'crash'
            : r.status === 2 && message
              ? 'userError'
              : c.ok.includes(r.status ?? -1) && !/internal error/.test(r.stderr) && r.status !== 2
                ? 'success'
                : 'internal';
      record('gymnosd binary', c.label, outcome, `exit ${r.status} ${r.signal ?? ''}: ${r.stderr}`);
    }
    // a failed train leaves no model behind
    assert.equal(existsSync(join(out, 'model.onnx')), false);
  },
);

function writeBadModelExperiment(d: string, model: Uint8Array): string {
  writeFileSync(join(d, 'bad.onnx'), model);
  const p = join(d, 'bad-model.json');
  writeFileSync(
    p,
    JSON.stringify({ dataset: { type: 'iris' }, model: { type: 'onnx', path: 'bad.onnx' }, training: { epochs: 1 } }),
  );
  return p;
}

test('fuzz: outcome table (no internal errors, hangs or crashes)', () => {
  const rows = [...tallies].map(
    ([cls, t]) =>
      `| ${cls} | ${t.cases} | ${t.userError} | ${t.success} | ${t.internal} | ${t.hang} | ${t.crash} |${t.skipped ? ` (${t.skipped} skipped: time budget)` : ''}`,
  );
  const table = [
    '| input class | cases | clean user error | success | internal error | hang | crash |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
  console.log(`fuzz seed ${SEED}, ${CASES} cases per mutation class:\n${table}`);
  const bad = [...tallies].flatMap(([cls, t]) => t.examples.map((e) => `${cls} ${e}`));
  assert.ok(tallies.size >= 10, 'every fuzz class ran');
  assert.deepEqual(bad, [], `failures that are not clean user errors:\n${bad.join('\n')}`);
});

// apache-arrow's tableFromIPC loops forever on some corrupted IPC files (a footer block pointing at a
// message that is not a record batch, a damaged schema field tree); ingest checks the layout first
// (src/datasets/arrow-check.ts), so every mutated Arrow file is a user error or a success
test('fuzz: no corrupted Arrow file hangs ingest', () => {
  const arrow = [...tallies].filter(([cls]) => cls.startsWith('arrow '));
  assert.ok(arrow.length >= 6, 'the Arrow classes ran');
  const hangs = arrow.reduce((n, [, t]) => n + t.hang, 0);
  assert.equal(hangs, 0, `${hangs} Arrow case(s) hung`);
  assert.equal(
    arrow.reduce((n, [, t]) => n + t.cases - t.userError - t.success, 0),
    0,
    'every Arrow case is a user error or a success',
  );
});
