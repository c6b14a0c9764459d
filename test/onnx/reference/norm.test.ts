import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A } from '../../../src/onnx/ir.js';
import { tensor } from '../../../src/onnx/tensor.js';
import { bool, checkOp, f32, rand, randT, refOp, toNums } from './helpers.js';

test('BatchNormalization inference form matches ORT (4-D, 2-D, 3-D inputs)', async () => {
  for (const dims of [
    [2, 3, 4, 5],
    [4, 3],
    [2, 3, 7],
  ]) {
    const C = dims[1];
    const inputs = [randT(dims, 1, -2, 2), randT([C], 2), randT([C], 3), randT([C], 4), randT([C], 5, 0.5, 2)];
    await checkOp({ op: 'BatchNormalization', inputs });
    await checkOp({ op: 'BatchNormalization', attrs: { epsilon: A.float(0.1) }, inputs });
  }
});

test('BatchNormalization training_mode=1: batch statistics and running-stat outputs', async () => {
  const x = randT([3, 2, 2, 2], 1, -2, 2);
  const scale = f32([2], [1.5, 0.5]),
    bias = f32([2], [0.1, -0.2]),
    mean = f32([2], [0.3, -0.1]),
    vari = f32([2], [1.2, 0.8]);
  const c = {
    op: 'BatchNormalization',
    attrs: { training_mode: A.int(1), momentum: A.float(0.8), epsilon: A.float(1e-3) },
    inputs: [x, scale, bias, mean, vari],
    outputs: ['float32', 'float32', 'float32'] as const,
  };
  // ORT 1.30's CPU kernel runs training mode too; its running_var uses the population variance.
  const r = await checkOp({ ...c, outputs: [...c.outputs] });
  // By hand: per-channel population statistics over N, H, W.
  const X = toNums({ dtype: 'float32', dims: x.dims, data: Float64Array.from(x.data as Float32Array) });
  for (let ch = 0; ch < 2; ch++) {
    const v: number[] = [];
    for (let n = 0; n < 3; n++) for (let s = 0; s < 4; s++) v.push(X[(n * 2 + ch) * 4 + s]);
    const mu = v.reduce((a, b) => a + b, 0) / v.length;
    const va = v.reduce((a, b) => a + (b - mu) ** 2, 0) / v.length;
    assert.ok(Math.abs(Number(r.out1.data[ch]) - (0.8 * Number(mean.data[ch]) + 0.2 * mu)) < 1e-12);
    assert.ok(Math.abs(Number(r.out2.data[ch]) - (0.8 * Number(vari.data[ch]) + 0.2 * va)) < 1e-12);
    const y0 = ((v[0] - mu) / Math.sqrt(va + 1e-3)) * Number(scale.data[ch]) + Number(bias.data[ch]);
    assert.ok(Math.abs(Number(r.out0.data[ch * 4]) - y0) < 1e-12);
  }
});

test('LayerNormalization: axes, epsilon, optional bias, Mean and InvStdDev outputs', async () => {
  const x = randT([2, 3, 4], 6, -2, 2);
  for (const axis of [-1, 1, 2, 0, -2]) {
    const r = axis < 0 ? 3 + axis : axis;
    const nd = [2, 3, 4].slice(r);
    await checkOp({
      op: 'LayerNormalization',
      attrs: { axis: A.int(axis) },
      inputs: [x, randT(nd, 7), randT(nd, 8)],
      outputs: ['float32', 'float32', 'float32'],
    });
    await checkOp({
      op: 'LayerNormalization',
      attrs: { axis: A.int(axis) },
      inputs: [
        tensor('float64', x.dims, Float64Array.from(x.data as Float32Array)),
        tensor(
          'float64',
          nd,
          rand(
            nd.reduce((p, q) => p * q, 1),
            7,
          ),
        ),
      ],
      outputs: ['float64', 'float32', 'float32'],
    });
  }
  await checkOp({ op: 'LayerNormalization', attrs: { epsilon: A.float(0.01) }, inputs: [x, randT([4], 7)] });
  await checkOp({ op: 'LayerNormalization', attrs: { axis: A.int(1) }, inputs: [x, randT([1, 4], 7), randT([4], 9)] });
});

test('InstanceNormalization and GroupNormalization', async () => {
  const x = randT([2, 4, 3, 3], 10, -2, 2);
  await checkOp({ op: 'InstanceNormalization', inputs: [x, randT([4], 11), randT([4], 12)] });
  await checkOp({
    op: 'InstanceNormalization',
    attrs: { epsilon: A.float(0.1) },
    inputs: [randT([2, 3, 5], 1), randT([3], 11), randT([3], 12)],
  });
  // GroupNormalization with num_groups = C is InstanceNormalization; with one group it is a
  // LayerNormalization over C, H, W (checked through ORT's own kernels).
  const s = randT([4], 13),
    b = randT([4], 14);
  const g = refOp({ op: 'GroupNormalization', attrs: { num_groups: A.int(4) }, inputs: [x, s, b], opset: 21 });
  const inorm = refOp({ op: 'InstanceNormalization', inputs: [x, s, b] });
  assert.deepEqual(toNums(g.out0), toNums(inorm.out0));
  await checkOp({ op: 'GroupNormalization', attrs: { num_groups: A.int(2) }, inputs: [x, s, b], opset: 21 });
  // opset 18 form: scale and bias per group.
  await checkOp({
    op: 'GroupNormalization',
    attrs: { num_groups: A.int(2), epsilon: A.float(0.01) },
    inputs: [x, randT([2], 15), randT([2], 16)],
    opset: 18,
  });
});

test('Dropout: inference is the identity with a true mask; training with ratio > 0 throws', async () => {
  const x = randT([2, 3], 1);
  await checkOp({ op: 'Dropout', inputs: [x], outputs: ['float32', 'bool'] });
  await checkOp({ op: 'Dropout', inputs: [x, f32([], [0.3])], outputs: ['float32', 'bool'] });
  await checkOp({ op: 'Dropout', inputs: [x, f32([], [0]), bool([], [1])], outputs: ['float32', 'bool'] });
  assert.throws(
    () =>
      refOp({
        op: 'Dropout',
        attrs: { seed: A.int(3) },
        inputs: [x, f32([], [0.5]), bool([], [1])],
        outputs: ['float32', 'bool'],
      }),
    /Dropout.*random/,
  );
});
