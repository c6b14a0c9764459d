/**
 * The CallbackProvider: turns the experiment's `training.callbacks` and `tracking.trackers` plus
 * the library caller's own callbacks into the list the Trainer drives. Order: configured
 * callbacks, then the caller's, then the TrackerManager (so trackers see a stop decision's effects
 * in the same events as everyone else).
 */
import type { ExperimentConfig } from '../trainer/experiment-config.js';
import type { Callback } from '../trainer/events.js';
import { TrackerManager } from '../trackers/manager.js';
import { CALLBACKS } from './index.js';
import { callbackPath } from './callback.js';

export const CallbackProvider = {
  async create(config: ExperimentConfig, user: Callback[] = []): Promise<Callback[]> {
    const out: Callback[] = [];
    for (const [index, spec] of config.training.callbacks.entries())
      out.push(await CALLBACKS.create(spec, { config, index }, callbackPath(index)));
    const names = new Set(out.map((c) => c.name));
    for (const c of user) {
      if (names.has(c.name))
        throw new Error(
          `two callbacks are named '${c.name}'; callback names key their saved state, so give each a distinct name`,
        );
      names.add(c.name);
    }
    const trackers = await TrackerManager.create(config.tracking.trackers);
    return [...out, ...user, ...(trackers.trackers.length ? [trackers] : [])];
  },
};
