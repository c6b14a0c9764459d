/**
 * Median CPU ms of one workload's training step as a CPU session runs it (the same model bytes and
 * session options as OrtBackend: Convs lowered onto NCHWc, src/sessions/nchwc.ts), after two warm-up steps; prints one
 * JSON line. To compare two
 * commits on a shared machine, run it from both checkouts in alternation and take the median of
 * each side's medians (process CPU time is steadier under load than wall time).
 *
 *   node --import tsx bench/step-cpu.ts [--workload resnet20|mobilenetv2|lenet|mlp] [--runs 5]
 */
import ort from 'onnxruntime-node';
import { encodeModel } from '../src/onnx/io.js';
import { IO_NAMES } from '../src/autodiff/io-names.js';
import { prepareOrtSession } from '../src/sessions/ort-backend.js';
import { cpuSessionConfig, workloadArtifacts } from './peers/gymnos.js';
import { LEARNING_RATE, WORKLOADS, makeBatches, type WorkloadName } from './peers/workloads.js';
import { medianOf } from './peers/results.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const workload = arg('workload', 'resnet20') as WorkloadName;
const w = WORKLOADS[workload];
const art = await workloadArtifacts(workload);
// the model and options of Gymnos's own CPU sessions
const prepared = await prepareOrtSession(ort, encodeModel(art.trainStep), cpuSessionConfig(1));
const s = await ort.InferenceSession.create(prepared.model, prepared.options);
const b = makeBatches(w, 1);
const feeds: Record<string, ort.Tensor> = {
  [art.dataInputs[0].name]: new ort.Tensor('float32', b.x[0], [w.batch, ...w.sample]),
  [IO_NAMES.label]: new ort.Tensor('int32', b.y[0], [w.batch]),
  [IO_NAMES.lr]: new ort.Tensor('float32', Float32Array.of(LEARNING_RATE), []),
  [IO_NAMES.step]: new ort.Tensor('int64', BigInt64Array.of(1n), []),
  [IO_NAMES.seed]: new ort.Tensor('int64', BigInt64Array.of(0n), []),
};
for (const c of art.carried)
  feeds[c.input] = new ort.Tensor(c.init.dtype as 'float32', c.init.data as Float32Array, c.init.dims);
for (const k of Object.keys(feeds)) if (!s.inputNames.includes(k)) delete feeds[k];
for (let i = 0; i < 2; i++) await s.run(feeds);
const cpu: number[] = [];
for (let i = 0; i < Number(arg('runs', '5')); i++) {
  const c0 = process.cpuUsage();
  await s.run(feeds);
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1e3);
}
await s.release();
console.log(JSON.stringify({ workload, cpuMsMedian: medianOf(cpu), cpuMsMin: Math.min(...cpu) }));
