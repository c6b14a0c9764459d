/**
 * Exit codes and error reporting for gymnosd: user errors (bad files, bad config, unsupported
 * models) exit 2 with the message alone; anything else is an internal failure and exits 1 with
 * the stack, so it can be reported.
 */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USER_ERROR = 2;

/**
 * Codes of errors whose message tells the user what to fix: bad files, configs, models, data, and
 * environments that lack what the config asks for (a CUDA provider, say).
 */
const USER_CODES = new Set([
  'GYMNOS_ONNX_FORMAT', 'GYMNOS_OPSET', 'GYMNOS_AUTODIFF', 'GYMNOS_CHECKPOINT', 'GYMNOS_CONFIG', 'GYMNOS_USER', 'GYMNOS_DATASET',
  'ERR_SESSION_CONFIG', 'ERR_PROVIDER_UNAVAILABLE', 'ERR_BACKEND_UNAVAILABLE', 'ERR_OUT_OF_MEMORY',
  'ERR_GYMNOS_ARROW', 'ERR_GYMNOS_IO', 'ERR_GYMNOS_PLAN', 'ERR_GYMNOS_DATA',
]);

/** An error caused by the user's input; gymnosd prints its message and exits 2. */
export class UserError extends Error {
  readonly code = 'GYMNOS_USER';
  constructor(message: string, options?: { cause?: unknown }) { super(message, options); this.name = 'UserError'; }
}

/** Whether an error is the user's to fix (its message says how). */
export function isUserError(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && USER_CODES.has(code);
}

/** Prints an error the way gymnosd does and returns the exit code to use. */
export function reportError(e: unknown): number {
  if (isUserError(e)) {
    process.stderr.write(`gymnosd: ${(e as Error).message}\n`);
    return EXIT_USER_ERROR;
  }
  const err = e as Error;
  process.stderr.write(`gymnosd: internal error: ${err?.stack ?? String(e)}\n`);
  return EXIT_FAILURE;
}
