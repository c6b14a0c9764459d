/**
 * Errors of the session layer: one class with a stable `code`, and the plain form in which an
 * error crosses from the worker thread back to the caller (message and code kept, the worker's
 * error attached as `cause`).
 */
import { GymnosError } from '../util/errors.js';

/** Stable codes, for callers that branch on the kind of failure. */
export type SessionErrorCode =
  | 'ERR_SESSION_CONFIG' // invalid `session` config; message names the JSON path
  | 'ERR_PROVIDER_UNAVAILABLE' // the execution provider cannot load; message names what is missing
  | 'ERR_BACKEND_UNAVAILABLE' // the backend itself (onnxruntime-node) cannot load
  | 'ERR_SESSION_CREATE' // the model was rejected when creating a session
  | 'ERR_SESSION_RUN' // a run failed (bad feeds, kernel error)
  | 'ERR_SESSION_NOT_FOUND' // no session of that id/name
  | 'ERR_SESSION_EXISTS' // a session of that id/name already exists
  | 'ERR_WORKER_CRASHED' // the worker thread threw an uncaught error
  | 'ERR_WORKER_EXITED' // the worker thread exited while calls were pending
  | 'ERR_WORKER_TERMINATED' // the worker was terminated by its owner
  | 'ERR_ABORTED' // the caller's AbortSignal fired
  | 'ERR_OUT_OF_MEMORY'; // an allocation failed; the message names the settings that need less memory (a user error)

const CODES = new Set<string>([
  'ERR_SESSION_CONFIG',
  'ERR_PROVIDER_UNAVAILABLE',
  'ERR_BACKEND_UNAVAILABLE',
  'ERR_SESSION_CREATE',
  'ERR_SESSION_RUN',
  'ERR_SESSION_NOT_FOUND',
  'ERR_SESSION_EXISTS',
  'ERR_WORKER_CRASHED',
  'ERR_WORKER_EXITED',
  'ERR_WORKER_TERMINATED',
  'ERR_ABORTED',
  'ERR_OUT_OF_MEMORY',
]);

/** An error of the session layer. */
export class SessionError extends GymnosError {
  override name = 'SessionError';
  constructor(
    readonly code: SessionErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Wraps any thrown value as a SessionError with `code`, unless it already is one. */
export function asSessionError(e: unknown, code: SessionErrorCode, prefix = ''): SessionError {
  if (e instanceof SessionError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new SessionError(code, prefix + message, { cause: e });
}

/** An error as it crosses the worker boundary (structured-clone safe). */
export interface WireError {
  name: string;
  message: string;
  code: SessionErrorCode;
  stack?: string;
}

/** Flattens an error thrown inside the worker; `code` is used when it carries none of ours. */
export function toWire(e: unknown, code: SessionErrorCode): WireError {
  const err = e instanceof Error ? e : new Error(String(e));
  const own = (err as { code?: unknown }).code;
  return {
    name: err.name,
    message: err.message,
    code: typeof own === 'string' && CODES.has(own) ? (own as SessionErrorCode) : code,
    stack: err.stack,
  };
}

/**
 * Rebuilds a worker error on the caller's side: same message and code, this thread's stack, and
 * the worker's error (with the worker's stack) as `cause`.
 */
export function fromWire(w: WireError): SessionError {
  const cause = new Error(w.message);
  cause.name = w.name;
  if (w.stack) cause.stack = `${w.stack}\n    (in the session worker thread)`;
  return new SessionError(w.code, w.message, { cause });
}
