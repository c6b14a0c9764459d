/**
 * A stand-in MLflow tracking server on 127.0.0.1 for tests. Each request's method, path and JSON
 * body are checked against MLflow's documented REST API (mlflow.org/docs/latest/rest-api.html:
 * field names, types, required fields, per-request limits of runs/log-batch); anything else is
 * answered 400 and recorded as a violation, so a test fails on any request MLflow would refuse.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  path: string;
  body: unknown;
  bytes?: Buffer;
}

type Check = (b: Record<string, unknown>) => string | undefined;
const isStr = (v: unknown) => typeof v === 'string';
const isInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v);
const kv = (list: unknown, what: string): string | undefined => {
  if (!Array.isArray(list)) return `${what} must be an array`;
  for (const t of list)
    if (!t || !isStr(t.key) || !isStr(t.value) || Object.keys(t).length !== 2)
      return `${what} entries are { key: string, value: string }`;
};
const fieldsOnly = (b: Record<string, unknown>, allowed: string[]) => Object.keys(b).find((k) => !allowed.includes(k));

const CHECKS: Record<string, { allowed: string[]; check: Check }> = {
  'experiments/create': {
    allowed: ['name', 'artifact_location', 'tags'],
    check: (b) => (isStr(b.name) && b.name ? undefined : 'name (string) is required'),
  },
  'runs/create': {
    allowed: ['experiment_id', 'user_id', 'run_name', 'start_time', 'tags'],
    check: (b) =>
      !isStr(b.experiment_id)
        ? 'experiment_id must be a string'
        : !isInt(b.start_time)
          ? 'start_time must be an int64 (ms)'
          : b.run_name !== undefined && !isStr(b.run_name)
            ? 'run_name must be a string'
            : kv(b.tags ?? [], 'tags'),
  },
  'runs/log-batch': {
    allowed: ['run_id', 'metrics', 'params', 'tags'],
    check: (b) => {
      if (!isStr(b.run_id)) return 'run_id must be a string';
      const m = (b.metrics ?? []) as Array<Record<string, unknown>>,
        p = (b.params ?? []) as unknown[],
        t = (b.tags ?? []) as unknown[];
      if (m.length > 1000 || p.length > 100 || t.length > 100 || m.length + p.length + t.length > 1000)
        return 'log-batch limits: 1000 metrics, 100 params, 100 tags, 1000 in all';
      for (const x of m)
        if (
          !isStr(x.key) ||
          typeof x.value !== 'number' ||
          !isInt(x.timestamp) ||
          (x.step !== undefined && !isInt(x.step)) ||
          fieldsOnly(x, ['key', 'value', 'timestamp', 'step'])
        )
          return `metric ${JSON.stringify(x)} is not { key, value: double, timestamp: int64, step: int64 }`;
      for (const x of p as Array<{ value: string }>)
        if (x.value.length > 6000) return 'param values are at most 6000 characters';
      return kv(p, 'params') ?? kv(t, 'tags');
    },
  },
  'runs/set-tag': {
    allowed: ['run_id', 'run_uuid', 'key', 'value'],
    check: (b) =>
      isStr(b.run_id) && isStr(b.key) && isStr(b.value) ? undefined : 'run_id, key and value must be strings',
  },
  'runs/update': {
    allowed: ['run_id', 'run_uuid', 'status', 'end_time', 'run_name'],
    check: (b) =>
      !isStr(b.run_id)
        ? 'run_id must be a string'
        : !['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'].includes(b.status as string)
          ? 'status must be a RunStatus'
          : b.end_time !== undefined && !isInt(b.end_time)
            ? 'end_time must be an int64'
            : undefined,
  },
};

export class FakeMlflow {
  readonly requests: Recorded[] = [];
  readonly violations: string[] = [];
  readonly experiments = new Map<string, string>();
  /** Endpoints that answer 500 (to test failure handling). */
  failing = new Set<string>();
  private server?: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(([status, body]) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this;
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server!.close(() => r()));
  }

  private async handle(req: IncomingMessage): Promise<[number, unknown]> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url!, 'http://x');
    const bad = (msg: string): [number, unknown] => {
      this.violations.push(`${req.method} ${url.pathname}: ${msg}`);
      return [400, { error_code: 'INVALID_PARAMETER_VALUE', message: msg }];
    };
    if (req.method === 'PUT' && url.pathname.startsWith('/api/2.0/mlflow-artifacts/artifacts/')) {
      this.requests.push({ method: 'PUT', path: url.pathname, body: undefined, bytes: raw });
      return [200, {}];
    }
    const m = /^\/api\/2\.0\/mlflow\/(.+)$/.exec(url.pathname);
    if (!m) return bad('unknown path');
    const endpoint = m[1];
    if (req.method === 'GET' && endpoint === 'experiments/get-by-name') {
      this.requests.push({ method: 'GET', path: `${url.pathname}${url.search}`, body: undefined });
      const name = url.searchParams.get('experiment_name');
      if (!name) return bad('experiment_name is required');
      const id = this.experiments.get(name);
      return id
        ? [200, { experiment: { experiment_id: id, name } }]
        : [404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: `Could not find experiment with name '${name}'` }];
    }
    const spec = CHECKS[endpoint];
    if (req.method !== 'POST' || !spec) return bad(`${req.method} ${endpoint} is not an endpoint Gymnos should call`);
    if (req.headers['content-type'] !== 'application/json') return bad('content-type must be application/json');
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return bad('body is not JSON');
    }
    this.requests.push({ method: 'POST', path: endpoint, body });
    const extra = fieldsOnly(body, spec.allowed);
    if (extra) return bad(`unknown field '${extra}'`);
    const problem = spec.check(body);
    if (problem) return bad(problem);
    if (this.failing.has(endpoint)) return [500, { error_code: 'INTERNAL_ERROR', message: 'scripted failure' }];
    if (endpoint === 'experiments/create') {
      const id = String(this.experiments.size + 1);
      this.experiments.set(body.name as string, id);
      return [200, { experiment_id: id }];
    }
    if (endpoint === 'runs/create') {
      const runId = `run${this.requests.length}`;
      return [
        200,
        {
          run: {
            info: {
              run_id: runId,
              experiment_id: body.experiment_id,
              status: 'RUNNING',
              artifact_uri: `mlflow-artifacts:/${body.experiment_id as string}/${runId}/artifacts`,
            },
            data: {},
          },
        },
      ];
    }
    return [200, {}];
  }
}
