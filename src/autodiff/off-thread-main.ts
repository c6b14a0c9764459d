/** Worker side of `buildTrainingArtifactsOffThread`. */
import { parentPort, workerData } from 'node:worker_threads';
import { buildTrainingArtifacts } from './artifacts.js';
import type { BuildReply, BuildRequest } from './off-thread.js';

const { model, spec } = workerData as BuildRequest;
let reply: BuildReply;
try {
  reply = { ok: true, artifacts: buildTrainingArtifacts(model, spec) };
} catch (e) {
  const err = e as Error & { code?: unknown; hint?: unknown };
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  reply = {
    ok: false,
    error: {
      name: err?.name ?? 'Error',
      message: err?.message ?? String(e),
      code: text(err?.code),
      hint: text(err?.hint),
      stack: err?.stack,
    },
  };
}
parentPort!.postMessage(reply);
