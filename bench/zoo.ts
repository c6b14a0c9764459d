/**
 * Zoo training throughput: ResNet-20 on 32x32x3 at batch 64, and the transformer encoder
 * (2 layers, d=64, 4 heads) at sequence length 64, with 1 and 2 intra-op threads, in ONNX Runtime
 * on the CPU. The train step is Gymnos's full generated graph (forward with training-mode
 * BatchNormalization, softmax cross-entropy, backward, Adam); the forward is the inference model
 * with its weights as initializers. All variants run alternately after warm-up; medians of wall
 * clock and of process CPU time (which a loaded machine inflates less) are reported.
 *
 *   node --import tsx bench/zoo.ts [--runs 7] [--batch-text 32]
 */
import { loadavg, cpus } from 'node:os';
import ort from 'onnxruntime-node';
import { ModelManager } from '../src/models/model-manager.js';
import { encodeModel } from '../src/onnx/io.js';
import { buildTrainingArtifacts, type TrainingArtifacts } from '../src/autodiff/artifacts.js';
import { IO_NAMES } from '../src/autodiff/io-names.js';
import { summarizeModel } from '../src/models/summary.js';
import { Rng } from '../src/util/rng.js';
import type { Model } from '../src/onnx/ir.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

interface Workload {
  name: string;
  model: Model;
  batch: number;
  vocab?: number;
}

function input(m: Model, batch: number, rng: Rng, vocab?: number): ort.Tensor {
  const v = m.graph.inputs[0];
  const dims = v.shape!.map((d) => (typeof d === 'number' ? d : batch));
  const n = dims.reduce((a, b) => a * b, 1);
  return vocab
    ? new ort.Tensor(
        'int64',
        BigInt64Array.from({ length: n }, () => BigInt(rng.int(vocab))),
        dims,
      )
    : new ort.Tensor(
        'float32',
        Float32Array.from({ length: n }, () => rng.uniform(-1, 1)),
        dims,
      );
}

function trainFeeds(art: TrainingArtifacts, x: ort.Tensor, batch: number, rng: Rng): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = { [art.dataInputs[0].name]: x };
  feeds[IO_NAMES.label] = new ort.Tensor(
    'int64',
    BigInt64Array.from({ length: batch }, () => BigInt(rng.int(10))),
    [batch],
  );
  feeds[IO_NAMES.lr] = new ort.Tensor('float32', Float32Array.of(1e-3), []);
  feeds[IO_NAMES.step] = new ort.Tensor('int64', BigInt64Array.of(1n), []);
  feeds[IO_NAMES.seed] = new ort.Tensor('int64', BigInt64Array.of(0n), []);
  for (const c of art.carried)
    feeds[c.input] = new ort.Tensor(c.init.dtype as 'float32', c.init.data as Float32Array, c.init.dims);
  return feeds;
}

export interface ZooBenchRow {
  workload: string;
  threads: number;
  batch: number;
  paramCount: number;
  forwardFlops: number;
  forwardMs: number;
  stepMs: number;
  forwardCpuMs: number;
  stepCpuMs: number;
  samplesPerSec: number;
  ratio: number;
  cpuRatio: number;
}

export async function benchZoo(runs: number, textBatch = 32): Promise<ZooBenchRow[]> {
  const mm = new ModelManager();
  const workloads: Workload[] = [
    {
      name: 'ResNet-20, 32x32x3',
      model: mm.load(
        { type: 'resnet', depth: 20 },
        { seed: 1, datasetInfo: { inputShape: [3, 32, 32], numClasses: 10 } },
      ).model,
      batch: 64,
    },
    {
      name: 'Transformer encoder (2x d64 h4), T=64',
      model: mm.load(
        { type: 'transformer_encoder', vocabSize: 10000, dModel: 64, heads: 4, layers: 2, ffDim: 128 },
        { seed: 1, datasetInfo: { inputShape: [64], numClasses: 10 } },
      ).model,
      batch: textBatch,
      vocab: 10000,
    },
  ];
  const rng = new Rng(3);
  const variants: Array<{
    w: Workload;
    threads: number;
    fwd: () => Promise<unknown>;
    step: () => Promise<unknown>;
    art: TrainingArtifacts;
  }> = [];
  for (const w of workloads) {
    const art = buildTrainingArtifacts(w.model, {
      loss: { type: 'softmax_cross_entropy' },
      optimizer: { type: 'adam', lr: 1e-3 },
    });
    const x = input(w.model, w.batch, rng, w.vocab);
    for (const threads of [1, 2]) {
      const opts: ort.InferenceSession.SessionOptions = {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
      };
      const fs = await ort.InferenceSession.create(encodeModel(w.model), opts);
      const ts = await ort.InferenceSession.create(encodeModel(art.trainStep), opts);
      const feeds = trainFeeds(art, x, w.batch, rng);
      variants.push({
        w,
        threads,
        art,
        fwd: () => fs.run({ [w.model.graph.inputs[0].name]: x }),
        step: () => ts.run(feeds),
      });
    }
  }
  const wall = new Map<string, number[]>();
  const cpu = new Map<string, number[]>();
  const time = async (key: string, fn: () => Promise<unknown>) => {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await fn();
    const c = process.cpuUsage(c0);
    (wall.get(key) ?? wall.set(key, []).get(key)!).push(Number(process.hrtime.bigint() - t0) / 1e6);
    (cpu.get(key) ?? cpu.set(key, []).get(key)!).push((c.user + c.system) / 1e3);
  };
  for (const v of variants) {
    await v.fwd();
    await v.step();
  }
  for (let i = 0; i < runs; i++) {
    for (const v of variants) {
      await time(`${v.w.name}|${v.threads}|fwd`, v.fwd);
      await time(`${v.w.name}|${v.threads}|step`, v.step);
    }
  }
  return variants.map((v) => {
    const k = `${v.w.name}|${v.threads}`;
    const s = summarizeModel(v.w.model);
    const [fw, sw, fc, sc] = [
      median(wall.get(`${k}|fwd`)!),
      median(wall.get(`${k}|step`)!),
      median(cpu.get(`${k}|fwd`)!),
      median(cpu.get(`${k}|step`)!),
    ];
    return {
      workload: v.w.name,
      threads: v.threads,
      batch: v.w.batch,
      paramCount: s.parameters,
      forwardFlops: s.flops,
      forwardMs: fw,
      stepMs: sw,
      forwardCpuMs: fc,
      stepCpuMs: sc,
      samplesPerSec: (1000 * v.w.batch) / sw,
      ratio: sw / fw,
      cpuRatio: sc / fc,
    };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const before = loadavg();
  console.log(
    `${cpus()[0]?.model.trim()} (${cpus().length} cores), ONNX Runtime ${ort.env.versions.node}; load average ${before.map((x) => x.toFixed(2)).join(' ')}`,
  );
  const rows = await benchZoo(arg('runs', 7), arg('batch-text', 32));
  console.log(
    '| workload | threads | batch | params | fwd FLOPs/sample | forward ms | step ms | train samples/s | step/forward (wall) | forward CPU ms | step CPU ms | step/forward (CPU) |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(
      `| ${r.workload} | ${r.threads} | ${r.batch} | ${r.paramCount.toLocaleString('en-US')} | ${(r.forwardFlops / 1e6).toFixed(1)}M | ${r.forwardMs.toFixed(1)} | ${r.stepMs.toFixed(1)} | ${r.samplesPerSec.toFixed(1)} | ${r.ratio.toFixed(2)}x | ${r.forwardCpuMs.toFixed(1)} | ${r.stepCpuMs.toFixed(1)} | ${r.cpuRatio.toFixed(2)}x |`,
    );
  }
  console.log(
    `load average after: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
}
