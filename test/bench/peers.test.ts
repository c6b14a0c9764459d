/**
 * The TensorFlow.js peer workloads of bench/compare.ts still run: three steps of the MLP and
 * LeNet workloads give finite losses (ResNet-20 is left to the benchmark: seconds per step), and the wasm backend's
 * registered Conv2DBackpropFilter
 * fallback matches the cpu backend's own kernel. Catches bit-rot in the benchmark's peers. The
 * PyTorch peer's output parsing, round medians and ratios are checked on fixed lines (no Python).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initTfjs, runTfjsWorkload } from '../../bench/peers/tfjs.js';
import { forwardFlopsPerSample } from '../../bench/peak.js';
import { workloadModel } from '../../bench/peers/gymnos.js';
import { median } from '../../bench/peers/workloads.js';
import { aggregateRounds, describeBlas, medianOf, parsePeerOutput, pytorchRatios } from '../../bench/peers/results.js';
import { probeTorch, torchArgs } from '../../bench/peers/pytorch.js';

// the benchmark asserts that the loss falls; three steps (requireFall: false) only check that each workload runs
const finite = (r: { firstLoss: number; lastLoss: number }) =>
  Number.isFinite(r.firstLoss) && Number.isFinite(r.lastLoss);

// TF.js cpu takes seconds per LeNet step: it runs the MLP here, the wasm test runs both
test('TF.js cpu: 3 steps of the MLP workload give a finite loss', async () => {
  const setup = await initTfjs('cpu');
  for (const w of ['mlp'] as const) {
    const r = await runTfjsWorkload(setup, w, { warmup: 0, epochs: 1, steps: 3, requireFall: false });
    assert.ok(finite(r), `${w}: ${JSON.stringify(r)}`);
  }
});

test('TF.js wasm: the Conv2DBackpropFilter fallback equals the cpu kernel; 3 steps of the MLP and LeNet workloads give finite losses', async () => {
  const x = tf.tensor4d(
    Float32Array.from({ length: 2 * 9 * 9 * 3 }, (_, i) => Math.sin(i)),
    [2, 9, 9, 3],
  );
  const w = tf.tensor4d(
    Float32Array.from({ length: 3 * 3 * 3 * 4 }, (_, i) => Math.cos(i)),
    [3, 3, 3, 4],
  );
  const grads = () =>
    [1, 2].map((s) =>
      Array.from(
        tf
          .grad((k: tf.Tensor) =>
            tf
              .conv2d(x, k as tf.Tensor4D, s as 1 | 2, 'same')
              .square()
              .sum(),
          )(w)
          .dataSync(),
      ),
    );
  await tf.setBackend('cpu');
  const want = grads();
  const setup = await initTfjs('wasm', 1);
  assert.ok(
    setup.notes.some((n) => n.includes('Conv2DBackpropFilter')),
    'expected the wasm backend to lack Conv2DBackpropFilter (note it if a tfjs release adds it)',
  );
  const got = grads();
  for (let s = 0; s < 2; s++)
    for (let i = 0; i < want[s].length; i++)
      assert.ok(
        Math.abs(got[s][i] - want[s][i]) <= 1e-3 * Math.max(1, Math.abs(want[s][i])),
        `stride ${s + 1}, element ${i}: ${got[s][i]} vs ${want[s][i]}`,
      );
  for (const wl of ['mlp', 'lenet'] as const) {
    const r = await runTfjsWorkload(setup, wl, { warmup: 0, epochs: 1, steps: 3, requireFall: false });
    assert.ok(finite(r), `${wl}: ${JSON.stringify(r)}`);
  }
});

test('FLOP count of the MLP workload is 2 x (784*256 + 256*128 + 128*10) per sample', async () => {
  assert.equal(forwardFlopsPerSample(await workloadModel('mlp')).flops, 2 * (784 * 256 + 256 * 128 + 128 * 10));
});

// --- PyTorch peer output (bench/peers/results.ts): parsed and combined without Python ---

const result = (tool: string, workload: string, stepMs: number, cpuMs: number, extra: Record<string, unknown> = {}) =>
  `RESULT ${JSON.stringify({ tool, workload, stepMs, cpuMs, samplesPerSec: 0, samplesPerCpuSec: 0, firstLoss: 2.3, lastLoss: 1.1, epochs: 4, steps: 2, threads: 1, notes: [], ...extra })}`;

test('parsePeerOutput reads the PROBE and RESULT lines and turns bad ones into failures that quote them', () => {
  const probe = {
    torch: '1.13.0a0',
    blasInfo: 'generic',
    mkldnn: true,
    loaded: ['/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so'],
    openblasThreads: '1',
  };
  const out = parsePeerOutput(
    [
      'some log line',
      `PROBE ${JSON.stringify(probe)}`,
      result('pytorch-1t', 'resnet20', 170, 160, { peak_rss_mb: 500 }),
      'RESULT {"tool": "pytorch-1t", "workload": "mlp", "error": "the loss did not fall"}',
      'RESULT {not json',
      result('pytorch-1t', 'vgg', 1, 1),
      result('pytorch-1t', 'lenet', Number.NaN, 1),
    ].join('\n'),
    'pytorch-1t',
  );
  assert.deepEqual(out.probe, probe);
  assert.equal(out.results.length, 1);
  assert.equal(out.results[0].workload, 'resnet20');
  assert.equal(out.results[0].peak_rss_mb, 500);
  const errs = out.failures.map((f) => `${f.workload}: ${f.error}`);
  assert.equal(errs.length, 4, errs.join('\n'));
  assert.match(errs[0], /^mlp: the loss did not fall/);
  assert.match(errs[1], /not JSON.*\{not json/);
  assert.match(errs[2], /workload "vgg"; expected one of mlp, lenet, resnet20, mobilenetv2/);
  assert.match(errs[3], /^lenet: .*no finite 'stepMs'/);
});

test('aggregateRounds takes the median over rounds per tool and workload and recomputes samples/s from the batch', () => {
  const parsed = parsePeerOutput(
    [
      result('pytorch-1t', 'resnet20', 100, 90),
      result('pytorch-1t', 'resnet20', 300, 110),
      result('pytorch-1t', 'resnet20', 200, 100, { peak_rss_mb: 7 }),
      result('pytorch-1t', 'mlp', 4, 2),
      result('pytorch-1t', 'mlp', 6, 4),
    ].join('\n'),
    'x',
  );
  const rows = aggregateRounds(parsed.results);
  const resnet = rows.find((r) => r.workload === 'resnet20')!;
  assert.equal(resnet.stepMs, 200);
  assert.equal(resnet.cpuMs, 100);
  assert.equal(resnet.rounds, 3);
  assert.equal(resnet.peak_rss_mb, 7);
  assert.equal(resnet.samplesPerSec, (64 * 1000) / 200); // ResNet-20 batch 64
  const mlp = rows.find((r) => r.workload === 'mlp')!;
  assert.equal(mlp.stepMs, 5); // even count: mean of the two middle values
  assert.equal(mlp.samplesPerCpuSec, (128 * 1000) / 3);
  assert.equal(medianOf([3, 1, 2, 10]), 2.5);
  // the per-epoch median of the tools' own timing is the same function (a 2-epoch --quick run: the mean)
  assert.equal(median([12, 4]), 8);
  assert.equal(median([5, 1, 3]), 3);
  assert.throws(() => medianOf([]), /no values/);
});

test('pytorchRatios pairs the Trainer (else StepRunner) with PyTorch at the same thread count', () => {
  const rows = aggregateRounds(
    parsePeerOutput(
      [
        result('pytorch-1t', 'lenet', 10, 8),
        result('gymnos-trainer', 'lenet', 20, 16),
        result('gymnos-steprunner', 'lenet', 5, 5),
        result('pytorch-2t', 'lenet', 6, 10),
        result('gymnos-trainer-2t', 'lenet', 3, 5),
        result('pytorch-1t', 'mlp', 4, 4),
        result('gymnos-steprunner', 'mlp', 2, 8),
        result('gymnos-trainer', 'resnet20', 1, 1),
      ].join('\n'),
      'x',
    ).results,
  );
  const got = pytorchRatios(rows).map((q) => `${q.workload} ${q.threads}t ${q.gymnos}: ${q.wall} ${q.cpu}`);
  assert.deepEqual(got, [
    'mlp 1t gymnos-steprunner: 2 0.5',
    'lenet 1t gymnos-trainer: 0.5 0.5',
    'lenet 2t gymnos-trainer-2t: 2 2',
  ]);
});

test('describeBlas names the BLAS torch really loaded and flags a reference BLAS', () => {
  const open = describeBlas({
    torch: '1.13',
    blasInfo: 'generic',
    mkldnn: true,
    openblasThreads: '1',
    loaded: [
      '/usr/lib/x86_64-linux-gnu/libdnnl.so.2.6',
      '/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so',
    ],
  });
  assert.equal(open.fast, true);
  assert.match(
    open.line,
    /OpenBLAS \(libopenblasp-r0\.3\.21\.so, pthread build, OPENBLAS_NUM_THREADS=1\).*libdnnl\.so\.2\.6 loaded/,
  );
  const ref = describeBlas({
    torch: '1.13',
    blasInfo: 'generic',
    mkldnn: false,
    loaded: ['/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0'],
  });
  assert.equal(ref.fast, false);
  assert.match(ref.line, /no optimized BLAS loaded \(libblas\.so\.3\.11\.0\).*install libopenblas0-pthread/);
});

test('without the interpreter the PyTorch peer reports why instead of failing the bench', () => {
  const r = probeTorch('/nonexistent/python3');
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.why : '', /\/nonexistent\/python3 is absent.*python3-torch/);
  assert.deepEqual(torchArgs(2, ['mlp', 'lenet'], 4).slice(1), [
    '--threads',
    '2',
    '--workloads',
    'mlp,lenet',
    '--warmup',
    '1',
    '--epochs',
    '4',
  ]);
});
