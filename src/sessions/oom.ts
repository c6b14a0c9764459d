/**
 * Out of memory is the user's to fix: when ONNX Runtime (or the process) fails to allocate, the
 * error says how much was asked for where ORT says so, the process's peak resident memory, and
 * the settings that make a step need less. The run then stops like any failed run (its last
 * checkpoint stays) and gymnosd exits 2.
 */
import { peakRssBytes } from '../util/rss.js';
import { SessionError } from './errors.js';

/** Messages ONNX Runtime, the C++ runtime and the OS give when an allocation fails. */
const OOM_PATTERNS: RegExp[] = [
  /Failed to allocate memory for requested buffer of size (\d+)/i,
  /Available memory of \d+ is smaller than requested bytes of (\d+)/i,
  /std::bad_alloc|bad allocation|bad_array_new_length/i,
  /\bout of memory\b|Cannot allocate memory|\bENOMEM\b|Array buffer allocation failed/i,
];

/** The remedies, named by their config keys. */
export const OOM_REMEDIES =
  'lower training.batchSize, split each batch with training.gradientAccumulation (same effective batch, memory of one micro-batch), or set training.recompute to "auto" (recompute cheap activations in the backward pass)';

const mib = (b: number) => `${Math.round(b / 2 ** 20)} MiB`;

/**
 * Returns ERR_OUT_OF_MEMORY when `e` is an allocation failure, else undefined. `what` names the
 * operation ("the training step 'train'"); `peak` is the process peak (default: measured now).
 */
export function outOfMemoryError(e: unknown, what: string, peak = peakRssBytes()): SessionError | undefined {
  const message = e instanceof Error ? e.message : String(e);
  const hit = OOM_PATTERNS.map((p) => message.match(p)).find((m) => m);
  if (!hit) return undefined;
  const asked = hit[1] ? `, asking for ${mib(Number(hit[1]))} more` : '';
  const first = message.split('\n')[0].slice(0, 200);
  return new SessionError(
    'ERR_OUT_OF_MEMORY',
    `out of memory in ${what}: the process had reached a peak of ${mib(peak)} resident${asked} (${first}). To need less memory: ${OOM_REMEDIES}`,
    { cause: e },
  );
}
