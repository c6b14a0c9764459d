/**
 * Host responsiveness while training in-process: `train()` on the quickstart config, with the
 * event-loop delay of this thread sampled by perf_hooks.monitorEventLoopDelay (p50, p99, max;
 * target p99 < 20 ms). From the same run's metrics: orchestration overhead, epoch time against
 * the time spent in session runs (target <= 10%).
 *
 *   node --import tsx bench/event-loop.ts [--epochs 8]
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { train } from '../src/experiment/index.js';
import { parseLogging } from '../src/config/logging.js';

export interface EventLoopResult {
  epochs: number;
  lagMs: { p50: number; p99: number; max: number; mean: number };
  /** Per epoch (after the first): wall seconds, session-run seconds, overhead share. */
  overhead: { epochSeconds: number; sessionSeconds: number; share: number };
  testAccuracy?: number;
}

export async function benchEventLoop(epochs = 8): Promise<EventLoopResult> {
  const dir = mkdtempSync(join(tmpdir(), 'gymnos-lag-'));
  try {
    const config = JSON.parse(readFileSync(new URL('../examples/quickstart.json', import.meta.url), 'utf8'));
    config.training.epochs = epochs;
    const h = monitorEventLoopDelay({ resolution: 1 });
    const handle = train(config, {
      output: join(dir, 'run'),
      logging: parseLogging({ console: { enabled: false } }, 'bench'),
    });
    h.enable();
    const result = await handle.result;
    h.disable();
    const recs = readFileSync(join(result.runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; seconds?: number; sessionSeconds?: number });
    const ep = recs.filter((r) => r.kind === 'epoch').slice(1); // the first epoch includes session warm-up
    const epochSeconds = ep.reduce((s, r) => s + r.seconds!, 0) / ep.length;
    const sessionSeconds = ep.reduce((s, r) => s + r.sessionSeconds!, 0) / ep.length;
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    return {
      epochs,
      lagMs: { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), mean: ms(h.mean) },
      overhead: { epochSeconds, sessionSeconds, share: (epochSeconds - sessionSeconds) / epochSeconds },
      testAccuracy: result.test?.accuracy as number | undefined,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--epochs');
  const r = await benchEventLoop(i >= 0 ? Number(process.argv[i + 1]) : 8);
  console.log(JSON.stringify(r, null, 2));
}
