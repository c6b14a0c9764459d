/**
 * Exit codes and error reporting for gymnosd, in one place. A user-facing error (bad files, bad
 * config, unsupported models, a full disk, a held lock, a diverged run) prints one line,
 * `gymnosd: <message>` with its hint on the same line as `(hint: ...)`, and exits 2. Anything else
 * is a bug: the stack, a request to report it, exit 1.
 */
import { UserError, asEnvironmentError, isUserError } from '../util/errors.js';
export { isUserError, UserError };

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USER_ERROR = 2;

/** The one line gymnosd prints for a user-facing error (without the trailing newline). */
export function userErrorLine(e: unknown): string {
  const err = asEnvironmentError(e) as Error & { hint?: unknown };
  const hint = typeof err.hint === 'string' && err.hint ? ` (hint: ${err.hint})` : '';
  return `gymnosd: ${err.message}${hint}`;
}

/** Prints an error the way gymnosd does and returns the exit code to use. */
export function reportError(e: unknown): number {
  if (isUserError(e)) {
    safeWrite(`${userErrorLine(e)}\n`);
    return EXIT_USER_ERROR;
  }
  const err = e as Error;
  safeWrite(
    `gymnosd: internal error: ${err?.stack ?? String(e)}\n` +
      'gymnosd: this is a bug in Gymnos; please report it with the command line, the experiment file and this output\n',
  );
  return EXIT_FAILURE;
}

/** Writes to stderr; a closed stderr (EPIPE) must not turn a reported error into a crash. */
function safeWrite(text: string): void {
  try {
    process.stderr.write(text);
  } catch {
    /* stderr is gone: the exit code still tells */
  }
}
