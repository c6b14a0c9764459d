/**
 * progress_bar / gymnosd's display: TTY rendering on a fake terminal (isTTY, columns), the plain
 * path, and the speed/ETA arithmetic against hand-computed values with an injected clock and
 * ticker (no real timing).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bar, clock, epochEta, ProgressBar, rate, type Ticker } from '../../src/callbacks/progress-bar.js';
import { progressPrinter } from '../../src/cli/progress.js';
import type { TrainerEvent } from '../../src/trainer/events.js';
import { cfg, fit, scripted, tempDir } from './helpers.js';

const out = tempDir('gymnos-pb-');

function term(isTTY: boolean, columns?: number) {
  return {
    isTTY,
    columns,
    text: '',
    write(s: string) {
      this.text += s;
      return true;
    },
  };
}

/** A clock and a ticker the test drives: `advance(ms)` moves time and runs due ticks. */
function fakeTime() {
  let t = 0;
  const ticks: Array<{ ms: number; next: number; f: () => void; on: boolean }> = [];
  const ticker: Ticker = (ms, f) => {
    const k = { ms, next: t + ms, f, on: true };
    ticks.push(k);
    return () => {
      k.on = false;
    };
  };
  const advance = (ms: number) => {
    const end = t + ms;
    for (;;) {
      const due = ticks.filter((k) => k.on && k.next <= end).sort((a, b) => a.next - b.next)[0];
      if (!due) break;
      t = due.next;
      due.next += due.ms;
      due.f();
    }
    t = end;
  };
  return { now: () => t, ticker, advance, active: () => ticks.filter((k) => k.on).length };
}

const batchEnd = (batch: number, o: Partial<Extract<TrainerEvent, { type: 'batchEnd' }>> = {}): TrainerEvent => ({
  type: 'batchEnd',
  epoch: 2,
  batch,
  batches: 40,
  step: 40 + batch,
  samples: 32,
  loss: 0.5,
  lr: 0.1,
  ...o,
});
const epochEnd: TrainerEvent = {
  type: 'epochEnd',
  epoch: 2,
  epochs: 8,
  step: 80,
  lr: 0.1,
  train: { loss: 0.41234, accuracy: 0.9, top3_accuracy: 0.99, precision_macro: 0.9 },
  validation: { loss: 0.5, accuracy: 0.88, top3_accuracy: 1 },
  seconds: 4,
  sessionSeconds: 3,
  samples: 1280,
  peakRssBytes: 85 * 2 ** 20,
};

test('speed and ETA arithmetic', () => {
  // 10 of 40 batches in 2 s: 0.2 s per batch, 30 left -> 6 s; 320 samples in 2 s -> 160/s
  assert.equal(epochEta(2, 10, 30), 6);
  assert.equal(rate(320, 2), '160');
  assert.equal(rate(45, 2), '22.5');
  assert.equal(rate(1, 0), '-');
  assert.equal(epochEta(5, 0, 3), Infinity);
  assert.deepEqual([clock(5), clock(75), clock(3725), clock(Infinity)], ['0:05', '1:15', '1:02:05', '--:--']);
  assert.deepEqual([bar(0, 10), bar(0.25, 10), bar(1, 10)], ['[>         ]', '[==>       ]', '[==========]']);
});

test('on a TTY: one bar line redrawn in place with elapsed<ETA and samples/s, then the compact epoch line', () => {
  const tty = term(true, 200);
  const time = fakeTime();
  const pb = new ProgressBar({ refreshMs: 100, width: 10 }, 0, { out: tty, now: time.now, ticker: time.ticker });
  pb.onEvent({ type: 'fitStart', runDir: '/r', epochs: 8, stepsPerEpoch: 40, totalSteps: 320 });
  pb.onEvent({ type: 'epochStart', epoch: 2, step: 40, batches: 40, batch: 0 });
  for (let b = 1; b <= 10; b++) {
    time.advance(200);
    pb.onEvent(batchEnd(b));
  }
  // 10 batches of 32 in 2 s: 160 samples/s; 30 batches left at 0.2 s -> 0:06
  assert.ok(
    tty.text.endsWith('\r\x1b[2Kepoch 2/8 [==>       ] 10/40 0:02<0:06 160 samples/s loss 0.5000'),
    JSON.stringify(tty.text.slice(-90)),
  );
  assert.equal(tty.text.split('\r\x1b[2K').length - 1, 10); // every 200 ms >= refreshMs: each batch redrew
  tty.text = '';
  time.advance(50);
  pb.onEvent(batchEnd(11)); // 50 ms after the last draw: skipped
  assert.equal(tty.text, '');
  pb.onEvent(epochEnd);
  const text: string = tty.text;
  assert.equal(
    text,
    '\r\x1b[2Kepoch 2/8 loss 0.4123 accuracy 0.9000 val_loss 0.5000 val_accuracy 0.8800 4.0s 320 samples/s mem 85M\n',
  );
  const line = text.slice(5, -1);
  assert.ok(line.length <= 100, `${line.length} characters`);
});

test('on a TTY: the line is cut to the terminal width; a resumed epoch times only its own batches', () => {
  const tty = term(true, 40);
  const time = fakeTime();
  const pb = new ProgressBar({ refreshMs: 0, width: 10 }, 0, { out: tty, now: time.now, ticker: time.ticker });
  pb.onEvent({ type: 'fitStart', runDir: '/r', epochs: 8, stepsPerEpoch: 40, totalSteps: 320 });
  pb.onEvent({ type: 'epochStart', epoch: 2, step: 60, batches: 40, batch: 20 });
  time.advance(1000);
  pb.onEvent(batchEnd(25)); // 5 batches in 1 s, 15 left -> 3 s
  assert.equal(tty.text, `\r\x1b[2K${'epoch 2/8 [======>   ] 25/40 0:01<0:03 160 samples/s'.slice(0, 39)}`);
});

test('log lines written through the display clear the bar and redraw it', () => {
  const tty = term(true, 200);
  const time = fakeTime();
  const pb = new ProgressBar({ refreshMs: 0, width: 10 }, 0, { out: tty, now: time.now, ticker: time.ticker });
  pb.onEvent({ type: 'epochStart', epoch: 1, step: 0, batches: 40, batch: 0 });
  time.advance(1000);
  pb.onEvent(batchEnd(10, { epoch: 1 }));
  const drawn = tty.text;
  tty.text = '';
  pb.logStream().write('12:00:00 WARN  something\n');
  assert.equal(tty.text, `\r\x1b[2K12:00:00 WARN  something\n${drawn}`);
});

test('set-up phases: silent under a second; past it a spinner (TTY) or one plain line, then the time taken', () => {
  const tty = term(true, 200);
  const time = fakeTime();
  const pb = new ProgressBar({ refreshMs: 100, width: 10 }, 0, { out: tty, now: time.now, ticker: time.ticker });
  pb.onEvent({ type: 'setupPhase', phase: 'data', done: false, seconds: 0 });
  time.advance(900);
  pb.onEvent({ type: 'setupPhase', phase: 'data', done: true, seconds: 0.9 });
  assert.equal(tty.text, '');
  assert.equal(time.active(), 0);
  pb.onEvent({ type: 'setupPhase', phase: 'graphs', done: false, seconds: 0 });
  time.advance(1200); // ticks at 1.0, 1.1, 1.2 s draw
  assert.equal(
    tty.text,
    ['- ', '\\ ', '| '].map((f, i) => `\r\x1b[2K${f}building the training graphs 1.${i}s`).join(''),
  );
  tty.text = '';
  pb.onEvent({ type: 'setupPhase', phase: 'graphs', done: true, seconds: 1.25 });
  assert.equal(tty.text, '\r\x1b[2Kbuilding the training graphs: done in 1.3 s\n');
  assert.equal(time.active(), 0);

  const pipe = term(false);
  const t2 = fakeTime();
  const plain = new ProgressBar({ refreshMs: 100, width: 10 }, 0, { out: pipe, now: t2.now, ticker: t2.ticker });
  plain.onEvent({ type: 'setupPhase', phase: 'sessions', done: false, seconds: 0 });
  t2.advance(3000);
  plain.onEvent({ type: 'setupPhase', phase: 'sessions', done: true, seconds: 3 });
  assert.equal(pipe.text, 'creating the ONNX Runtime sessions...\ncreating the ONNX Runtime sessions: done in 3.0 s\n');

  // a run that fails inside a phase: the spinner goes, no "done" line
  const tty2 = term(true, 200);
  const t3 = fakeTime();
  const failing = new ProgressBar({ refreshMs: 100, width: 10 }, 0, { out: tty2, now: t3.now, ticker: t3.ticker });
  failing.onEvent({ type: 'setupPhase', phase: 'data', done: false, seconds: 0 });
  t3.advance(1000);
  failing.onEvent({ type: 'error', message: 'bad dataset' });
  assert.equal(tty2.text, '\r\x1b[2K- preparing the dataset (ingest or cache) 1.0s\r\x1b[2K');
  assert.equal(t3.active(), 0);
});

test('not a TTY: plain progress lines at most every 10 s inside an epoch, no control characters', () => {
  const pipe = term(false);
  const time = fakeTime();
  const pb = new ProgressBar({ refreshMs: 0, width: 10 }, 0, { out: pipe, now: time.now, ticker: time.ticker });
  pb.onEvent({ type: 'fitStart', runDir: '/r', epochs: 8, stepsPerEpoch: 40, totalSteps: 320 });
  pb.onEvent({ type: 'epochStart', epoch: 2, step: 40, batches: 40, batch: 0 });
  for (let b = 1; b <= 40; b++) {
    time.advance(1000);
    pb.onEvent(batchEnd(b));
  }
  // lines at 10 s (batch 10) and 20 s, 30 s; the last batch ends the epoch instead
  assert.equal(
    pipe.text,
    [
      'epoch 2/8 10/40 0:10<0:30 32.0 samples/s loss 0.5000',
      'epoch 2/8 20/40 0:20<0:20 32.0 samples/s loss 0.5000',
      'epoch 2/8 30/40 0:30<0:10 32.0 samples/s loss 0.5000',
    ]
      .map((l) => `${l}\n`)
      .join(''),
  );
  pipe.text = '';
  pb.onEvent(epochEnd);
  assert.equal(pipe.text, ''); // the log's epoch line is the record off a TTY
});

test('with the Trainer: a TTY gets the bar and a line per epoch; a pipe gets no control characters', async () => {
  const tty = term(true, 120);
  const pipe = term(false);
  const time = fakeTime();
  const bars = [
    new ProgressBar({ refreshMs: 0, width: 10 }, 0, {
      out: tty,
      now: () => {
        time.advance(100);
        return time.now();
      },
      ticker: time.ticker,
    }),
    new ProgressBar({ refreshMs: 0, width: 10 }, 1, { out: pipe }),
  ];
  await fit(cfg({ epochs: 2 }), { ...scripted({ valLoss: () => 0.5 }), output: out(), callbacks: bars });
  assert.doesNotMatch(pipe.text, /[\r\x1b]/);
  const lines = tty.text.split('\n');
  assert.match(
    lines[0],
    /\r\x1b\[2Kepoch 1\/2 \[==========\] 6\/6 \d+:\d\d<0:00 [\d.]+ samples\/s loss 1\.0000\r\x1b\[2Kepoch 1\/2 loss 1\.0000 accuracy [\d.]+ val_loss 0\.5000 val_accuracy [\d.]+ [\d.]+s \d+ samples\/s( mem \d+M)?$/,
  );
  assert.match(lines[1], /epoch 2\/2 loss/);
  assert.match(lines[2], /^test: loss/);
});

test("gymnosd's printer: no epoch lines of its own, log lines pass through", () => {
  const pipe = term(false);
  const p = progressPrinter(pipe);
  p.onEvent(epochEnd);
  p.consoleOut.write('a log line\n');
  assert.equal(pipe.text, 'a log line\n');
});
