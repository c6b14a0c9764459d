/**
 * train()'s handle broadcasts: every iterator sees every event (from the run's first, whenever it
 * was created), a consumer that reads slowly or never holds a bounded number of batchEnd events,
 * and leaving an iterator early does not disturb the others.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { train, MAX_UNREAD_BATCH_EVENTS } from '../../src/experiment/train.js';
import type { TrainerEvent } from '../../src/trainer/events.js';
import { cfg, scripted, tempDir } from '../callbacks/helpers.js';

const out = tempDir('gymnos-api-events-');
const raw = (training: Record<string, unknown>) => JSON.parse(JSON.stringify(cfg(training)));

async function collect(it: AsyncIterable<TrainerEvent>, limit = Infinity): Promise<TrainerEvent[]> {
  const got: TrainerEvent[] = [];
  for await (const e of it) {
    got.push(e);
    if (got.length >= limit) break;
  }
  return got;
}

test('two iterators, a late one and an early leaver each see every event the listener saw', async () => {
  const all: TrainerEvent[] = [];
  const h = train(raw({ epochs: 3 }), { ...scripted({}), output: out(), onEvent: (e) => all.push(e) });
  const [a, b, early] = await Promise.all([collect(h), collect(h.events()), collect(h, 5)]);
  const late = await collect(h); // created after the run ended: replays it
  assert.equal((await h.result).status, 'completed');
  assert.equal(all.filter((e) => e.type === 'batchEnd').length, 18);
  assert.deepEqual(a, all);
  assert.deepEqual(b, all);
  assert.deepEqual(late, all);
  assert.deepEqual(early, all.slice(0, 5));
  assert.equal(a[a.length - 1].type, 'fitEnd');
});

test('a consumer that does not read holds at most the bound of batchEnd events and every other event', async () => {
  // 300 epochs of 6 steps: 1800 batchEnd events, over the bound of 1000
  assert.equal(MAX_UNREAD_BATCH_EVENTS, 1000);
  const all: TrainerEvent[] = [];
  const h = train(raw({ epochs: 300, checkpoint: { everySteps: 0, keepLast: 1 } }), {
    ...scripted({}),
    output: out(),
    onEvent: (e) => all.push(e),
  });
  const idle = h.events(); // subscribed at once, read only after the run
  await h.result;
  const got = await collect(idle);
  const batches = got.filter((e) => e.type === 'batchEnd') as Array<Extract<TrainerEvent, { type: 'batchEnd' }>>;
  assert.equal(batches.length, MAX_UNREAD_BATCH_EVENTS);
  assert.deepEqual(
    batches.map((e) => e.step),
    Array.from({ length: 1000 }, (_, i) => 801 + i),
  ); // the newest kept
  assert.deepEqual(
    got.filter((e) => e.type !== 'batchEnd'),
    all.filter((e) => e.type !== 'batchEnd'),
  );
});
