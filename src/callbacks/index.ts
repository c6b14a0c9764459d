/**
 * The callback registry, built from the callback modules (one file each): `training.callbacks`
 * entries are `{ "type": <name>, ...options }`.
 */
import { Registry } from '../config/component.js';
import type { CallbackDef } from './callback.js';
import { earlyStopping } from './early-stopping.js';
import { reduceLrOnPlateau } from './reduce-lr-on-plateau.js';
import { modelCheckpoint } from './model-checkpoint.js';
import { lrScheduler } from './lr-scheduler.js';
import { terminateOnNan } from './terminate-on-nan.js';
import { csvLogger } from './csv-logger.js';
import { tensorboard } from './tensorboard.js';
import { progressBar } from './progress-bar.js';
import { backupAndRestore } from './backup-and-restore.js';

export type { CallbackDef, CallbackCreateContext } from './callback.js';
export { Monitor, resolveMode } from './monitor.js';

/** Callbacks by registered type. */
export const CALLBACKS = new Registry<CallbackDef>('callback', [
  earlyStopping,
  reduceLrOnPlateau,
  modelCheckpoint,
  lrScheduler,
  terminateOnNan,
  csvLogger,
  tensorboard,
  progressBar,
  backupAndRestore,
]);
