/**
 * The `mlflow` tracker, over MLflow's tracking REST API (no Python, no client library):
 * experiments/get-by-name (+ experiments/create) and runs/create in setup; runs/log-batch with the
 * flattened config as params and the metrics (buffered, sent at each epoch end, in chunks within
 * MLflow's limits: 1000 metrics, 100 params, 100 tags per request); runs/set-tag; model.onnx PUT to
 * the proxied artifact store (`mlflow-artifacts`); runs/update with the final status. The run id is
 * kept in `<run>/mlflow.json`, so a resumed run continues the same MLflow run.
 */
import { readFileSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import type { CallbackContext, TrainerEvent } from '../trainer/events.js';
import type { Tracker } from './tracker.js';
import { flattenConfig } from './tensorboard.js';
import { GymnosError } from '../util/errors.js';

export interface MlflowOptions {
  trackingUri: string;
  experimentName?: string;
  runName?: string;
  tags: Record<string, string>;
  logModel: boolean;
  timeoutMs: number;
}

interface MetricRow {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

const MAX_PARAM_VALUE = 6000;

/** The MLflow server refused or could not be reached: the environment's to fix, so user-facing. */
export class MlflowError extends GymnosError {
  readonly code = 'ERR_MLFLOW';
  constructor(
    message: string,
    readonly status?: number,
    readonly errorCode?: string,
  ) {
    super(message);
    this.name = 'MlflowError';
  }
}

export class MlflowTracker implements Tracker {
  readonly name = 'mlflow';
  runId = '';
  experimentId = '0';
  artifactUri = '';
  private pending: MetricRow[] = [];
  private readonly base: string;

  constructor(
    readonly o: MlflowOptions,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.base = o.trackingUri.replace(/\/+$/, '');
  }

  private headers(json = true): Record<string, string> {
    const h: Record<string, string> = json ? { 'content-type': 'application/json' } : {};
    if (this.env.MLFLOW_TRACKING_TOKEN) h.authorization = `Bearer ${this.env.MLFLOW_TRACKING_TOKEN}`;
    else if (this.env.MLFLOW_TRACKING_USERNAME)
      h.authorization = `Basic ${Buffer.from(`${this.env.MLFLOW_TRACKING_USERNAME}:${this.env.MLFLOW_TRACKING_PASSWORD ?? ''}`).toString('base64')}`;
    return h;
  }

  /** One REST call; MLflow errors come back as { error_code, message }. */
  private async call<T>(method: 'GET' | 'POST', endpoint: string, body?: unknown): Promise<T> {
    const url = `${this.base}/api/2.0/mlflow/${endpoint}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: this.headers(),
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
    } catch (e) {
      throw new MlflowError(
        `MLflow server ${this.base} unreachable (${endpoint}): ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}; check tracking.trackers[].trackingUri`,
      );
    }
    const text = await res.text();
    const data = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (!res.ok)
      throw new MlflowError(
        `MLflow ${endpoint} failed: HTTP ${res.status} ${String(data.error_code ?? '')} ${String(data.message ?? text)}`.trim(),
        res.status,
        data.error_code as string | undefined,
      );
    return data as T;
  }

  async setup(ctx: CallbackContext): Promise<void> {
    const saved = join(ctx.runDir, 'mlflow.json');
    if (existsSync(saved)) {
      const s = JSON.parse(readFileSync(saved, 'utf8')) as {
        run_id: string;
        experiment_id: string;
        artifact_uri: string;
        tracking_uri: string;
      };
      if (s.tracking_uri === this.base) {
        Object.assign(this, { runId: s.run_id, experimentId: s.experiment_id, artifactUri: s.artifact_uri });
        await this.call('POST', 'runs/update', { run_id: this.runId, status: 'RUNNING' });
        return;
      }
    }
    if (this.o.experimentName) {
      try {
        const r = await this.call<{ experiment: { experiment_id: string } }>(
          'GET',
          `experiments/get-by-name?experiment_name=${encodeURIComponent(this.o.experimentName)}`,
        );
        this.experimentId = r.experiment.experiment_id;
      } catch (e) {
        if ((e as MlflowError).errorCode !== 'RESOURCE_DOES_NOT_EXIST') throw e;
        this.experimentId = (
          await this.call<{ experiment_id: string }>('POST', 'experiments/create', { name: this.o.experimentName })
        ).experiment_id;
      }
    }
    const tags = {
      'mlflow.source.name': 'gymnos',
      'gymnos.run_dir': ctx.runDir,
      ...Object.fromEntries(ctx.config.experiment.tags.map((t) => [`tag.${t}`, 'true'])),
      ...this.o.tags,
    };
    const r = await this.call<{ run: { info: { run_id: string; artifact_uri?: string } } }>('POST', 'runs/create', {
      experiment_id: this.experimentId,
      run_name: this.o.runName ?? basename(ctx.runDir),
      start_time: Date.now(),
      tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
    });
    this.runId = r.run.info.run_id;
    this.artifactUri = r.run.info.artifact_uri ?? '';
    writeFileAtomic(
      saved,
      `${JSON.stringify({ run_id: this.runId, experiment_id: this.experimentId, artifact_uri: this.artifactUri, tracking_uri: this.base })}\n`,
    );
    const params = Object.entries(flattenConfig(ctx.config)).map(([key, v]) => ({
      key,
      value: String(v).slice(0, MAX_PARAM_VALUE),
    }));
    for (let i = 0; i < params.length; i += 100)
      await this.call('POST', 'runs/log-batch', {
        run_id: this.runId,
        params: params.slice(i, i + 100),
        metrics: [],
        tags: [],
      });
  }

  private add(prefix: string, m: Record<string, unknown> | undefined, step: number): void {
    const timestamp = Date.now();
    for (const [k, v] of Object.entries(m ?? {}))
      if (typeof v === 'number' && Number.isFinite(v))
        this.pending.push({ key: `${prefix}${k}`, value: v, timestamp, step });
  }

  private async flush(): Promise<void> {
    while (this.pending.length) {
      const metrics = this.pending.slice(0, 1000);
      await this.call('POST', 'runs/log-batch', { run_id: this.runId, metrics, params: [], tags: [] });
      this.pending.splice(0, metrics.length);
    }
  }

  /** PUT model.onnx to the proxied artifact store; other stores cannot be reached over REST. */
  private async logModel(path: string): Promise<void> {
    const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/(.*)$/.exec(this.artifactUri);
    if (!m) {
      await this.setTag(
        'gymnos.model_artifact',
        `not uploaded: artifact store ${this.artifactUri || '(none)'} is not mlflow-artifacts`,
      );
      return;
    }
    const url = `${this.base}/api/2.0/mlflow-artifacts/artifacts/${m[1].split('/').map(encodeURIComponent).join('/')}/model/model.onnx`;
    const res = await fetch(url, {
      method: 'PUT',
      headers: { ...this.headers(false), 'content-type': 'application/octet-stream' },
      body: readFileSync(path),
      signal: AbortSignal.timeout(this.o.timeoutMs * 6),
    });
    if (!res.ok)
      throw new MlflowError(`MLflow artifact upload failed: HTTP ${res.status} ${await res.text()}`, res.status);
  }

  private setTag(key: string, value: string) {
    return this.call('POST', 'runs/set-tag', { run_id: this.runId, key, value });
  }

  async onEvent(e: TrainerEvent): Promise<void> {
    if (!this.runId) return;
    switch (e.type) {
      case 'batchEnd':
        this.add('batch_', { loss: e.loss, lr: e.lr }, e.step);
        return;
      case 'epochEnd':
        this.add('', e.train, e.step);
        this.add('val_', e.validation, e.step);
        this.add('', { lr: e.lr, epoch: e.epoch }, e.step);
        await this.flush();
        return;
      case 'testEnd':
        this.add('test_', e.metrics, e.step);
        await this.flush();
        return;
      case 'fitEnd': {
        const r = e.result;
        await this.flush();
        await this.setTag('gymnos.status', r.status);
        if (r.message) await this.setTag('gymnos.stop_reason', r.message);
        if (this.o.logModel && r.modelPath && existsSync(r.modelPath)) await this.logModel(r.modelPath);
        await this.call('POST', 'runs/update', {
          run_id: this.runId,
          status: r.status === 'aborted' ? 'KILLED' : 'FINISHED',
          end_time: Date.now(),
        });
        this.runId = '';
        return;
      }
      case 'error':
        await this.flush().catch(() => undefined);
        await this.setTag('gymnos.error', e.message.slice(0, 5000));
        await this.call('POST', 'runs/update', { run_id: this.runId, status: 'FAILED', end_time: Date.now() });
        this.runId = '';
        return;
      case 'setupPhase':
      case 'fitStart':
      case 'epochStart':
      case 'validationEnd':
      case 'checkpointSaved':
      case 'stop':
        return;
    }
  }
}

export const createMlflow = (o: MlflowOptions): Tracker => new MlflowTracker(o);
