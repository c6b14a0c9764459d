/**
 * Building training artifacts takes from a fraction of a second to seconds for large models: it
 * runs in a short-lived worker thread so the caller's event loop stays free. The result (plain
 * data: models, tensors, Maps) comes back by structured clone; errors keep their message and code.
 */
import { Worker } from 'node:worker_threads';
import { resolveWorkerEntry } from '../util/worker-entry.js';
import { ForwardedError } from '../util/errors.js';
import type { Model } from '../onnx/ir.js';
import type { TrainingArtifacts, TrainingSpec } from './artifacts.js';

export interface BuildRequest {
  model: Model;
  spec: TrainingSpec;
}
export type BuildReply =
  | { ok: true; artifacts: TrainingArtifacts }
  | { ok: false; error: { name: string; message: string; code?: string; hint?: string; stack?: string } };

/** `buildTrainingArtifacts(model, spec)` in a worker thread. */
export function buildTrainingArtifactsOffThread(model: Model, spec: TrainingSpec): Promise<TrainingArtifacts> {
  const entry = resolveWorkerEntry(import.meta.url, 'off-thread-main');
  return new Promise((resolve, reject) => {
    const worker = new Worker(entry.source, { eval: entry.eval, workerData: { model, spec } satisfies BuildRequest });
    let settled = false;
    worker.once('message', (reply: BuildReply) => {
      settled = true;
      void worker.terminate();
      if (reply.ok) {
        resolve(reply.artifacts);
        return;
      }
      const e = new ForwardedError(reply.error);
      e.stack = `${e.name}: ${e.message}\n    (built in a worker thread)\n${reply.error.stack?.split('\n').slice(1).join('\n') ?? ''}`;
      reject(e);
    });
    worker.once('error', (e) => {
      if (!settled) {
        settled = true;
        reject(e);
      }
    });
    worker.once('exit', (code) => {
      if (!settled) {
        settled = true;
        reject(new Error(`the artifact-building worker exited with code ${code}`));
      }
    });
  });
}
