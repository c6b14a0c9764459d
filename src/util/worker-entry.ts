/**
 * Locating a worker thread's entry module: `<name>.js` beside the caller when compiled; under tsx
 * (tests, `node --import tsx`), a small bootstrap that registers tsx's loader inside the worker
 * and imports `<name>.ts` (an inherited `--import tsx` does not apply to a worker's entry file on
 * Node 20).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** How to start a worker whose entry module is `<name>.js|.ts` next to `base` (an import.meta.url). */
export function resolveWorkerEntry(base: string, name: string): { source: URL | string; eval: boolean } {
  const js = new URL(`./${name}.js`, base);
  if (existsSync(fileURLToPath(js))) return { source: js, eval: false };
  const ts = new URL(`./${name}.ts`, base);
  if (!existsSync(fileURLToPath(ts))) {
    throw new Error(
      `worker entry not found next to ${fileURLToPath(base)} (looked for ${name}.js and ${name}.ts); rebuild with \`npm run build\``,
    );
  }
  let api: string;
  try {
    api = import.meta.resolve('tsx/esm/api');
  } catch (e) {
    throw new Error(
      `running from TypeScript sources needs tsx for worker threads (${(e as Error).message}); install tsx or build with \`npm run build\``,
      { cause: e },
    );
  }
  return {
    source: `import(${JSON.stringify(api)}).then((api) => { api.register(); return import(${JSON.stringify(ts.href)}); });`,
    eval: true,
  };
}
