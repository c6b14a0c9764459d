/**
 * `npm run bench`: every benchmark in one process, side by side, medians and ratios, written to
 * bench/results.json with the machine it ran on. Each benchmark module also runs on its own.
 *
 *   npm run bench [-- --quick]     (--quick: fewer runs and a smaller streaming file)
 */
import { cpus, totalmem, loadavg } from 'node:os';
import { writeFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { benchTrainStep } from './train-step.js';
import { benchNativeLoader } from './native-loader.js';
import { benchDataWait } from './data-wait.js';
import { benchCompare } from './compare.js';
import { benchEventLoop } from './event-loop.js';
import { benchMemory } from './memory.js';

const quick = process.argv.includes('--quick');
const started = new Date().toISOString();
const machine = {
  cpu: cpus()[0]?.model.trim(),
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.versions.node,
  onnxruntime: ort.env.versions.node,
  loadAverageAtStart: loadavg(),
};
console.log(
  `Gymnos benchmarks on ${machine.cpu} (${machine.cores} cores), Node ${machine.node}, ONNX Runtime ${machine.onnxruntime}`,
);
console.log(
  `load average at start: ${machine.loadAverageAtStart.map((x) => x.toFixed(2)).join(' ')} (a loaded machine inflates every number)\n`,
);

const train = await benchTrainStep(quick ? 10 : 30);
console.log('Training step vs forward (ONNX Runtime CPU, 1 thread, medians):');
console.log('| workload | optimizer | forward ms | step ms | step/forward (wall) | step/forward (CPU) | target |');
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
for (const r of train.ratios)
  console.log(
    `| ${r.workload} | ${r.optimizer} | ${r.forwardMs.toFixed(2)} | ${r.stepMs.toFixed(2)} | ${r.ratio.toFixed(2)}x | ${r.cpuRatio.toFixed(2)}x | ${r.workload.startsWith('MLP') ? '3x' : '4x'} |`,
  );
console.log('\nK-step ONNX Loop against single-step runs (per step):');
console.log('| workload | params | single ms | Loop ms | speedup (wall) | speedup (CPU) |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const r of train.loops)
  console.log(
    `| ${r.workload} (K=${r.K}) | ${r.params.toLocaleString('en-US')} | ${r.singleStepMs.toFixed(2)} | ${r.loopPerStepMs.toFixed(2)} | ${r.speedup.toFixed(2)}x | ${r.cpuSpeedup.toFixed(2)}x |`,
  );
console.log('');

const loader = await benchNativeLoader({
  images: quick ? 2000 : 10000,
  epochs: quick ? 3 : 5,
  bigMiB: quick ? 256 : 2048,
  print: true,
});

const wait = await benchDataWait(quick ? 3200 : 6400, 1);
console.log('\nTime the train step waits for the native loader (1 loader thread, worker-thread sessions):');
console.log('| workload | epoch ms | awaiting next() ms | share | target |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const r of wait)
  console.log(
    `| ${r.workload}, batch ${r.batch} | ${r.epochMs.toFixed(0)} | ${r.waitMs.toFixed(1)} | ${(100 * r.waitShare).toFixed(2)}% | < 5% |`,
  );

const lag = await benchEventLoop(quick ? 4 : 8);
console.log(
  '\nHost event-loop lag while train() runs the quickstart in-process, and orchestration overhead (epochs after the first):',
);
console.log(
  `| lag p50 | p99 (target < 20 ms) | max | epoch s | session.run s | overhead (target <= 10%) |\n| ---: | ---: | ---: | ---: | ---: | ---: |\n| ${lag.lagMs.p50} ms | ${lag.lagMs.p99} ms | ${lag.lagMs.max} ms | ${lag.overhead.epochSeconds.toFixed(3)} | ${lag.overhead.sessionSeconds.toFixed(3)} | ${(100 * lag.overhead.share).toFixed(1)}% |`,
);

console.log(
  "\nGymnos against TensorFlow.js, raw ONNX Runtime and the machine's peak (one child process per tool, medians, loss checked to fall):",
);
const compare = await benchCompare({ quick });

console.log(
  '\nPeak memory of a training step (one child process per measurement; PyTorch 1.13 beside; the floor from the graph):',
);
const memory = await benchMemory({ quick });

const results = {
  started,
  finished: new Date().toISOString(),
  machine,
  trainStep: train,
  nativeLoader: loader,
  dataWait: wait,
  eventLoop: lag,
  compare,
  memory,
};
writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
console.log('\nwrote bench/results.json');
