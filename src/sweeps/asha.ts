/**
 * Early termination by asynchronous successive halving (ASHA): rungs sit at epoch milestones
 * minEpochs * eta^k below the experiment's epochs. When a trial finishes a rung's epoch it records
 * its metric there and continues only when it is in the top 1/eta of the values recorded at that
 * rung so far (its own included); otherwise it is stopped. Until `eta` trials have reached a rung
 * nobody is stopped there (too few to judge). A trial is judged against the trials that reached the
 * rung before it, so no trial waits for another: this is what makes the halving asynchronous.
 *
 * The decision is a pure function (`ashaDecision`); `ashaCallback` is the Trainer callback that
 * applies it at each rung and returns `{ stop }`, the Trainer's usual decision; the values live in
 * a RungStore (memory in-process, a Redis hash for distributed sweeps) so every worker sees them.
 */
import { Monitor, type Mode } from '../callbacks/monitor.js';
import type { Callback, TrainerEvent } from '../trainer/events.js';

export interface AshaOptions {
  eta: number;
  minEpochs: number;
}

/** Epoch counts after which trials are judged (below `maxEpochs`, the last epoch is no rung). */
export function rungs(o: AshaOptions, maxEpochs: number): number[] {
  const out: number[] = [];
  for (let r = o.minEpochs; r < maxEpochs; r *= o.eta) {
    const e = Math.round(r);
    if (!out.includes(e) && e >= 1) out.push(e);
    if (o.eta <= 1) break;
  }
  return out;
}

export interface AshaDecision {
  promote: boolean;
  rank: number;
  keep: number;
  peers: number;
}

/**
 * Whether `own` (one of `values`) survives its rung: the values are ranked (best first under
 * `mode`; NaN last), the top floor(n/eta) continue, and with fewer than eta values all continue.
 */
export function ashaDecision(values: number[], own: number, eta: number, mode: Mode): AshaDecision {
  const n = values.length;
  const better = (a: number, b: number) =>
    Number.isNaN(b) ? !Number.isNaN(a) : Number.isNaN(a) ? false : mode === 'min' ? a < b : a > b;
  const rank = values.filter((v) => better(v, own)).length;
  if (n < eta) return { promote: true, rank, keep: n, peers: n };
  const keep = Math.floor(n / eta);
  return { promote: !Number.isNaN(own) && rank < keep, rank, keep, peers: n };
}

/** Where rung values are shared between the trials of one sweep. */
export interface RungStore {
  /** Records `trial`'s value at `rung` (idempotent) and returns every value recorded there. */
  record(rung: number, trial: string, value: number): Promise<number[]>;
}

/** A RungStore for trials of one process. */
export class MemoryRungStore implements RungStore {
  private readonly rungs = new Map<number, Map<string, number>>();
  async record(rung: number, trial: string, value: number): Promise<number[]> {
    const m = this.rungs.get(rung) ?? new Map<string, number>();
    this.rungs.set(rung, m);
    m.set(trial, value);
    return [...m.values()];
  }
}

export interface Pruned {
  epoch: number;
  value: number;
  rank: number;
  keep: number;
  peers: number;
  reason: string;
}

/**
 * The callback that judges `trial` at every rung; `pruned` is set when it asked to stop. The
 * metric is read like the monitoring callbacks read theirs ('val_accuracy', 'loss', ...).
 */
export function ashaCallback(
  o: AshaOptions & {
    metric: string;
    mode: Mode;
    maxEpochs: number;
    trial: string;
    store: RungStore;
    onPruned?: (p: Pruned) => void;
  },
): Callback & { pruned?: Pruned } {
  const monitor = new Monitor({ monitor: o.metric, mode: o.mode, minDelta: 0 }, 'metric');
  const at = new Set(rungs(o, o.maxEpochs));
  const cb: Callback & { pruned?: Pruned } = {
    name: 'sweep_asha',
    async onEpochEnd(e: Extract<TrainerEvent, { type: 'epochEnd' }>) {
      const done = e.epoch; // epochs count from 1 (the epoch just finished)
      if (!at.has(done)) return undefined;
      const value = monitor.value(e) ?? Number.NaN;
      const values = await o.store.record(done, o.trial, value);
      const d = ashaDecision(values, value, o.eta, o.mode);
      if (d.promote) return undefined;
      const reason = `ASHA: ${o.metric} ${value} ranks ${d.rank + 1} of ${d.peers} at the epoch-${done} rung; only the top ${d.keep} continue`;
      cb.pruned = { epoch: done, value, rank: d.rank, keep: d.keep, peers: d.peers, reason };
      o.onPruned?.(cb.pruned);
      return { stop: { reason } };
    },
  };
  return cb;
}
