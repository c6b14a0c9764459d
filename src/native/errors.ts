/** Errors from the native data engine, rethrown in TypeScript with a stable `code` and `cause`. */
import { GymnosError } from '../util/errors.js';

/** Stable codes set by the addon (see native/src/error.rs). */
export const NATIVE_ERROR_CODES = [
  'ERR_ARROW',
  'ERR_IO',
  'ERR_PLAN',
  'ERR_DATA',
  'ERR_LOADER_CLOSED',
  'ERR_INTERNAL',
] as const;
export type NativeErrorCode = (typeof NATIVE_ERROR_CODES)[number];
const NATIVE_CODES: ReadonlySet<string> = new Set(NATIVE_ERROR_CODES);

/** An error raised by the native loader; `cause` is the addon's original error. */
export class NativeLoaderError extends GymnosError {
  constructor(
    readonly code: NativeErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'NativeLoaderError';
  }
}

/** Wraps whatever the addon threw, keeping it as `cause` and giving this call site's stack. */
export function wrapNativeError(e: unknown, context: string): Error {
  if (e instanceof NativeLoaderError) return e;
  const code = (e as { code?: unknown })?.code;
  const msg = e instanceof Error ? e.message : String(e);
  if (typeof code === 'string' && NATIVE_CODES.has(code)) {
    return new NativeLoaderError(code as NativeErrorCode, `${context}: ${msg}`, { cause: e });
  }
  return new NativeLoaderError('ERR_INTERNAL', `${context}: ${msg}`, { cause: e });
}
