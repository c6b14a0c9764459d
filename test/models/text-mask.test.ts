/** text_classifier with `padId`: padding positions do not count in the mean. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { ZOO } from '../../src/models/registry.js';
import { encodeModel } from '../../src/onnx/io.js';
import { modelGradCheck } from '../../src/autodiff/model-gradcheck.js';

function build(t: number, padId?: number) {
  const spec = ZOO.resolve(
    {
      type: 'text_classifier',
      vocabSize: 20,
      embedDim: 6,
      hidden: [5],
      classes: 3,
      inputShape: [t],
      ...(padId === undefined ? {} : { padId }),
    },
    'model',
  );
  return ZOO.create(spec, { seed: 4 });
}

async function logits(t: number, ids: number[][], padId?: number): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(encodeModel(build(t, padId)));
  const out = await s.run({
    input: new ort.Tensor('int64', BigInt64Array.from(ids.flat().map(BigInt)), [ids.length, t]),
  });
  await s.release();
  return out.logits.data as Float32Array;
}

test('padded sequences predict as their unpadded selves; an all-padding row is finite', async () => {
  const masked = await logits(
    6,
    [
      [3, 4, 5, 0, 0, 0],
      [7, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0],
    ],
    0,
  );
  const short = await logits(3, [[3, 4, 5]]);
  const one = await logits(1, [[7]]);
  for (let k = 0; k < 3; k++) {
    assert.ok(Math.abs(masked[k] - short[k]) < 1e-6, `row 0 class ${k}: ${masked[k]} vs ${short[k]}`);
    assert.ok(Math.abs(masked[3 + k] - one[k]) < 1e-6, `row 1 class ${k}`);
    assert.ok(Number.isFinite(masked[6 + k]));
  }
  const unmasked = await logits(6, [[3, 4, 5, 0, 0, 0]]);
  assert.ok(
    [0, 1, 2].some((k) => Math.abs(unmasked[k] - short[k]) > 1e-4),
    'without padId the padding does count',
  );
});

test('the masked mean passes the whole-model gradient check', () => {
  const r = modelGradCheck(build(4, 0), { batch: 3, seed: 2 });
  assert.ok(r.worstRelError < 1e-5, JSON.stringify(r.params));
});
