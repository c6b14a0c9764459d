/**
 * Kubernetes manifests for a distributed sweep: Redis (a Deployment with AOF persistence on its own
 * volume, and a Service), the workers (a Deployment of `gymnosd worker` pods with resources, the
 * shared runs volume and, for the CUDA image, GPU requests), the sweep file as a ConfigMap, and a
 * Job that enqueues the sweep. Documents are written as JSON, which is valid YAML, so no YAML
 * library is needed and every file parses back exactly.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadSweepFile } from './sweep-file.js';

export interface ManifestOptions {
  sweepFile: string;
  image?: string;
  redisImage?: string;
  /** The Redis the workers use (default the manifests' own Service, redis://gymnos-redis:6379). */
  redisUrl?: string;
  replicas?: number;
  concurrency?: number;
  cuda?: boolean;
  cpu?: string;
  memory?: string;
  gpus?: number;
  runsPath?: string;
  /** Size of the shared runs volume claim. */
  runsStorage?: string;
}

type Doc = Record<string, unknown>;
const LABELS = { 'app.kubernetes.io/part-of': 'gymnos' };
/**
 * The user the images in docker/ run as (Dockerfile.cpu and .cuda, GYMNOS_UID): the pods that
 * write the runs volume run as it, with fsGroup so a fresh volume is writable by it.
 */
export const GYMNOS_UID = 10001;
const gymnosSecurity = { runAsNonRoot: true, runAsUser: GYMNOS_UID, runAsGroup: GYMNOS_UID, fsGroup: GYMNOS_UID };
const meta = (name: string, component: string) => ({
  name,
  labels: { ...LABELS, 'app.kubernetes.io/component': component },
});

/** The documents of each file (file name -> documents). */
export function buildManifests(o: ManifestOptions): Record<string, Doc[]> {
  const s = loadSweepFile(o.sweepFile);
  const image = o.image ?? (o.cuda ? 'gymnos:cuda' : 'gymnos:cpu');
  const runs = o.runsPath ?? '/runs';
  const redisUrl = o.redisUrl ?? 'redis://gymnos-redis:6379';
  const resources = (extra: Record<string, unknown> = {}) => {
    const r = { cpu: o.cpu ?? '1', memory: o.memory ?? '2Gi', ...extra };
    return { requests: r, limits: r };
  };
  const gpu = o.cuda ? { 'nvidia.com/gpu': String(o.gpus ?? 1) } : {};
  // the experiment goes inline: the pods see the sweep file only, through the ConfigMap
  const sweepJson = {
    ...(JSON.parse(JSON.stringify(s.file)) as Doc),
    name: s.name,
    experiment: rawExperiment(s.file.experiment, o.sweepFile),
    output: `${runs}/sweeps`,
  };
  const runsVolume = { name: 'runs', persistentVolumeClaim: { claimName: 'gymnos-runs' } };
  const podCommon = (component: string) => ({
    metadata: { labels: { ...LABELS, 'app.kubernetes.io/component': component } },
  });
  return {
    'redis.yaml': [
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: meta('gymnos-redis-data', 'redis'),
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: meta('gymnos-redis', 'redis'),
        spec: {
          replicas: 1,
          strategy: { type: 'Recreate' },
          selector: { matchLabels: { ...LABELS, 'app.kubernetes.io/component': 'redis' } },
          template: {
            ...podCommon('redis'),
            spec: {
              containers: [
                {
                  name: 'redis',
                  image: o.redisImage ?? 'redis:7',
                  command: [
                    'redis-server',
                    '--appendonly',
                    'yes',
                    '--appendfsync',
                    'everysec',
                    '--dir',
                    '/data',
                    '--protected-mode',
                    'no',
                  ],
                  ports: [{ containerPort: 6379, name: 'redis' }],
                  volumeMounts: [{ name: 'data', mountPath: '/data' }],
                  resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } },
                  readinessProbe: { exec: { command: ['redis-cli', 'ping'] }, periodSeconds: 5 },
                },
              ],
              volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'gymnos-redis-data' } }],
            },
          },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: meta('gymnos-redis', 'redis'),
        spec: {
          selector: { ...LABELS, 'app.kubernetes.io/component': 'redis' },
          ports: [{ port: 6379, targetPort: 6379, name: 'redis' }],
        },
      },
    ],
    'workers.yaml': [
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: meta('gymnos-runs', 'runs'),
        spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: o.runsStorage ?? '10Gi' } } },
      },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: meta('gymnos-sweep', 'sweep'),
        data: { 'sweep.json': `${JSON.stringify(sweepJson, null, 2)}\n` },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: meta('gymnos-worker', 'worker'),
        spec: {
          replicas: o.replicas ?? 2,
          selector: { matchLabels: { ...LABELS, 'app.kubernetes.io/component': 'worker' } },
          template: {
            ...podCommon('worker'),
            spec: {
              terminationGracePeriodSeconds: 60,
              securityContext: gymnosSecurity,
              containers: [
                {
                  name: 'worker',
                  image,
                  workingDir: runs,
                  command: ['gymnosd', 'worker', '--redis', redisUrl, '--concurrency', String(o.concurrency ?? 1)],
                  env: [{ name: 'GYMNOS_HOME', value: runs }],
                  resources: resources(gpu),
                  volumeMounts: [{ name: 'runs', mountPath: runs }],
                },
              ],
              volumes: [runsVolume],
            },
          },
        },
      },
    ],
    'start-job.yaml': [
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: meta('gymnos-sweep-start', 'sweep'),
        spec: {
          backoffLimit: 3,
          template: {
            ...podCommon('sweep'),
            spec: {
              restartPolicy: 'OnFailure',
              securityContext: gymnosSecurity,
              containers: [
                {
                  name: 'start',
                  image,
                  workingDir: runs,
                  command: ['gymnosd', 'sweep', 'start', '/sweep/sweep.json', '--redis', redisUrl],
                  volumeMounts: [
                    { name: 'runs', mountPath: runs },
                    { name: 'sweep', mountPath: '/sweep' },
                  ],
                  resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } },
                },
              ],
              volumes: [runsVolume, { name: 'sweep', configMap: { name: 'gymnos-sweep' } }],
            },
          },
        },
      },
    ],
  };
}

function rawExperiment(e: string | Record<string, unknown>, sweepFile: string): unknown {
  if (typeof e !== 'string') return e;
  // read as the sweep loader does: relative to the sweep file
  return JSON.parse(readFileSync(resolve(sweepFile, '..', e), 'utf8'));
}

/** Writes redis.yaml, workers.yaml and start-job.yaml into `dir`; returns their paths. */
export function writeManifests(dir: string, o: ManifestOptions): string[] {
  mkdirSync(dir, { recursive: true });
  return Object.entries(buildManifests(o)).map(([name, docs]) => {
    const p = join(dir, name);
    writeFileSync(
      p,
      `# generated by gymnosd sweep manifests (JSON documents are valid YAML); apply with kubectl apply -f ${name}\n${docs.map((d) => JSON.stringify(d, null, 2)).join('\n---\n')}\n`,
    );
    return p;
  });
}
