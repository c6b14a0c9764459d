/**
 * The callback registry, built from the callback modules (one file each): `training.callbacks`
 * entries are `{ "type": <name>, ...options }`.
 */
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

export const CALLBACK_DEFS = [earlyStopping, reduceLrOnPlateau, modelCheckpoint, lrScheduler, terminateOnNan, csvLogger, tensorboard, progressBar, backupAndRestore] as CallbackDef<never>[];

/** Callbacks by registered name. */
export const CALLBACKS: ReadonlyMap<string, CallbackDef<never>> = new Map(CALLBACK_DEFS.map((d) => [d.name, d]));
