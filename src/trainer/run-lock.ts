/**
 * The run-directory lock: `<run>/.lock` holds `{ pid, host, startedAt }` of the process training in
 * the directory, so a second `train --resume` of it (or a library `resume`) is refused instead of
 * both writing the same checkpoints and metrics.
 *
 * Created with O_EXCL, so of two processes racing for a free directory exactly one wins. A lock
 * whose process is gone (same host, pid no longer alive) is stale: it is taken over, and the caller
 * warns. A lock from another host cannot be checked and is honoured; the message says to delete
 * the file when that machine no longer runs it. A reused pid can make a stale lock look alive: the
 * message names the pid so the user can check, and deleting `.lock` clears it.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { LockedError, asEnvironmentError } from '../util/errors.js';

interface Holder {
  pid: number;
  host: string;
  startedAt: string;
}

export class RunLock {
  private constructor(
    readonly path: string,
    private readonly text: string,
  ) {}

  /**
   * Takes the lock at `path` for this process. Throws a LockedError naming the holder when a live
   * process holds it; `stale` describes the dead holder whose lock was taken over.
   */
  static acquire(path: string, runDir: string): { lock: RunLock; stale?: string } {
    const text = `${JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString() } satisfies Holder)}\n`;
    let stale: string | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      if (tryCreate(path, text)) return { lock: new RunLock(path, text), stale };
      const seen = read(path);
      if (seen === undefined) continue; // released meanwhile: try again
      const h = parse(seen);
      if (h && h.host === hostname() && !alive(h.pid)) {
        // stale: remove it only if it is still the very lock we judged (another process may have taken it over)
        if (read(path) === seen) {
          try {
            unlinkSync(path);
          } catch {
            /* someone else removed it */
          }
        }
        stale = describe(h);
        continue;
      }
      throw new LockedError(
        `run directory ${runDir} is in use by ${h ? describe(h) : `another process (unreadable lock file ${path})`}; wait for it to finish or stop it`,
        { hint: `if no such process runs any more, delete ${path}` },
      );
    }
    throw new LockedError(`run directory ${runDir}: another process took its lock at the same time; try again`);
  }

  /** Removes the lock if it is still this process's. */
  release(): void {
    try {
      if (readFileSync(this.path, 'utf8') === this.text) unlinkSync(this.path);
    } catch {
      /* gone already */
    }
  }
}

function tryCreate(path: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw asEnvironmentError(e, path);
  }
  try {
    writeSync(fd, text);
  } catch (e) {
    closeSync(fd);
    try {
      unlinkSync(path);
    } catch {
      /* nothing to undo */
    }
    throw asEnvironmentError(e, path);
  }
  closeSync(fd);
  return true;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function parse(text: string): Holder | undefined {
  try {
    const h = JSON.parse(text) as Holder;
    return Number.isInteger(h.pid) && typeof h.host === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function describe(h: Holder): string {
  return `pid ${h.pid} on host ${h.host} (since ${h.startedAt})`;
}
