/**
 * A Silero-VAD-style export made locally with torch.jit.script (test/fixtures/exports/vad-like):
 * an If on the sample rate whose branches each hold a Conv1d front end and an LSTM with their
 * weights inside the branch, LSTM state in and out, a Sigmoid probability. `gymnosd check --step`
 * finds every weight and trains a step; one SGD step (mse on the probability) matches PyTorch's,
 * the branch not taken keeps its weights.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { checkAgainstTorch, FIXTURES } from './torch-reference.js';
import { checkModelFile } from '../../src/models/inspect.js';
import { captureCli } from '../cli/capture.js';

const PATH = join(FIXTURES, 'vad-like', 'model.onnx');

test('check finds the LSTM and Conv weights inside the If branches and calls the model trainable', async () => {
  const report = checkModelFile(PATH);
  assert.deepEqual(report.unsupported, []);
  assert.equal(report.parameters.filter((p) => p.trainable).length, 14);
  assert.equal(report.trainable, true, JSON.stringify(report.problems));
  const r = await captureCli(['check', PATH, '--step', '--loss', 'mse']);
  assert.equal(r.code, 0, r.err + r.out);
  assert.match(r.out, /verdict: Gymnos can train this model/);
  // random inputs: sr is 0 or 1, so the else (8 kHz) branch runs and the 16 kHz weights get no gradient, said as such
  assert.match(
    r.out,
    /no gradient on this batch, read only inside a branch of If node '\/If' that these random inputs did not take .*: front16\.weight, front16\.bias, 11, 12, 13, 14\n {2}every other trainable parameter received a gradient/,
  );
  assert.match(r.out, /warning: output 'prob' is the result of Sigmoid node '\/Sigmoid'/);
});

test('one SGD step through the If (16 kHz branch: Conv1d + LSTM) matches PyTorch; the 8 kHz branch stays as it was', async () => {
  const r = await checkAgainstTorch('vad-like');
  assert.deepEqual(r.reference.untouched?.sort(), ['15', '16', '17', '18', 'front8.bias', 'front8.weight']);
  assert.ok(r.maxRelError.rel <= 1e-5);
});
