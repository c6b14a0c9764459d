/**
 * `gymnosd datasets list | info <name> | ingest <spec> | clear`: the dataset cache from the
 * command line. `<spec>` is a built-in source name (digits, iris) or a JSON file holding a
 * dataset spec (`{ "type": ..., ...options }`, or an experiment with a `dataset` block).
 */
import { loadSystem } from '../../experiment/index.js';
import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { clearCache, listCache, type CacheEntry } from '../../datasets/cache.js';
import { DatasetError } from '../../datasets/errors.js';
import { DatasetManager } from '../../datasets/manager.js';
import { progressLine } from '../../datasets/progress.js';
import { SOURCES } from '../../datasets/sources/index.js';

interface Args {
  action: string;
  spec?: string;
  cacheDir?: string;
  system?: string;
  json: boolean;
  force: boolean;
}

function readSpec(spec: string): unknown {
  if (SOURCES.has(spec) && !existsSync(spec)) return { type: spec };
  const path = resolve(spec);
  if (!existsSync(path))
    throw new DatasetError(
      `'${spec}' is neither a dataset source (${SOURCES.types().join(', ')}) nor an existing spec file; pass a built-in name or a JSON file`,
    );
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new DatasetError(`cannot parse '${path}' as JSON (${(e as Error).message})`, { cause: e });
  }
  const o = json as Record<string, unknown>;
  return o && typeof o === 'object' && 'dataset' in o && !('type' in o) ? o.dataset : json;
}

const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;

function summary(e: CacheEntry): string {
  const m = e.meta;
  const what = m.kind === 'image' ? `images ${m.shape!.join('x')} (HxWxC)` : `${m.featureNames!.length} features`;
  return `${String(m.spec.type).padEnd(12)} ${m.key.slice(0, 12)}  ${String(m.count).padStart(8)} samples  ${m.classes.length} classes  ${what}  ${mib(m.arrowBytes)}${m.skipped.length ? `  ${m.skipped.length} skipped` : ''}`;
}

function info(e: CacheEntry): string {
  const m = e.meta;
  const lines = [
    `file:       ${e.file}`,
    `key:        ${m.key}`,
    `spec:       ${JSON.stringify(m.spec)}`,
    `kind:       ${m.kind}`,
    m.kind === 'image' ? `shape:      ${m.shape!.join('x')} (HxWxC)` : `features:   ${m.featureNames!.join(', ')}`,
    `samples:    ${m.count} from ${m.sourceFiles} source file(s), ${mib(m.arrowBytes)}`,
    `classes:    ${m.classes.map((c, i) => `${c} (${m.classCounts[i]})`).join(', ')}`,
    `ingested:   ${m.createdAt} in ${m.ingestSeconds}s`,
    `skipped:    ${m.skipped.length}`,
    ...m.skipped.slice(0, 20).map((s) => `  ${s.file}${s.line ? `:${s.line}` : ''}: ${s.reason}`),
  ];
  if (m.skipped.length > 20) lines.push(`  ... and ${m.skipped.length - 20} more (see ${e.metaFile})`);
  return lines.join('\n');
}

export const datasetsCommand = {
  command: 'datasets <action> [spec]',
  describe:
    'Manage the dataset cache: list cached datasets, show one (info <type or key prefix>), ingest a spec (a built-in name or a JSON file), or clear the cache',
  builder: (y: Argv) =>
    y
      .positional('action', {
        type: 'string',
        choices: ['list', 'info', 'ingest', 'clear'],
        demandOption: true,
        describe: 'what to do',
      })
      .positional('spec', {
        type: 'string',
        describe: 'info: a source type or key prefix; ingest: a built-in name or a spec JSON file',
      })
      .option('cache-dir', {
        type: 'string',
        describe: 'the dataset cache directory (default: cacheDir of system.json, the cache gymnosd train uses)',
      })
      .option('system', {
        type: 'string',
        describe: 'system.json to use (default: $GYMNOS_HOME, ./, then ~/.config/gymnos; else defaults)',
      })
      .option('force', { type: 'boolean', default: false, describe: 'ingest: ingest again even when cached' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' }),
  handler: async (argv: Args): Promise<number> => {
    const cacheDir = argv.cacheDir ? resolve(argv.cacheDir) : loadSystem(argv.system).cacheDir;
    const out = (s: string) => process.stdout.write(`${s}\n`);
    // a DatasetError is user-facing: cli/errors.ts prints it as one line and exits 2
    switch (argv.action) {
      case 'list': {
        const entries = listCache(cacheDir);
        if (argv.json)
          out(
            JSON.stringify(
              entries.map((e) => ({ file: e.file, ...e.meta, items: undefined })),
              null,
              1,
            ),
          );
        else {
          out(`sources: ${SOURCES.types().join(', ')}`);
          out(
            entries.length
              ? `cached in ${cacheDir}:\n${entries.map(summary).join('\n')}`
              : `no cached datasets in ${cacheDir}`,
          );
        }
        return 0;
      }
      case 'info': {
        if (!argv.spec)
          throw new DatasetError(
            'datasets info needs a source type or cache key prefix, e.g. gymnosd datasets info digits',
          );
        const matches = listCache(cacheDir).filter(
          (e) => e.meta.spec.type === argv.spec || e.meta.key.startsWith(argv.spec!),
        );
        if (matches.length === 0)
          throw new DatasetError(`no cached dataset matches '${argv.spec}' in ${cacheDir}; see gymnosd datasets list`);
        out(
          argv.json
            ? JSON.stringify(
                matches.map((e) => ({ file: e.file, ...e.meta })),
                null,
                1,
              )
            : matches.map(info).join('\n\n'),
        );
        return 0;
      }
      case 'ingest': {
        if (!argv.spec)
          throw new DatasetError(
            'datasets ingest needs a built-in name or a spec JSON file, e.g. gymnosd datasets ingest digits',
          );
        const bar = progressLine('ingest');
        const p = await new DatasetManager().prepare(readSpec(argv.spec), {
          cacheDir,
          onProgress: bar.update,
          force: argv.force,
        });
        bar.done();
        const e = { file: p.cacheFile, metaFile: p.cacheFile.replace(/\.arrow$/, '.json'), meta: p.meta };
        out(
          argv.json
            ? JSON.stringify({ file: p.cacheFile, cacheHit: p.cacheHit, ...p.meta, items: undefined }, null, 1)
            : `${p.cacheHit ? 'cached' : 'ingested'}: ${summary(e)}\n${p.cacheFile}`,
        );
        return 0;
      }
      case 'clear': {
        const n = clearCache(cacheDir);
        out(`removed ${n} file(s) from ${cacheDir}`);
        return 0;
      }
      default:
        throw new DatasetError(`unknown action '${argv.action}'; expected list, info, ingest or clear`);
    }
  },
};
