/**
 * `model_checkpoint`: saves the model while it trains: `best` by a monitored metric, the `last`
 * one, the `topK` best epochs, every N epochs or steps. Like burn's checkpoint strategy it only
 * decides: it returns save and delete actions and the Trainer writes (atomically). Each saved file
 * has a `<file>.json` beside it with the monitored value; on resume those are read back, so a
 * restart from an older checkpoint never replaces the best file with a worse one.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bool, int, oneOf, str } from '../config/schema.js';
import type { Callback, CallbackContext, Decision, SaveAction, TrainerEvent } from '../trainer/events.js';
import { Monitor, monitorOptions, type MonitorOptions } from './monitor.js';
import { callbackPath, type CallbackDef } from './callback.js';

export interface ModelCheckpointOptions extends MonitorOptions {
  dir: string;
  format: 'onnx' | 'checkpoint';
  saveBest: boolean;
  saveLast: boolean;
  topK: number;
  everyEpochs: number;
  everySteps: number;
}

interface Saved {
  file: string;
  value: number;
  epoch: number;
  step: number;
}

export class ModelCheckpoint implements Callback {
  readonly name: string;
  private readonly monitor: Monitor;
  /** The best files kept, best first. */
  topK: Saved[] = [];
  private dir = '';

  constructor(
    readonly o: ModelCheckpointOptions,
    index = 0,
  ) {
    this.name = `model_checkpoint#${index}`;
    this.monitor = new Monitor(o, callbackPath(index));
  }

  private get ext() {
    return this.o.format === 'onnx' ? 'onnx' : 'gck';
  }

  setup(ctx: CallbackContext): void {
    if (this.o.saveBest || this.o.topK > 0) this.monitor.check(ctx.metrics);
    this.dir = resolve(ctx.runDir, this.o.dir);
    // files written after the checkpoint this run resumed from are on disk, not in the state
    for (const s of this.readSidecars()) {
      if (s.file === `best.${this.ext}`) {
        if (this.monitor.beats(s.value, this.monitor.best)) this.monitor.best = s.value;
        continue;
      }
      if (/^epoch-/.test(s.file) && !this.topK.some((t) => t.file === s.file)) this.topK.push(s);
    }
    this.sortTopK();
  }

  private readSidecars(): Saved[] {
    if (!existsSync(this.dir)) return [];
    const out: Saved[] = [];
    for (const f of readdirSync(this.dir).filter((x) => x.endsWith(`.${this.ext}.json`))) {
      try {
        const m = JSON.parse(readFileSync(join(this.dir, f), 'utf8')) as {
          monitor?: string;
          value?: number;
          epoch: number;
          step: number;
        };
        if (m.monitor === this.o.monitor && typeof m.value === 'number' && existsSync(join(this.dir, f.slice(0, -5))))
          out.push({ file: f.slice(0, -5), value: m.value, epoch: m.epoch, step: m.step });
      } catch {
        /* a torn sidecar: ignore the file */
      }
    }
    return out;
  }

  private sortTopK(): void {
    this.topK.sort((a, b) => (this.monitor.mode === 'min' ? a.value - b.value : b.value - a.value));
  }

  private action(file: string, meta: Record<string, unknown>): SaveAction {
    return { path: join(this.o.dir, file), format: this.o.format, meta: { monitor: this.o.monitor, ...meta } };
  }

  onBatchEnd(e: Extract<TrainerEvent, { type: 'batchEnd' }>): Decision | void {
    if (this.o.everySteps > 0 && e.step % this.o.everySteps === 0)
      return { save: [this.action(`last.${this.ext}`, { epoch: e.epoch, step: e.step })] };
  }

  onEpochEnd(e: Extract<TrainerEvent, { type: 'epochEnd' }>): Decision | void {
    if (e.epoch % this.o.everyEpochs !== 0) return;
    const save: SaveAction[] = [];
    const del: string[] = [];
    const v = this.monitor.value(e);
    const meta = { value: v, epoch: e.epoch, step: e.step };
    if (this.o.saveLast) save.push(this.action(`last.${this.ext}`, meta));
    if (v !== undefined && !Number.isNaN(v)) {
      if (this.o.saveBest && this.monitor.update(v)) save.push(this.action(`best.${this.ext}`, meta));
      if (
        this.o.topK > 0 &&
        (this.topK.length < this.o.topK || this.monitor.beats(v, this.topK[this.topK.length - 1].value))
      ) {
        const file = `epoch-${String(e.epoch).padStart(4, '0')}-step-${e.step}.${this.ext}`;
        this.topK.push({ file, value: v, epoch: e.epoch, step: e.step });
        this.sortTopK();
        save.push(this.action(file, meta));
        for (const gone of this.topK.splice(this.o.topK)) del.push(this.action(gone.file, {}).path);
      }
    }
    if (save.length || del.length) return { save, delete: del.filter((p) => !save.some((s) => s.path === p)) };
  }

  state() {
    return { ...this.monitor.state(), topK: this.topK };
  }
  load(s: unknown): void {
    const x = s as { best?: number; topK: Saved[] };
    this.monitor.load(x);
    this.topK = x.topK ?? [];
  }
}

export const modelCheckpoint: CallbackDef<ModelCheckpointOptions> = {
  type: 'model_checkpoint',
  description: 'save the best, last and top-k models by a monitored metric, every N epochs or steps',
  options: {
    ...monitorOptions(),
    dir: str({ minLength: 1, default: 'models', doc: 'folder inside the run directory' }),
    format: oneOf(['onnx', 'checkpoint'] as const, {
      default: 'onnx',
      doc: "'onnx': inference model; 'checkpoint': full training state (.gck)",
    }),
    saveBest: bool({ default: true, doc: 'keep best.<ext>: the best epoch by the monitored metric' }),
    saveLast: bool({ default: false, doc: 'keep last.<ext>: the newest epoch (or step, with everySteps)' }),
    topK: int({ min: 0, default: 0, doc: 'also keep the K best epochs as epoch-NNNN-step-S.<ext> (0: none)' }),
    everyEpochs: int({
      min: 1,
      default: 1,
      doc: 'consider saving every this many epochs (at epochs N, 2N, ...; epochs count from 1)',
    }),
    everySteps: int({ min: 0, default: 0, doc: 'also save last.<ext> every this many optimizer steps (0: never)' }),
  },
  create: (o, ctx) => new ModelCheckpoint(o, ctx.index),
};
