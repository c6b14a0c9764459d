/**
 * gymnosd train / validate / schema / export / evaluate / doctor in-process, and a `kill -9` of a
 * training child process followed by `--resume` that ends with the uninterrupted run's weights.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint } from '../../src/trainer/checkpoint.js';
import { RunDir } from '../../src/trainer/run-dir.js';
import { captureCli } from './capture.js';

const cli = (args: string[]) => captureCli(args);

const dir = mkdtempSync(join(tmpdir(), 'gymnos-train-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const quiet = join(dir, 'logging.json');
writeFileSync(quiet, JSON.stringify({ console: { enabled: false } }));
const exp = join(dir, 'iris.json');
writeFileSync(
  exp,
  JSON.stringify({
    dataset: { type: 'iris' },
    model: { type: 'mlp', hidden: [16] },
    training: {
      epochs: 4,
      batchSize: 16,
      seed: 3,
      optimizer: { type: 'adam', lr: 0.02 },
      checkpoint: { everySteps: 1, keepLast: 2 },
    },
    session: { device: 'cpu', intraOpThreads: 1 },
  }),
);

test('validate prints the resolved config with overrides; every error exits 2', async () => {
  const ok = await cli(['validate', exp, '--set', 'training.epochs=9', '--seed', '5']);
  assert.equal(ok.code, 0, ok.err);
  const c = JSON.parse(ok.out);
  assert.deepEqual([c.experiment.name, c.training.epochs, c.training.seed, c.training.batchSize], ['iris', 9, 5, 16]);
  const bad = await cli(['validate', exp, '--set', 'training.epochs=0', '--set', 'model.type=mpl']);
  assert.equal(bad.code, 2);
  assert.equal(
    bad.err,
    `gymnosd: ${exp}: 2 problems:\n  - expected one of 'mlp', 'cnn', 'lenet5', 'resnet', 'mobilenet_v2', 'vgg', 'text_classifier', 'transformer_encoder', 'onnx' for model.type but got 'mpl'\n  - expected an integer >= 1 for training.epochs but got 0\n`,
  );
});

test('schema prints a JSON Schema with docs and defaults', async () => {
  const r = await cli(['schema']);
  const s = JSON.parse(r.out);
  assert.equal(s.title, 'Gymnos experiment');
  assert.equal(s.properties.training.properties.epochs.default, 10);
  assert.match(s.properties.training.properties.epochs.description, /passes over the training data/);
  assert.deepEqual(
    s.properties.model.oneOf.map((v: { properties: { type: { const: string } } }) => v.properties.type.const),
    ['mlp', 'cnn', 'lenet5', 'resnet', 'mobilenet_v2', 'vgg', 'text_classifier', 'transformer_encoder', 'onnx'],
  );
  assert.equal(JSON.parse((await cli(['schema', '--of', 'logging'])).out).properties.level.default, 'info');
});

test('train, export and evaluate a run; a run directory that is not one is a user error', async () => {
  const output = join(dir, 'run');
  const r = await cli(['train', exp, '--output', output, '--logging', quiet]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out.trim(), output);
  assert.match(r.err, /test accuracy \d+\.\d+%/);
  const ex = await cli(['export', output, '--output', join(dir, 'exported.onnx')]);
  assert.equal(ex.code, 0, ex.err);
  assert.deepEqual(readFileSync(join(dir, 'exported.onnx')), readFileSync(join(output, 'model.onnx')));
  const ev = await cli(['evaluate', output]);
  assert.equal(ev.code, 0, ev.err);
  const m = JSON.parse(ev.out);
  assert.equal(m.samples, 30);
  const test = JSON.parse(readFileSync(join(output, 'metrics.jsonl'), 'utf8').trim().split('\n').pop()!).test;
  assert.equal(m.metrics.accuracy, test.accuracy);
  const ev2 = await cli(['evaluate', join(output, 'model.onnx'), '--data', exp]);
  assert.equal(JSON.parse(ev2.out).metrics.accuracy, test.accuracy);
  const notRun = await cli(['export', dir]);
  assert.equal(notRun.code, 2);
  assert.match(notRun.err, /is not a Gymnos run directory \(no config\.json\)/);
  const again = await cli(['train', exp, '--output', output, '--logging', quiet]);
  assert.equal(again.code, 2);
  assert.match(again.err, /is not empty; choose another --output or resume it with --resume/);
});

test('doctor reports ONNX Runtime, its providers, cores and directories', async () => {
  const r = await cli(['doctor', '--json']);
  assert.equal(r.code, 0, r.err);
  const d = JSON.parse(r.out);
  assert.match(d.onnxruntime['onnxruntime-node'], /^\d+\.\d+\.\d+/);
  assert.ok(
    d.executionProviders.some((p: { provider: string; available: boolean }) => p.provider === 'cpu' && p.available),
  );
  assert.ok(d.cpu.cores >= 1);
  assert.ok(Array.isArray(d.directories.runsDir));
  assert.ok('ok' in d.nativeAddon);
});

test('kill -9 during training, then --resume: the final weights equal an uninterrupted run', async () => {
  const ref = join(dir, 'ref');
  assert.equal((await cli(['train', exp, '--output', ref, '--logging', quiet])).code, 0);
  const killed = join(dir, 'killed');
  const root = new URL('../..', import.meta.url).pathname;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'src/cli/bin.ts'), 'train', exp, '--output', killed, '--logging', quiet],
    { cwd: root, stdio: 'ignore' },
  );
  const exited = once(child, 'exit');
  // kill as soon as a few checkpoints exist (whenever that is; the run may even finish first)
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      let step = 0;
      try {
        step = JSON.parse(readFileSync(join(killed, 'state.json'), 'utf8')).step;
      } catch {
        /* not yet */
      }
      if (step >= 5 || child.exitCode !== null) {
        clearInterval(poll);
        child.kill('SIGKILL');
        resolve();
      }
    }, 5);
  });
  await exited;
  const state = JSON.parse(readFileSync(join(killed, 'state.json'), 'utf8'));
  if (state.status === 'running') {
    const r = await cli(['train', '--resume', killed, '--logging', quiet]);
    assert.equal(r.code, 0, r.err);
  }
  assert.ok(existsSync(join(killed, 'model.onnx')));
  const a = loadCheckpoint(new RunDir(ref).checkpoints()[0]).tensors;
  const b = loadCheckpoint(new RunDir(killed).checkpoints()[0]).tensors;
  for (const [k, v] of a)
    assert.deepEqual(
      Buffer.from((b.get(k)!.data as Float32Array).buffer),
      Buffer.from((v.data as Float32Array).buffer),
      `tensor ${k}`,
    );
});
