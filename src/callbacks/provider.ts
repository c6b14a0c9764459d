/**
 * The CallbackProvider: turns the experiment's `training.callbacks` and `tracking.trackers` plus
 * the library caller's own callbacks into the list the Trainer drives. Order: configured
 * callbacks, then the caller's, then the TrackerManager (so trackers see a stop decision's effects
 * in the same events as everyone else).
 */
import type { ExperimentConfig } from '../config/experiment.js';
import type { Callback } from '../trainer/events.js';
import { TrackerManager } from '../trackers/manager.js';
import { CALLBACKS, type CallbackDef } from './index.js';

export const CallbackProvider = {
  async create(config: ExperimentConfig, user: Callback[] = []): Promise<Callback[]> {
    const specs = (config.training.callbacks ?? []) as Array<{ type: string } & Record<string, unknown>>;
    const out: Callback[] = [];
    for (const [index, { type, ...options }] of specs.entries()) {
      const def = CALLBACKS.get(type) as CallbackDef<Record<string, unknown>> | undefined;
      if (!def) throw new Error(`unknown callback '${type}'; callbacks: ${[...CALLBACKS.keys()].join(', ')}`);
      out.push(await def.create(options, { config, index }));
    }
    const names = new Set(out.map((c) => c.name));
    for (const c of user) {
      if (names.has(c.name)) throw new Error(`two callbacks are named '${c.name}'; callback names key their saved state, so give each a distinct name`);
      names.add(c.name);
    }
    const trackers = await TrackerManager.create(config.tracking.trackers as Array<{ type: string } & Record<string, unknown>>);
    return [...out, ...user, ...(trackers.trackers.length ? [trackers] : [])];
  },
};
