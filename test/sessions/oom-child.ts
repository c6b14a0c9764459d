/** Child of oom.test.ts: asks ONNX Runtime for a 20 GB tensor (Expand of one float to 5e9: 20 GB). */
import { OrtBackend } from '../../src/sessions/ort-backend.js';
import { encodeModel } from '../../src/onnx/io.js';
import { emptyGraph } from '../../src/onnx/ir.js';
import { tensor } from '../../src/onnx/tensor.js';

const g = emptyGraph('oom');
g.inputs.push({ name: 'x', dtype: 'float32', shape: [1] });
g.initializers.set('shape', tensor('int64', [1], BigInt64Array.of(5000000000n)));
g.nodes.push({ name: 'expand', opType: 'Expand', domain: '', inputs: ['x', 'shape'], outputs: ['big'], attrs: {} });
g.nodes.push({ name: 'sum', opType: 'ReduceSum', domain: '', inputs: ['big'], outputs: ['y'], attrs: {} });
g.outputs.push({ name: 'y', dtype: 'float32', shape: [] });
const model = encodeModel({
  irVersion: 8,
  opset: new Map([['', 18]]),
  producerName: 't',
  producerVersion: '',
  domain: '',
  modelVersion: 0,
  docString: '',
  metadata: {},
  graph: g,
});
const s = await new OrtBackend().create(model, {
  provider: 'cpu',
  deviceId: 0,
  intraOpThreads: 1,
  interOpThreads: 1,
  graphOptimization: 'all',
  executionMode: 'sequential',
  enableProfiling: false,
  profileFilePrefix: 'p',
  memoryPattern: false,
  allowSpinning: false,
});
try {
  await s.run({ x: tensor('float32', [1], [1]) });
  console.log(`RESULT ${JSON.stringify({ code: 'none', message: 'the run succeeded' })}`);
} catch (e) {
  const err = e as { code?: string; message: string };
  console.log(`RESULT ${JSON.stringify({ code: err.code, message: err.message })}`);
}
