/**
 * `gymnosd sweep manifests`: every file parses back (JSON documents are YAML), and the documents
 * have the shape Kubernetes expects: Redis with AOF on a volume behind a Service, workers running
 * `gymnosd worker` against that Service with resources and the shared runs volume, GPU requests
 * only for the CUDA image, the sweep in a ConfigMap with the experiment inlined, and the start Job.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import { parseSweep } from '../../src/sweeps/sweep-file.js';
import { ROOT } from './helpers.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each manifest kind has its own spec shape
type Doc = { apiVersion: string; kind: string; metadata: { name: string }; spec: any; data?: Record<string, string> };

const docs = (p: string): Doc[] =>
  readFileSync(p, 'utf8')
    .replace(/^#.*\n/, '')
    .split('\n---\n')
    .map((d) => JSON.parse(d));
const out = mkdtempSync(join(tmpdir(), 'gymnos-k8s-'));
test.after(() => rmSync(out, { recursive: true, force: true }));

test('manifests: Redis, workers and the start job, parsed back and checked', async () => {
  const dir = join(out, 'cpu');
  assert.equal(
    await runCli([
      'sweep',
      'manifests',
      join(ROOT, 'examples/sweep-quickstart.json'),
      '--out',
      dir,
      '--image',
      'localhost/gymnos:test',
      '--replicas',
      '3',
      '--memory',
      '3Gi',
    ]),
    0,
  );
  const redis = docs(join(dir, 'redis.yaml'));
  assert.deepEqual(
    redis.map((d) => `${d.kind}/${d.metadata.name}`),
    ['PersistentVolumeClaim/gymnos-redis-data', 'Deployment/gymnos-redis', 'Service/gymnos-redis'],
  );
  const rc = redis[1].spec.template.spec.containers[0];
  assert.deepEqual(rc.command.slice(0, 3), ['redis-server', '--appendonly', 'yes']);
  assert.deepEqual(redis[2].spec.selector, redis[1].spec.template.metadata.labels);
  assert.deepEqual(redis[1].spec.selector.matchLabels, redis[1].spec.template.metadata.labels);
  assert.equal(redis[2].spec.ports[0].port, 6379);

  const workers = docs(join(dir, 'workers.yaml'));
  assert.deepEqual(
    workers.map((d) => d.kind),
    ['PersistentVolumeClaim', 'ConfigMap', 'Deployment'],
  );
  assert.deepEqual(workers[0].spec.accessModes, ['ReadWriteMany']);
  const dep = workers[2];
  assert.equal(dep.spec.replicas, 3);
  assert.deepEqual(dep.spec.selector.matchLabels, dep.spec.template.metadata.labels);
  const c = dep.spec.template.spec.containers[0];
  assert.equal(c.image, 'localhost/gymnos:test');
  assert.deepEqual(c.command, ['gymnosd', 'worker', '--redis', 'redis://gymnos-redis:6379', '--concurrency', '1']);
  assert.deepEqual(c.resources, { requests: { cpu: '1', memory: '3Gi' }, limits: { cpu: '1', memory: '3Gi' } });
  assert.deepEqual(c.volumeMounts, [{ name: 'runs', mountPath: '/runs' }]);
  assert.deepEqual(dep.spec.template.spec.volumes, [
    { name: 'runs', persistentVolumeClaim: { claimName: 'gymnos-runs' } },
  ]);
  // the images run as uid 10001 (docker/Dockerfile.cpu's GYMNOS_UID): the pods writing the volume too
  const uid = Number(/^ARG GYMNOS_UID=(\d+)$/m.exec(readFileSync(join(ROOT, 'docker/Dockerfile.cpu'), 'utf8'))![1]);
  assert.deepEqual(dep.spec.template.spec.securityContext, {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
  });
  // the ConfigMap's sweep is a valid sweep on its own: the experiment is inlined, output on the volume
  const sweepJson = JSON.parse(workers[1].data!['sweep.json']);
  assert.equal(typeof sweepJson.experiment, 'object');
  assert.equal(sweepJson.output, '/runs/sweeps');
  assert.equal(parseSweep(sweepJson, 'configmap', '/').trials.length, 3);

  const [job] = docs(join(dir, 'start-job.yaml'));
  assert.equal(job.kind, 'Job');
  const jc = job.spec.template.spec.containers[0];
  assert.deepEqual(jc.command, [
    'gymnosd',
    'sweep',
    'start',
    '/sweep/sweep.json',
    '--redis',
    'redis://gymnos-redis:6379',
  ]);
  assert.deepEqual(job.spec.template.spec.volumes[1], { name: 'sweep', configMap: { name: 'gymnos-sweep' } });
  assert.equal(job.spec.template.spec.securityContext.runAsUser, uid);
});

test('--cuda: the CUDA image and a GPU request per worker', async () => {
  const dir = join(out, 'cuda');
  assert.equal(
    await runCli([
      'sweep',
      'manifests',
      join(ROOT, 'examples/sweep-quickstart.json'),
      '--out',
      dir,
      '--cuda',
      '--gpus',
      '2',
    ]),
    0,
  );
  const c = docs(join(dir, 'workers.yaml'))[2].spec.template.spec.containers[0];
  assert.equal(c.image, 'gymnos:cuda');
  assert.equal(c.resources.limits['nvidia.com/gpu'], '2');
  assert.equal(c.resources.requests['nvidia.com/gpu'], '2');
  const cpu = docs(join(out, 'cpu', 'workers.yaml'))[2].spec.template.spec.containers[0];
  assert.equal(cpu.resources.limits['nvidia.com/gpu'], undefined);
});
