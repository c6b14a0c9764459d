/**
 * A whole ResNet-style training step (stem Conv with fewer channels than a block, BatchNormalization
 * in training form, ReLU, residual Adds, a strided block with a 1x1 projection, softmax cross-entropy,
 * Adam) as a CPU session runs it, lowered onto NCHWc by src/sessions/nchwc.ts, against the same
 * step left standard ONNX (ORT's generic Conv kernels: an independent path). Batches that are a
 * block multiple, a multiple of 4 only, and ragged (the padding branches of the weight-gradient
 * Convs) must all give the same loss, raw gradients, updated parameters and optimizer state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { emptyGraph, type Model } from '../../src/onnx/ir.js';
import { decodeModel, encodeModel } from '../../src/onnx/io.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { tensor } from '../../src/onnx/tensor.js';
import { buildTrainingArtifacts, type TrainingArtifacts } from '../../src/autodiff/artifacts.js';
import { IO_NAMES } from '../../src/autodiff/io-names.js';
import { NCHWC_DOMAIN } from '../../src/autodiff/rules/conv-nchwc.js';
import { lowerForCpu, nchwcBlockSize } from '../../src/sessions/nchwc.js';
import { Rng } from '../../src/util/rng.js';

const x86 = process.arch === 'x64';
const CLASSES = 10;

/** Two residual stages at `width` and 2 * `width` channels (both multiples of the block). */
function resnetStyle(width: number, rng: Rng): Model {
  const g = emptyGraph('resnet_style');
  const b = new GraphBuilder(g, 'm');
  g.inputs.push({ name: 'image', dtype: 'float32', shape: ['N', 3, 8, 8] });
  const param = (dims: number[], scale: number, fill?: number) =>
    b.initializer(
      tensor(
        'float32',
        dims,
        Float32Array.from({ length: dims.reduce((a, d) => a * d, 1) }, () => fill ?? rng.uniform(-scale, scale)),
      ),
      'p',
    );
  // no Conv biases: BatchNormalization follows every Conv, so their true gradient is 0 and Adam's
  // g / (|g| + eps) would turn rounding noise into updates of either sign
  const conv = (x: string, cin: number, cout: number, k: number, stride = 1) =>
    b.op('Conv', [x, param([cout, cin, k, k], Math.sqrt(6 / (cin * k * k)))], {
      kernel_shape: [k, k],
      strides: [stride, stride],
      pads: Array(4).fill((k - 1) / 2),
    });
  const bn = (x: string, c: number) =>
    b.op('BatchNormalization', [x, param([c], 0.5), param([c], 0.2), param([c], 0, 0), param([c], 0, 1)], {
      epsilon: 1e-5,
      momentum: 0.9,
    });
  const block = (x: string, cin: number, cout: number, stride: number) => {
    const y = bn(conv(b.op('Relu', [bn(conv(x, cin, cout, 3, stride), cout)]), cout, cout, 3), cout);
    const short = stride === 1 && cin === cout ? x : bn(conv(x, cin, cout, 1, stride), cout);
    return b.op('Relu', [b.op('Add', [y, short])]);
  };
  let x = b.op('Relu', [bn(conv('image', 3, width, 3), width)]);
  x = block(x, width, width, 1);
  x = block(x, width, 2 * width, 2);
  const pooled = b.op('Flatten', [b.op('GlobalAveragePool', [x])], { axis: 1 });
  const logits = b.op('Gemm', [pooled, param([CLASSES, 2 * width], 0.3), param([CLASSES], 0.1)], { transB: 1 });
  g.outputs.push({ name: logits, dtype: 'float32', shape: ['N', CLASSES] });
  return {
    irVersion: 8,
    opset: new Map([['', 18]]),
    producerName: 'gymnos-test',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    graph: g,
  };
}

function feedsFor(art: TrainingArtifacts, batch: number, rng: Rng): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {
    image: new ort.Tensor(
      'float32',
      Float32Array.from({ length: batch * 3 * 64 }, () => rng.uniform(-1, 1)),
      [batch, 3, 8, 8],
    ),
    [IO_NAMES.label]: new ort.Tensor(
      'int32',
      Int32Array.from({ length: batch }, () => rng.int(CLASSES)),
      [batch],
    ),
    [IO_NAMES.lr]: new ort.Tensor('float32', Float32Array.of(1e-3), []),
    [IO_NAMES.step]: new ort.Tensor('int64', BigInt64Array.of(1n), []),
    [IO_NAMES.seed]: new ort.Tensor('int64', BigInt64Array.of(0n), []),
  };
  for (const c of art.carried)
    feeds[c.input] = new ort.Tensor(c.init.dtype as 'float32', c.init.data as Float32Array, c.init.dims);
  return feeds;
}

test(
  'a ResNet-style training step lowered onto NCHWc equals the standard ONNX step at full, multiple-of-4 and ragged batches',
  { skip: x86 ? false : 'MLAS has NCHWc kernels on x64 only' },
  async () => {
    const block = await nchwcBlockSize(ort);
    assert.ok(block === 8 || block === 16, `block size ${block}`);
    const rng = new Rng(11);
    const art = buildTrainingArtifacts(resnetStyle(block, rng), {
      loss: { type: 'softmax_cross_entropy', label_dtype: 'int32' },
      optimizer: { type: 'adam', lr: 1e-3 },
    });
    const standard = encodeModel(art.trainStep);
    const lowered = lowerForCpu(standard, block);
    const nodes = decodeModel(lowered).graph.nodes;
    const nchwcConvs = nodes.filter((n) => n.domain === NCHWC_DOMAIN && n.opType === 'Conv').length;
    // 7 forward Convs; each has a weight gradient, all but the stem an input gradient
    assert.ok(nchwcConvs >= 14, `only ${nchwcConvs} Convs were lowered`);
    assert.ok(
      nodes.some((n) => n.opType === 'If'),
      'the weight-gradient Convs pad the batch behind an If',
    );
    const opts = { intraOpNumThreads: 1, graphOptimizationLevel: 'all' } as const;
    const [ref, low] = [
      await ort.InferenceSession.create(standard, opts),
      await ort.InferenceSession.create(lowered, opts),
    ];
    try {
      // a block multiple (no padding), a multiple of 4 only (ReorderInput fills X), ragged (padded)
      for (const batch of [2 * block, block + 4, 6, 1]) {
        const feeds = feedsFor(art, batch, rng);
        for (const k of Object.keys(feeds)) if (!ref.inputNames.includes(k)) delete feeds[k];
        const fetches = [...ref.outputNames];
        const [want, got] = [await ref.run(feeds, fetches), await low.run(feeds, fetches)];
        let compared = 0;
        for (const name of fetches) {
          const w = want[name].data;
          const o = got[name].data;
          if (!(w instanceof Float32Array) || !(o instanceof Float32Array)) continue;
          assert.equal(o.length, w.length, `batch ${batch}: ${name} has ${o.length} values, want ${w.length}`);
          for (let e = 0; e < w.length; e++)
            assert.ok(
              Math.abs(o[e] - w[e]) <= 1e-5 + 2e-4 * Math.abs(w[e]),
              `batch ${batch}: ${name}[${e}] lowered ${o[e]} vs standard ${w[e]}`,
            );
          compared++;
        }
        // loss, parameters and both Adam moments of each of the 16 parameter tensors at least
        assert.ok(compared > 3 * 16, `batch ${batch}: only ${compared} float outputs compared`);
      }
    } finally {
      await ref.release();
      await low.release();
    }
  },
);
