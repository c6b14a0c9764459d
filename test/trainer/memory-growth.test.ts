/**
 * A long run does not grow: 300 epochs of a small MLP on iris in real ONNX Runtime (worker thread,
 * Adam, validation every epoch, a checkpoint every epoch), sampling the process's resident memory
 * at every epoch end, and the per-epoch peak the Trainer records.
 *
 * The bound: the carried state (parameters + Adam moments, 4x512 + 512x512 + 512x3 weights) is
 * 3.2 MB, so keeping one step's carried tensors per epoch would add ~800 MB over the 250 epochs
 * after warm-up, and one per step ~5 GB; keeping one batch (45 x 4 floats) per step would not be
 * seen. The run is allowed 16 MB of growth between the median of epochs 40-59 and of epochs
 * 280-299: V8 sizes its heap by its own heuristics and glibc keeps freed arenas, which moves RSS by
 * a few MB without a leak.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseExperiment } from '../../src/experiment/index.js';
import { Trainer } from '../../src/trainer/trainer.js';
import { currentRssBytes } from '../../src/util/rss.js';

const dir = mkdtempSync(join(tmpdir(), 'gymnos-memory-growth-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test('300 epochs: resident memory stays flat after warm-up, and each epoch records its peak', async () => {
  const config = parseExperiment({
    experiment: { name: 'memory-growth' },
    dataset: { type: 'iris', split: { validation: 0.2, test: 0.2 } },
    model: { type: 'mlp', hidden: [512, 512] },
    training: {
      epochs: 300,
      batchSize: 45,
      seed: 1,
      optimizer: { type: 'adam', lr: 1e-3 },
      checkpoint: { keepLast: 1, everySteps: 0 },
    },
    session: { device: 'cpu', intraOpThreads: 1 },
  });
  const rss: number[] = [];
  const peaks: number[] = [];
  const result = await new Trainer(config, {
    output: join(dir, 'run'),
    onEvent: (e) => {
      if (e.type !== 'epochEnd') return;
      rss.push(currentRssBytes());
      if (e.peakRssBytes !== undefined) peaks.push(e.peakRssBytes);
    },
  }).fit();
  assert.equal(result.status, 'completed');
  assert.equal(rss.length, 300);
  const early = median(rss.slice(40, 60));
  const late = median(rss.slice(280, 300));
  const mb = (b: number) => (b / 2 ** 20).toFixed(1);
  assert.ok(
    late - early < 16 * 2 ** 20,
    `RSS grew from ${mb(early)} MB (epochs 40-59) to ${mb(late)} MB (epochs 280-299)`,
  );
  // every epoch has a peak, about the resident size at its end (metrics and trackers are written
  // between the two readings, so the sample may be a few MB above the peak taken before them)
  assert.equal(peaks.length, 300);
  peaks.forEach((p, i) =>
    assert.ok(p >= rss[i] - 16 * 2 ** 20 && p < 2 ** 33, `epoch ${i}: peak ${mb(p)} MB vs RSS ${mb(rss[i])} MB`),
  );
  // per-epoch peaks (reset at each epoch start on Linux), not a running maximum that never falls
  // (observable only when the resident size fell well below an earlier epoch's peak: then a later
  // epoch's peak must be below it too; a run whose memory only grew cannot tell the two apart)
  const top = Math.max(...peaks);
  const at = peaks.indexOf(top);
  const fell = rss.slice(at + 1).some((r) => r < top - 8 * 2 ** 20);
  if (process.platform === 'linux' && fell)
    assert.ok(
      peaks.slice(at + 1).some((p) => p < top),
      `after epoch ${at + 1}'s peak of ${mb(top)} MB the resident size fell, but no later epoch's peak did: the peak was not reset`,
    );
  const rows = readFileSync(join(result.runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { kind: string; peak_rss_mb?: number });
  const epochRows = rows.filter((r) => r.kind === 'epoch');
  assert.equal(epochRows.length, 300);
  epochRows.forEach((r, i) => assert.equal(r.peak_rss_mb, Math.round((peaks[i] / 2 ** 20) * 10) / 10));
});
