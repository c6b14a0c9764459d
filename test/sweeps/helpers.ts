/**
 * Shared set-up of the distributed sweep tests: a private redis-server (Debian's `redis-server`) on
 * a free loopback port with AOF persistence (`appendfsync always`) in a temporary directory, and
 * gymnosd processes run from the sources. Without redis-server the tests fail saying how to install
 * it, unless GYMNOS_SKIP_REDIS=1.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export const ROOT = new URL('../..', import.meta.url).pathname;

/** The redis-server binary, or undefined. */
export function findRedis(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

export const REDIS_MISSING =
  "redis-server not found: install Debian's redis-server (apt-get install -y redis-server; .ci/run does this) or set GYMNOS_SKIP_REDIS=1 to skip the distributed sweep tests";

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

/** Polls `fn` every 100 ms until it returns a value other than undefined/false, or fails after `ms`. */
export async function until<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 120_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > end) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A redis-server with AOF persistence in `dir`; `restart()` kills it with SIGKILL and starts it again on the same data.
 */
export class TestRedis {
  private proc?: ChildProcess;
  constructor(
    readonly bin: string,
    readonly dir: string,
    readonly port: number,
  ) {}
  static async start(bin: string, dir: string): Promise<TestRedis> {
    const r = new TestRedis(bin, dir, await freePort());
    await r.launch();
    return r;
  }
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  private async launch(): Promise<void> {
    this.proc = spawn(
      this.bin,
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
        '--daemonize',
        'no',
        '--logfile',
        join(this.dir, 'redis.log'),
      ],
      { stdio: 'ignore' },
    );
    await until(
      'redis-server to answer PING',
      async () => {
        const c = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        c.on('error', () => undefined); // refused until the server listens
        try {
          await c.connect();
          return (await c.ping()) === 'PONG';
        } catch {
          return false;
        } finally {
          c.disconnect();
        }
      },
      20_000,
    );
  }
  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  }
}

/** gymnosd from the sources, as its own process. */
export function gymnosd(args: string[], env: NodeJS.ProcessEnv = {}, log?: string[]): ChildProcess {
  const p = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (log) {
    p.stdout!.on('data', (d) => log.push(String(d)));
    p.stderr!.on('data', (d) => log.push(String(d)));
  }
  return p;
}

/** Runs gymnosd to its end: exit code and output. */
export async function gymnosdRun(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = gymnosd(args, env);
  let stdout = '',
    stderr = '';
  p.stdout!.on('data', (d) => {
    stdout += d;
  });
  p.stderr!.on('data', (d) => {
    stderr += d;
  });
  const code = await new Promise<number | null>((r) => p.on('exit', (c) => r(c)));
  return { code, stdout, stderr };
}

export const exists = (p: string) => existsSync(p);
