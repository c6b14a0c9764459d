/**
 * The fuzz test's worker: runs library entry points on the case files it is given and posts one
 * outcome per case, so the test can stop a case that hangs (terminate the worker) and go on.
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { decodeModel } from '../../src/onnx/io.js';
import { inspectModel } from '../../src/models/inspect.js';
import { DatasetManager } from '../../src/datasets/manager.js';
import { decodeCheckpoint } from '../../src/trainer/checkpoint.js';
import { isUserError } from '../../src/cli/errors.js';

/** One case: which entry point, on which file. */
export interface FuzzCase {
  kind: 'onnx' | 'arrow' | 'csv' | 'checkpoint';
  path: string;
  spec?: Record<string, unknown>;
}
/** What the worker reports for case `i`. */
export interface FuzzResult {
  i: number;
  outcome: 'userError' | 'success' | 'internal';
  detail?: string;
}

/** Whether an error is what the user should see: a user code and one printable line (undefined), else why not. */
export function unclean(e: unknown): string | undefined {
  if (!isUserError(e)) return `not a user error: ${(e as Error)?.stack ?? String(e)}`;
  const m = (e as Error).message;
  if (/[\x00-\x08\x0b-\x1f\x7f]/.test(m)) return `raw control bytes in: ${JSON.stringify(m)}`;
  if (m.includes('\n') && !/problems?:\n/.test(m)) return `a multi-line message: ${JSON.stringify(m)}`;
  return undefined;
}

async function run(c: FuzzCase, cacheDir: string): Promise<void> {
  switch (c.kind) {
    case 'onnx':
      inspectModel(decodeModel(readFileSync(c.path), c.path), c.path);
      return;
    case 'checkpoint':
      decodeCheckpoint(readFileSync(c.path), c.path);
      return;
    default:
      await new DatasetManager().prepare({ ...c.spec, path: c.path }, { cacheDir });
  }
}

if (parentPort) {
  const { cases, start, cacheDir } = workerData as { cases: FuzzCase[]; start: number; cacheDir: string };
  for (let i = start; i < cases.length; i++) {
    let r: FuzzResult = { i, outcome: 'success' };
    try {
      await run(cases[i], cacheDir);
    } catch (e) {
      const detail = unclean(e);
      r = detail ? { i, outcome: 'internal', detail } : { i, outcome: 'userError' };
    }
    parentPort.postMessage(r);
  }
}
