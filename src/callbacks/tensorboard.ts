/**
 * `tensorboard` as a callback (Keras users write it there): the same event files as the
 * `tensorboard` tracker, with the same options; the tracker module loads only when configured.
 */
import { tensorboard as tracker, type Tracker } from '../trackers/index.js';
import type { TensorBoardOptions } from '../trackers/tensorboard.js';
import { TrackerManager } from '../trackers/manager.js';
import type { CallbackDef } from './callback.js';

export const tensorboard: CallbackDef<TensorBoardOptions> = {
  type: 'tensorboard',
  description: 'TensorBoard event files (an alias of the tensorboard tracker)',
  options: tracker.options,
  create: async (o, ctx) => {
    const t = (await tracker.create(o)) as Tracker;
    return Object.assign(new TrackerManager([t]), { name: `tensorboard#${ctx.index}` });
  },
};
