/**
 * The memory floor counted from a training graph, checked against sizes worked out by hand for
 * an MLP 784-256-128-10 at batch 128 with Adam: parameters 235,146 floats, two Adam moments each,
 * and the activations a backward pass must read (the input for the first weight gradient, the two
 * hidden activations for the next ones; ReLU masks and the softmax may add their pre-activations
 * and [128, 10] values, nothing larger).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTrainingArtifacts } from '../../src/autodiff/artifacts.js';
import { trainingMemoryFloor, valueBytes } from '../../src/autodiff/liveness.js';
import { buildMlp } from '../../src/models/zoo/small.js';

test('MLP floor: parameters, Adam state and saved activations match the hand count', () => {
  const art = buildTrainingArtifacts(buildMlp({ inputs: 784, hidden: [256, 128], classes: 10 }), {
    loss: { type: 'softmax_cross_entropy' },
    optimizer: { type: 'adam', lr: 1e-3 },
  });
  const f = trainingMemoryFloor(art, 128);
  assert.equal(f.parts.parameters, 4 * 235146);
  assert.equal(f.parts.optimizerState, 2 * 4 * 235146);
  assert.equal(f.parts.runningStatistics, 0);
  assert.ok(f.saved.includes('input'), f.saved.join(', '));
  const must = 4 * 128 * (784 + 256 + 128);
  const most = must + 4 * 128 * (256 + 128) + 5 * 4 * 128 * 10 + 4096;
  assert.ok(
    f.parts.savedActivations >= must && f.parts.savedActivations <= most,
    `${f.parts.savedActivations} not in [${must}, ${most}]`,
  );
  assert.equal(f.total, f.parts.parameters + f.parts.optimizerState + f.parts.savedActivations);
  // sizes scale with the batch: the input alone is 4 x batch x 784 bytes
  assert.equal(valueBytes(art.trainStep.graph, 18, 3).get('input'), 4 * 3 * 784);
});
