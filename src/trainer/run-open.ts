/**
 * Opens the run directory a fit writes to: creates it (or reopens the one being resumed), takes
 * its lock and starts the run's logger (gymnos.log in it, and the console as logging.json says).
 */
import { resolve } from 'node:path';
import { parseLogging, type LoggingConfig } from '../config/logging.js';
import type { SystemConfig } from '../config/system.js';
import { createLogger, type LoggerHandle } from '../util/logger.js';
import { RunDir } from './run-dir.js';

/** Library default: JSON lines in the run directory, nothing on the console. */
const LIBRARY_LOGGING = parseLogging({ console: { enabled: false } }, 'defaults');

/** Where a fit's run directory is and how it logs (the TrainerOptions these come from). */
export interface RunPlace {
  /** Exact run directory to create (default `<runsDir>/<experiment>/<id>`). */
  output?: string;
  /** Run directory to reopen (a resume). */
  resume?: string;
  logging?: LoggingConfig;
  consoleOut?: { write(s: string): unknown };
}

/** A locked run directory with its logger; release with `logs.close()` and `run.unlock()`. */
export interface OpenedRun {
  run: RunDir;
  logs: LoggerHandle;
  /**
   * Logs what taking the lock cleaned up (a dead process's lock, interrupted writes' temporary
   * files). A log write can fail (a full disk), so the caller calls this where it handles failures.
   */
  noteRecovery(): void;
}

/** Creates or reopens the run directory of experiment `name`, locks it and starts its logger. */
export function openRun(o: RunPlace, system: SystemConfig, name: string): OpenedRun {
  const run = o.resume
    ? new RunDir(resolve(o.resume))
    : RunDir.create(system.runsDir, name, o.output && resolve(o.output));
  const locked = run.lock();
  let logs: LoggerHandle;
  try {
    logs = createLogger(o.logging ?? LIBRARY_LOGGING, run.path, o.consoleOut);
  } catch (e) {
    run.unlock();
    throw e;
  }
  const noteRecovery = () => {
    if (locked.staleHolder)
      logs.logger.warn(
        { lock: run.file('.lock') },
        `took over the lock of ${locked.staleHolder}, which no longer runs`,
      );
    if (locked.removedTemps.length)
      logs.logger.info({ files: locked.removedTemps }, 'removed temporary files of interrupted writes');
  };
  return { run, logs, noteRecovery };
}
