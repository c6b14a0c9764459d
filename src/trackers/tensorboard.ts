/**
 * The `tensorboard` tracker: one event file in `<run>/<logDir>/` that `tensorboard --logdir` reads.
 * Per step: `batch/loss` and `batch/lr`. Per epoch: `train/<metric>`, `validation/<metric>` and
 * `epoch/lr`; histograms `weights/<name>`, `updates/<name>` (the epoch's change of each weight)
 * and `gradients/<name>` (raw gradients of the epoch's last step, when the run can fetch them:
 * not for K-step Loop or gradient-accumulation runs); the test
 * metrics as `test/<metric>`; the hyperparameters as the hparams plugin's three summaries
 * (experiment, session start, session end). A resumed run writes a second file that starts with a
 * SessionLog START at the step it resumes from.
 */
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { CallbackContext, Metrics, TrainerEvent } from '../trainer/events.js';
import { cloneTensor, type Tensor } from '../onnx/tensor.js';
import type { Tracker } from './tracker.js';
import { RecordWriter } from './tfrecord.js';
import {
  DATA_CLASS_SCALAR,
  encodeEvent,
  encodeHParams,
  HPARAM_TYPE,
  SESSION_LOG_START,
  SESSION_STATUS,
} from './tensorboard-proto.js';

/** Distinguishes the files one process writes within a second (TensorFlow's global uid). */
let fileCount = 0;

export interface TensorBoardOptions {
  logDir: string;
  everySteps: number;
  histograms: boolean;
  hparams: boolean;
}

/** Equal-width histogram in TensorBoard's HistogramProto shape (bucketLimit = right edges). */
export function histogram(values: ArrayLike<number>, bins = 30) {
  let min = Infinity,
    max = -Infinity,
    sum = 0,
    sumSquares = 0,
    num = 0;
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sumSquares += v * v;
    num++;
  }
  if (num === 0) return { min: 0, max: 0, num: 0, sum: 0, sumSquares: 0, bucketLimit: [0], bucket: [0] };
  const n = max > min ? bins : 1;
  const width = (max - min) / n;
  const bucket = new Array<number>(n).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (!Number.isFinite(v)) continue;
    bucket[n === 1 ? 0 : Math.min(n - 1, Math.floor((v - min) / width))]++;
  }
  const bucketLimit = bucket.map((_, i) => (i === n - 1 ? max : min + width * (i + 1)));
  return { min, max, num, sum, sumSquares, bucketLimit, bucket };
}

/** The config flattened to `a.b.c` keys with scalar values (what the HParams dashboard shows). */
export function flattenConfig(
  v: unknown,
  prefix = '',
  out: Record<string, string | number | boolean> = {},
): Record<string, string | number | boolean> {
  if (v === null || v === undefined) return out;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
    out[prefix] = v;
    return out;
  }
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x !== 'object' || x === null)) out[prefix] = JSON.stringify(v);
    else v.forEach((x, i) => flattenConfig(x, `${prefix}[${i}]`, out));
    return out;
  }
  for (const [k, x] of Object.entries(v as Record<string, unknown>))
    if (!k.startsWith('$')) flattenConfig(x, prefix ? `${prefix}.${k}` : k, out);
  return out;
}

export class TensorBoardTracker implements Tracker {
  readonly name = 'tensorboard';
  private w?: RecordWriter;
  private ctx?: CallbackContext;
  private previous?: Map<string, Tensor>;
  private metricTags = new Set<string>();

  constructor(
    readonly o: TensorBoardOptions,
    private readonly now = () => Date.now() / 1000,
  ) {}

  get wantsGradients(): boolean {
    return this.o.histograms;
  }

  /** The event file path (after setup). */
  get path(): string | undefined {
    return this.w?.path;
  }

  setup(ctx: CallbackContext): void {
    this.ctx = ctx;
    const dir = resolve(ctx.runDir, this.o.logDir);
    mkdirSync(dir, { recursive: true });
    this.w = new RecordWriter(
      join(dir, `events.out.tfevents.${Math.floor(this.now())}.${hostname()}.${process.pid}.${fileCount++}`),
    );
    this.event({ step: 0, fileVersion: 'brain.Event:2' });
  }

  private event(e: Record<string, unknown>): void {
    this.w!.write(encodeEvent({ wallTime: this.now(), ...e }));
  }

  private scalars(step: number, values: Record<string, number>): void {
    const value = Object.entries(values)
      .filter(([, v]) => typeof v === 'number')
      .map(([tag, simpleValue]) => ({ tag, simpleValue }));
    if (value.length) this.event({ step, summary: { value } });
  }

  private metrics(group: string, m: Metrics | undefined): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(m ?? {}))
      if (typeof v === 'number') {
        out[`${group}/${k}`] = v;
        this.metricTags.add(`${group}/${k}`);
      }
    return out;
  }

  private histograms(step: number): void {
    const now = this.ctx!.weights();
    const value: Array<Record<string, unknown>> = [];
    for (const [name, t] of now) {
      value.push({ tag: `weights/${name}`, histo: histogram(t.data as Float32Array) });
      const before = this.previous?.get(name);
      if (before && before.data.length === t.data.length) {
        const d = new Float64Array(t.data.length);
        for (let i = 0; i < d.length; i++) d[i] = Number(t.data[i]) - Number(before.data[i]);
        value.push({ tag: `updates/${name}`, histo: histogram(d) });
      }
    }
    for (const [name, g] of this.ctx!.gradients() ?? [])
      value.push({ tag: `gradients/${name}`, histo: histogram(g.data as Float32Array) });
    this.previous = new Map([...now].map(([k, t]) => [k, cloneTensor(t)]));
    if (value.length) this.event({ step, summary: { value } });
  }

  private hparamsStart(): void {
    const hp = flattenConfig({
      dataset: this.ctx!.config.dataset,
      model: this.ctx!.config.model,
      training: this.ctx!.config.training,
    });
    const typed = (v: string | number | boolean) =>
      typeof v === 'number' ? { numberValue: v } : typeof v === 'boolean' ? { boolValue: v } : { stringValue: v };
    const info = Object.entries(hp).map(([name, v]) => ({
      name,
      type:
        typeof v === 'number' ? HPARAM_TYPE.float64 : typeof v === 'boolean' ? HPARAM_TYPE.bool : HPARAM_TYPE.string,
    }));
    const metricInfos = this.ctx!.metrics.map((m) => ({
      name: { tag: m.startsWith('val_') ? `validation/${m.slice(4)}` : `train/${m}` },
    }));
    this.plugin('_hparams_/experiment', {
      version: 0,
      experiment: {
        name: this.ctx!.config.experiment.name,
        timeCreatedSecs: this.now(),
        hparamInfos: info,
        metricInfos,
      },
    });
    this.plugin('_hparams_/session_start_info', {
      version: 0,
      sessionStartInfo: {
        hparams: Object.fromEntries(Object.entries(hp).map(([k, v]) => [k, typed(v)])),
        groupName: basename(this.ctx!.runDir),
        startTimeSecs: this.now(),
      },
    });
  }

  private plugin(tag: string, data: Record<string, unknown>): void {
    this.event({
      step: 0,
      summary: {
        value: [
          {
            tag,
            metadata: {
              pluginData: { pluginName: 'hparams', content: encodeHParams(data) },
              dataClass: DATA_CLASS_SCALAR,
            },
          },
        ],
      },
    });
  }

  onEvent(e: TrainerEvent): void {
    if (!this.w) return;
    switch (e.type) {
      case 'fitStart':
        // a resumed run redoes the steps after its checkpoint: START tells TensorBoard to drop the
        // earlier file's events from that step on (its purge of orphaned data)
        if (e.resumed)
          this.event({
            step: e.resumed.step,
            sessionLog: { status: SESSION_LOG_START, checkpointPath: e.resumed.checkpoint },
          });
        if (this.o.hparams && !e.resumed) this.hparamsStart();
        if (this.o.histograms) this.previous = new Map([...this.ctx!.weights()].map(([k, t]) => [k, cloneTensor(t)]));
        return;
      case 'batchEnd':
        if (e.step % this.o.everySteps === 0) this.scalars(e.step, { 'batch/loss': e.loss, 'batch/lr': e.lr });
        return;
      case 'epochEnd':
        this.scalars(e.step, {
          ...this.metrics('train', e.train),
          ...this.metrics('validation', e.validation),
          'epoch/lr': e.lr,
        });
        if (this.o.histograms) this.histograms(e.step);
        this.w.flush();
        return;
      case 'testEnd':
        this.scalars(e.step, this.metrics('test', e.metrics));
        return;
      case 'stop':
        if (this.o.hparams && e.reason !== 'aborted')
          this.plugin('_hparams_/session_end_info', {
            version: 0,
            sessionEndInfo: {
              status: e.reason === 'error' ? SESSION_STATUS.failure : SESSION_STATUS.success,
              endTimeSecs: this.now(),
            },
          });
        this.w.close();
        this.w = undefined;
        return;
      case 'setupPhase':
      case 'epochStart':
      case 'validationEnd':
      case 'checkpointSaved':
      case 'fitEnd':
      case 'error':
        return;
    }
  }
}

export const createTensorBoard = (o: TensorBoardOptions): Tracker => new TensorBoardTracker(o);
