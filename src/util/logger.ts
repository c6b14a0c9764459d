/**
 * Gymnos logging on pino: one logger per run with up to two sinks from logging.json, readable
 * lines on stderr and JSON lines in the run directory's gymnos.log. The file sink writes
 * synchronously, so a killed process leaves every line it logged; log calls are per epoch and per
 * checkpoint, never per batch, so this costs nothing measurable.
 */
import { join } from 'node:path';
import { pino, type Logger, type StreamEntry, type DestinationStream } from 'pino';
import type { Level, LoggingConfig } from '../config/logging.js';

export type { Logger } from 'pino';

const RANK: Record<Level, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };
const NAME: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** A stream that turns pino's JSON lines into `HH:MM:SS LEVEL message key=value ...`. */
export function prettyStream(out: { write(s: string): unknown } = process.stderr): DestinationStream {
  return {
    write(line: string) {
      let o: Record<string, unknown>;
      try { o = JSON.parse(line) as Record<string, unknown>; } catch { out.write(line); return; }
      // `event` tags the Trainer's event lines for gymnos.log readers; on the console the message says it
      const { level, time, msg, pid: _p, hostname: _h, event: _e, ...rest } = o;
      const t = typeof time === 'string' ? time.slice(11, 19) : new Date(Number(time)).toISOString().slice(11, 19);
      const extra = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
      out.write(`${t} ${(NAME[Number(level)] ?? String(level)).padEnd(5)} ${String(msg ?? '')}${extra ? `  ${extra}` : ''}\n`);
    },
  };
}

export interface LoggerHandle {
  logger: Logger;
  /** Flushes and closes the file sink. */
  close(): void;
}

/** Builds the logger of `cfg`; the file sink only when `runDir` is given. */
export function createLogger(cfg: Pick<LoggingConfig, 'level' | 'console' | 'file'>, runDir?: string, consoleOut?: { write(s: string): unknown }): LoggerHandle {
  const streams: StreamEntry[] = [];
  const min = (l: Level) => (RANK[l] >= RANK[cfg.level] ? l : cfg.level);
  if (cfg.console.enabled && cfg.level !== 'silent' && cfg.console.level !== 'silent') {
    streams.push({ level: min(cfg.console.level) as pino.Level, stream: cfg.console.format === 'json' ? (consoleOut as DestinationStream ?? process.stderr) : prettyStream(consoleOut) });
  }
  let file: ReturnType<typeof pino.destination> | undefined;
  if (runDir && cfg.file.enabled && cfg.level !== 'silent' && cfg.file.level !== 'silent') {
    file = pino.destination({ dest: join(runDir, cfg.file.name), sync: true, mkdir: true, append: true });
    streams.push({ level: min(cfg.file.level) as pino.Level, stream: file });
  }
  const lowest = streams.reduce((m, s) => Math.min(m, RANK[s.level as Level]), Infinity);
  const level = (Object.keys(RANK) as Level[]).find((k) => RANK[k] === lowest) ?? 'silent';
  const logger = pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, pino.multistream(streams));
  return { logger, close: () => { file?.flushSync(); file?.end(); } };
}

/** A logger that writes nothing. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
