/**
 * `gymnosd models list|show` (the command module, run through yargs as gymnosd does) and the
 * presets in models/: every preset builds, with parameter counts matching the literature.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { listPresets } from '../../src/models/presets.js';
import { ZOO } from '../../src/models/registry.js';
import { summarizeModel } from '../../src/models/summary.js';
import { captureCli } from '../cli/capture.js';

const dir = mkdtempSync(join(tmpdir(), 'gymnos-models-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[]) => captureCli(args);

test('models list names every architecture with its options, and the presets', async () => {
  const r = await cli(['models', 'list']);
  assert.equal(r.code, 0);
  for (const name of [
    'mlp',
    'lenet5',
    'resnet',
    'mobilenet_v2',
    'vgg',
    'text_classifier',
    'transformer_encoder',
    'resnet20',
    'resnet56',
  ])
    assert.match(r.out, new RegExp(`\\n  ${name} `));
  assert.match(r.out, /options: depth, width, classes\?, inputShape\?, seed\?/);
});

test('models show prints layers, parameters and FLOPs; --set overrides; --out writes a model ONNX Runtime runs', async () => {
  const out = join(dir, 'te.onnx');
  const r = await cli([
    'models',
    'show',
    'transformer_encoder',
    '--set',
    'vocabSize=100',
    '--set',
    'layers=1',
    '--input-shape',
    '16',
    '--classes',
    '3',
    '--out',
    out,
  ]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /layers0\.attn\.q\s+MatMul\s+\[1, 16, 64\]\s+4,096\s/);
  assert.match(r.out, /forward FLOPs per sample: [\d,]+ \([\d.]+ MFLOPs\)/);
  const s = await ort.InferenceSession.create(out);
  const y = await s.run({ input: new ort.Tensor('int64', new BigInt64Array(32).fill(5n), [2, 16]) });
  assert.deepEqual(y.logits.dims, [2, 3]);
  const bad = await cli(['models', 'show', 'resnet', '--set', 'depth=21']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /expected a depth of the form 6n\+2 .* for --set\.depth but got 21/);
  const malformed = await cli(['models', 'show', 'resnet', '--set', 'depth']); // the shared --set parser (config/overrides)
  assert.equal(malformed.code, 2);
  assert.match(malformed.err, /expected key\.path=value for --set but got 'depth'/);
  const unknown = await cli(['models', 'show', 'resnet18']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /expected an architecture \(mlp, .*\) or a preset \(.*resnet20.*\) but got 'resnet18'/);
});

test('every preset builds; ResNet-20/32/56 and MobileNetV2 have their published parameter counts', () => {
  const counts: Record<string, number> = {};
  for (const p of listPresets()) {
    const def = ZOO.get(p.spec.type)!;
    const shape = p.name.endsWith('imagenet') ? [3, 224, 224] : def.example.inputShape;
    const m = ZOO.create(ZOO.resolve(p.spec, `models/${p.name}.json`), {
      seed: 1,
      datasetInfo: { inputShape: shape, numClasses: p.name.endsWith('imagenet') ? 1000 : def.example.numClasses },
    });
    counts[p.name] = summarizeModel(m).parameters;
  }
  // He et al. 2016 table 6: 0.27M, 0.46M, 0.85M with option-A (zero-padding) shortcuts; the zoo's
  // option-B 1x1 projections add 0.01M to the deeper two. torchvision mobilenet_v2: 3,504,872
  assert.equal(Math.round(counts.resnet20 / 1e4), 27);
  assert.equal(Math.round(counts.resnet32 / 1e4), 47);
  assert.equal(Math.round(counts.resnet56 / 1e4), 86);
  assert.equal(counts.mobilenet_v2_imagenet, 3504872);
});
