/**
 * `backup_and_restore` (Keras' BackupAndRestore): mirrors the run's resumable state into
 * `backupDir`, a folder that outlives the run directory (a mounted volume, say), every epoch or
 * every N steps. The backup is itself a resumable run directory (config.json, state.json,
 * checkpoints/step-N.gck), so an interrupted job continues with `gymnosd train --resume <backupDir>`
 * (or `train(config, { resume: backupDir })`). The backup is deleted when training completes
 * unless `keepOnSuccess`.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bool, int, str } from '../config/schema.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { Callback, CallbackContext, Decision, TrainerEvent } from '../trainer/events.js';
import type { CallbackDef } from './callback.js';

export interface BackupOptions {
  backupDir: string;
  everySteps: number;
  keepOnSuccess: boolean;
}

const ckName = (step: number) => `step-${String(step).padStart(9, '0')}.gck`;

export class BackupAndRestore implements Callback {
  readonly name: string;
  private dir = '';
  /** True when this run is the backup being resumed: its own checkpoints are the backup. */
  private off = false;
  /** Batches of the current epoch done (state.json's `batch` at an epoch's end). */
  private batch = 0;

  constructor(
    readonly o: BackupOptions,
    index = 0,
  ) {
    this.name = `backup_and_restore#${index}`;
  }

  setup(ctx: CallbackContext): void {
    this.dir = resolve(ctx.runDir, this.o.backupDir);
    this.off = this.dir === resolve(ctx.runDir);
    if (this.off) return;
    mkdirSync(join(this.dir, 'checkpoints'), { recursive: true });
    writeFileAtomic(join(this.dir, 'config.json'), `${JSON.stringify(ctx.config, null, 2)}\n`);
  }

  private backup(step: number, epoch: number, batch: number): Decision {
    const old = existsSync(join(this.dir, 'checkpoints'))
      ? readdirSync(join(this.dir, 'checkpoints')).filter((f) => f !== ckName(step))
      : [];
    writeFileAtomic(
      join(this.dir, 'state.json'),
      `${JSON.stringify({ status: 'running', epoch, batch, step, checkpoint: `checkpoints/${ckName(step)}`, updatedAt: new Date().toISOString() })}\n`,
    );
    return {
      save: [{ path: join(this.dir, 'checkpoints', ckName(step)), format: 'checkpoint' }],
      delete: old.map((f) => join(this.dir, 'checkpoints', f)),
    };
  }

  onBatchEnd(e: Extract<TrainerEvent, { type: 'batchEnd' }>): Decision | void {
    this.batch = e.batch;
    if (!this.off && this.o.everySteps > 0 && e.step % this.o.everySteps === 0 && e.batch < e.batches)
      return this.backup(e.step, e.epoch, e.batch);
  }

  onEpochEnd(e: Extract<TrainerEvent, { type: 'epochEnd' }>): Decision | void {
    if (!this.off) return this.backup(e.step, e.epoch, this.batch);
  }

  onFitEnd(e: Extract<TrainerEvent, { type: 'fitEnd' }>): void {
    if (e.result.status === 'completed' && !this.o.keepOnSuccess && !this.off)
      rmSync(this.dir, { recursive: true, force: true });
  }
}

export const backupAndRestore: CallbackDef<BackupOptions> = {
  type: 'backup_and_restore',
  description: 'keep a resumable copy of the training state in another folder; resume it with --resume <backupDir>',
  options: {
    backupDir: str({ minLength: 1, doc: 'folder for the backup (relative paths resolve against the run directory)' }),
    everySteps: int({
      min: 0,
      default: 0,
      doc: 'also back up every this many optimizer steps (0: at epoch ends only)',
    }),
    keepOnSuccess: bool({ default: false, doc: 'keep the backup after training completes' }),
  },
  create: (o, ctx) => new BackupAndRestore(o, ctx.index),
};
