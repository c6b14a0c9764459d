/**
 * One TensorFlow.js backend in its own process (the wasm thread count is fixed at backend
 * init). Prints one `RESULT <json>` line per workload; a failed workload prints its error.
 *
 * node --import tsx bench/peers/tfjs-child.ts --backend wasm --threads 1 --workloads mlp,lenet [--warmup 1 --epochs 3]
 */
import { initTfjs, runTfjsWorkload } from './tfjs.js';
import type { WorkloadName } from './workloads.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};

const backend = arg('backend', 'cpu') as 'cpu' | 'wasm';
const requested = Number(arg('threads', '1'));
const setup = await initTfjs(backend, requested);
if (setup.threads < requested) {
  for (const name of arg('workloads', 'mlp,lenet').split(',')) {
    console.log(
      `RESULT ${JSON.stringify({ tool: `tfjs-${backend}-${requested}t`, workload: name, error: `not measured: ${requested} threads requested, the backend runs ${setup.threads} (${setup.notes[0]}); the same as the 1-thread row` })}`,
    );
  }
  process.exit(0);
}
for (const name of arg('workloads', 'mlp,lenet').split(',') as WorkloadName[]) {
  try {
    const steps = arg('steps', '');
    const r = await runTfjsWorkload(setup, name, {
      warmup: Number(arg('warmup', '1')),
      epochs: Number(arg('epochs', '3')),
      steps: steps ? Number(steps) : undefined,
    });
    console.log(`RESULT ${JSON.stringify(r)}`);
  } catch (e) {
    console.log(`RESULT ${JSON.stringify({ tool: `tfjs-${backend}`, workload: name, error: (e as Error).message })}`);
  }
}
process.exit(0);
