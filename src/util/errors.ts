/**
 * The one rule for failures. Every error Gymnos raises on purpose extends `GymnosError`: a stable
 * `code`, whether it is the user's (or the environment's) to fix (`userFacing`), an optional `hint`
 * with the remedy, and the `cause` it wraps. gymnosd prints a user-facing error as one line and
 * exits 2; anything else is a bug: stack, a request to report it, exit 1 (see cli/errors.ts, the one
 * place that maps errors to exit codes). Codes are spelled `ERR_X` (ERROR_CODE_PATTERN).
 *
 * A leaf module: it imports nothing from the project, so every layer can use it.
 */

/**
 * Codes of errors whose message tells the user what to fix: bad files, configs, models, data,
 * environments that lack what the config asks for (a CUDA provider, say), a full disk, a held lock,
 * a diverged run.
 */
export const USER_CODES: ReadonlySet<string> = new Set([
  'ERR_ONNX_FORMAT',
  'ERR_OPSET',
  'ERR_AUTODIFF',
  'ERR_CHECKPOINT',
  'ERR_CONFIG',
  'ERR_USER',
  'ERR_DATASET',
  'ERR_ENVIRONMENT',
  'ERR_LOCKED',
  'ERR_DIVERGED',
  'ERR_MLFLOW',
  'ERR_SESSION_CONFIG',
  'ERR_PROVIDER_UNAVAILABLE',
  'ERR_BACKEND_UNAVAILABLE',
  'ERR_OUT_OF_MEMORY',
  'ERR_ARROW',
  'ERR_IO',
  'ERR_PLAN',
  'ERR_DATA',
]);

/**
 * The one spelling of an error code: ERR_ followed by upper-case words (ERR_CONFIG, ERR_SESSION_RUN).
 * test/util/error-codes.test.ts holds every code in src/ and native/src/ to it.
 */
export const ERROR_CODE_PATTERN = /^ERR_[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;

export interface GymnosErrorOptions {
  cause?: unknown;
  /** The remedy, when the message alone does not say it. */
  hint?: string;
}

/** The base of every Gymnos error. Subclasses set `code` (and keep it stable: callers test it). */
export abstract class GymnosError extends Error {
  abstract readonly code: string;
  readonly hint?: string;
  constructor(message: string, options?: GymnosErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (options?.hint) this.hint = options.hint;
  }

  /** Whether the user (or their machine) is to fix it: gymnosd prints it as one line, exit 2. */
  get userFacing(): boolean {
    return USER_CODES.has(this.code);
  }
}

/** System error codes that mean the machine, not Gymnos, refused: a full disk, no permission. */
const ENVIRONMENT_ERRNOS: Record<string, { what: string; hint: string }> = {
  ENOSPC: {
    what: 'no space left on device',
    hint: 'free disk space (old runs, caches) or point runsDir in system.json at a larger disk, then continue with --resume',
  },
  EDQUOT: {
    what: 'disk quota exceeded',
    hint: 'free space within your quota or point runsDir in system.json elsewhere, then continue with --resume',
  },
  EROFS: { what: 'read-only file system', hint: 'point runsDir (system.json) or --output at a writable directory' },
  EACCES: {
    what: 'permission denied',
    hint: 'check the permissions of the directory, or point runsDir / --output at one you can write',
  },
  EPERM: {
    what: 'operation not permitted',
    hint: 'check the permissions of the directory, or point runsDir / --output at one you can write',
  },
  EMFILE: { what: 'too many open files', hint: 'raise the open-file limit (ulimit -n)' },
};

/** The machine refused an operation (full disk, read-only, no permission); user-facing. */
export class EnvironmentError extends GymnosError {
  readonly code = 'ERR_ENVIRONMENT';
  /** The system error code (ENOSPC, EACCES, ...). */
  readonly errno: string;
  constructor(message: string, errno: string, options?: GymnosErrorOptions) {
    super(message, options);
    this.name = 'EnvironmentError';
    this.errno = errno;
  }
}

/** Whether `e` is a Node system error the environment is to blame for (ENOSPC, EROFS, EACCES, ...). */
export function isEnvironmentErrno(e: unknown): e is NodeJS.ErrnoException & { code: string } {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && Object.hasOwn(ENVIRONMENT_ERRNOS, code) && !(e instanceof GymnosError);
}

/**
 * Turns a system error like ENOSPC into an EnvironmentError that names the file (`path`, or the
 * one the error carries) and says what to do; returns any other value unchanged.
 */
export function asEnvironmentError(e: unknown, path?: string): unknown {
  if (!isEnvironmentErrno(e)) return e;
  const info = ENVIRONMENT_ERRNOS[e.code];
  const file = path ?? e.path;
  const op = e.syscall === 'open' || e.syscall === 'mkdir' || e.syscall === 'rename' ? e.syscall : 'write';
  return new EnvironmentError(`cannot ${op} ${file ?? 'a file'}: ${info.what} (${e.code})`, e.code, {
    cause: e,
    hint: info.hint,
  });
}

/**
 * An error in what the user gave (a file, a flag, a directory that is not a run): gymnosd prints
 * its message and exits 2. Any layer may throw it; more specific classes (ConfigError,
 * DatasetError, ...) say which part of the input is wrong.
 */
export class UserError extends GymnosError {
  readonly code = 'ERR_USER';
  constructor(message: string, options?: GymnosErrorOptions) {
    super(message, options);
    this.name = 'UserError';
  }
}

/**
 * An error rebuilt on this side of a thread boundary (a worker's structured-clone reply keeps only
 * plain data): the original's code, name, message and hint. Without a code it was a bug there.
 */
export class ForwardedError extends GymnosError {
  readonly code: string;
  constructor(error: { name?: string; message: string; code?: string; hint?: string }) {
    super(error.message, error.hint ? { hint: error.hint } : undefined);
    this.code = error.code ?? 'ERR_INTERNAL';
    this.name = error.name ?? 'Error';
  }
}

/** A second process holds the run directory's lock. */
export class LockedError extends GymnosError {
  readonly code = 'ERR_LOCKED';
  constructor(message: string, options?: GymnosErrorOptions) {
    super(message, options);
    this.name = 'LockedError';
  }
}

/** The training loss became NaN or infinite. */
export class DivergedError extends GymnosError {
  readonly code = 'ERR_DIVERGED';
  constructor(message: string, options?: GymnosErrorOptions) {
    super(message, options);
    this.name = 'DivergedError';
  }
}

/**
 * Whether an error is the user's (or the environment's) to fix: a GymnosError that says so, an
 * error carrying a user-facing code (errors that crossed a worker thread keep only their code),
 * or a system error such as ENOSPC or EACCES.
 */
export function isUserError(e: unknown): boolean {
  if (e instanceof GymnosError) return e.userFacing;
  if (isEnvironmentErrno(e)) return true;
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && USER_CODES.has(code);
}
