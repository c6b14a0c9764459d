/**
 * Gymnos logging on pino: one logger per run with up to two sinks from logging.json, readable
 * lines on stderr and JSON lines in the run directory's gymnos.log. The file sink writes
 * synchronously, so a killed process leaves every line it logged; log calls are per epoch and per
 * checkpoint, never per batch, so this costs nothing measurable.
 *
 * Failures: the file sink never retries. Its first failed write (a full disk, say) is thrown to the
 * caller of the log call as an EnvironmentError naming the file, and the sink goes quiet. (pino's
 * own file destination retries a failed synchronous flush every 100 ms forever, blocking the event
 * loop, so Ctrl-C and SIGTERM are never handled.) The console sink drops writes to a closed pipe.
 */
import { join } from 'node:path';
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { pino, type Logger, type StreamEntry, type DestinationStream } from 'pino';
import { asEnvironmentError } from './errors.js';

/** Log levels, lowest first (logging.json's schema, in config/logging.ts, takes them from here). */
export const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type Level = (typeof LEVELS)[number];

/** The sinks a logger writes to (logging.json's resolved value). */
export interface LoggerSettings {
  level: Level;
  console: { enabled: boolean; level: Level; format: 'pretty' | 'json' };
  file: { enabled: boolean; level: Level; name: string };
}

export type { Logger } from 'pino';

const RANK: Record<Level, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Infinity,
};
const NAME: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** A stream that turns pino's JSON lines into `HH:MM:SS LEVEL message key=value ...`. */
export function prettyStream(out: { write(s: string): unknown } = process.stderr): DestinationStream {
  return {
    write(line: string) {
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(line) as Record<string, unknown>;
      } catch {
        safeWrite(out, line);
        return;
      }
      // `event` tags the Trainer's event lines for gymnos.log readers; on the console the message says it
      const { level, time, msg, pid: _p, hostname: _h, event: _e, ...rest } = o;
      const t = typeof time === 'string' ? time.slice(11, 19) : new Date(Number(time)).toISOString().slice(11, 19);
      const extra = Object.entries(rest)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      safeWrite(
        out,
        `${t} ${(NAME[Number(level)] ?? String(level)).padEnd(5)} ${String(msg ?? '')}${extra ? `  ${extra}` : ''}\n`,
      );
    },
  };
}

/** Console output is best effort: a reader that went away (EPIPE) must not stop training. */
function safeWrite(out: { write(s: string): unknown }, s: string): void {
  try {
    out.write(s);
  } catch {
    /* closed pipe */
  }
}

/** The JSON-lines file sink: synchronous appends, no retries (see the top of this file). */
export class FileSink implements DestinationStream {
  private fd: number;
  private failed = false;
  /** The first write error, when one happened (the sink writes nothing after it). */
  error?: unknown;
  constructor(
    readonly path: string,
    private readonly write_ = writeSync,
  ) {
    mkdirSync(join(path, '..'), { recursive: true });
    try {
      this.fd = openSync(path, 'a');
    } catch (e) {
      throw asEnvironmentError(e, path);
    }
  }

  write(line: string): void {
    if (this.failed) return;
    try {
      const buf = Buffer.from(line, 'utf8');
      for (let off = 0; off < buf.byteLength;) off += this.write_(this.fd, buf, off, buf.byteLength - off);
    } catch (e) {
      this.failed = true;
      this.error = asEnvironmentError(e, this.path);
      throw this.error;
    }
  }

  close(): void {
    if (this.fd < 0) return;
    try {
      fsyncSync(this.fd);
    } catch {
      /* nothing more to save */
    }
    try {
      closeSync(this.fd);
    } catch {
      /* already closed */
    }
    this.fd = -1;
    this.failed = true;
  }
}

export interface LoggerHandle {
  logger: Logger;
  /**
   * The same file sink without the console: for failures gymnosd reports itself (one stderr line),
   * whose details (the stack) belong in gymnos.log only.
   */
  fileOnly: Logger;
  /** Flushes and closes the file sink. */
  close(): void;
}

/** Builds the logger of `cfg`; the file sink only when `runDir` is given. */
export function createLogger(
  cfg: LoggerSettings,
  runDir?: string,
  consoleOut?: { write(s: string): unknown },
  writeFile?: typeof writeSync,
): LoggerHandle {
  const streams: StreamEntry[] = [];
  const min = (l: Level) => (RANK[l] >= RANK[cfg.level] ? l : cfg.level);
  if (cfg.console.enabled && cfg.level !== 'silent' && cfg.console.level !== 'silent') {
    const out = consoleOut ?? process.stderr;
    streams.push({
      level: min(cfg.console.level) as pino.Level,
      stream: cfg.console.format === 'json' ? { write: (s: string) => safeWrite(out, s) } : prettyStream(out),
    });
  }
  let file: FileSink | undefined;
  if (runDir && cfg.file.enabled && cfg.level !== 'silent' && cfg.file.level !== 'silent') {
    file = new FileSink(join(runDir, cfg.file.name), writeFile);
    streams.push({ level: min(cfg.file.level) as pino.Level, stream: file });
  }
  const lowest = streams.reduce((m, s) => Math.min(m, RANK[s.level as Level]), Infinity);
  const level = (Object.keys(RANK) as Level[]).find((k) => RANK[k] === lowest) ?? 'silent';
  const logger = pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, pino.multistream(streams));
  const fileOnly = file
    ? pino({ level: min(cfg.file.level), base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, file)
    : silentLogger();
  return { logger, fileOnly, close: () => file?.close() };
}

/** A logger that writes nothing. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
