/**
 * K training steps in one `run()`: the single-step graph becomes the body of an ONNX Loop whose
 * loop-carried values are the step counter, the parameters and the optimizer state. Each
 * iteration takes its batch (and learning rate) by index from stacked [K, ...] inputs and emits
 * its loss (and prediction) as scan outputs. Same kernels, same order: bit-identical to K runs.
 */
import type { Graph, ValueInfo } from '../onnx/ir.js';
import { cloneGraph } from '../onnx/clone.js';
import { emptyGraph } from '../onnx/ir.js';
import { GraphBuilder } from '../onnx/builder.js';
import { IO_NAMES } from './io-names.js';

export interface LoopOptions {
  steps: number;
  /** Inputs fed per step (data inputs and the label); they get a leading [K] axis. */
  dataInputs: string[];
  opset: number;
}

const P = 'body/';

function renameAll(g: Graph): void {
  const r = (n: string) => (n ? P + n : n);
  for (const n of g.nodes) {
    n.inputs = n.inputs.map(r);
    n.outputs = n.outputs.map(r);
  }
  g.inputs = g.inputs.map((v) => ({ ...v, name: r(v.name) }));
  g.outputs = g.outputs.map((v) => ({ ...v, name: r(v.name) }));
  g.initializers = new Map([...g.initializers].map(([k, t]) => [r(k), t]));
  g.valueInfo = new Map();
}

/** Wraps a single-step training graph (outputs: loss, prediction, [grad norm], carried...) in a Loop. */
export function wrapInLoop(step: Graph, opts: LoopOptions): Graph {
  const K = opts.steps;
  const body = cloneGraph(step);
  const perStep = new Set([...opts.dataInputs, IO_NAMES.lr]);
  const scanOutputs = step.outputs.filter((o) => !o.name.endsWith('.next'));
  const carriedOut = step.outputs.filter((o) => o.name.endsWith('.next'));
  const carriedIn = carriedOut.map((o) => {
    const name = o.name.slice(0, -'.next'.length);
    const v = step.inputs.find((i) => i.name === name);
    if (!v) throw new Error(`internal: carried output '${o.name}' has no input '${name}'`);
    return v;
  });
  renameAll(body);
  const bb = new GraphBuilder(body, 'loop', []);
  // body interface: iteration, condition, step counter, carried values
  const iter = `${P}iter`;
  const condIn = `${P}cond_in`;
  const stepIn = `${P}step_in`;
  const outerOnly = step.inputs.filter(
    (v) => !perStep.has(v.name) && v.name !== IO_NAMES.step && !carriedIn.includes(v),
  );
  for (const v of step.inputs) {
    if (perStep.has(v.name)) bb.emit('Gather', [v.name, iter], [P + v.name], { axis: 0 });
    else if (v.name === IO_NAMES.step) bb.emit('Identity', [stepIn], [P + v.name]);
    else if (outerOnly.includes(v)) bb.emit('Identity', [v.name], [P + v.name]);
  }
  const condOut = `${P}cond_out`;
  const stepOut = `${P}step_out`;
  bb.emit('Identity', [condIn], [condOut]);
  bb.emit('Add', [stepIn, bb.int(1)], [stepOut]);
  body.nodes = [...bb.nodes, ...body.nodes];
  body.inputs = [
    { name: iter, dtype: 'int64', shape: [] },
    { name: condIn, dtype: 'bool', shape: [] },
    { name: stepIn, dtype: 'int64', shape: [] },
    ...carriedIn.map((v) => ({ ...v, name: P + v.name })),
  ];
  body.outputs = [
    { name: condOut, dtype: 'bool', shape: [] },
    { name: stepOut, dtype: 'int64', shape: [] },
    ...carriedOut.map((o) => ({ ...o, name: P + o.name })),
    ...scanOutputs.map((o) => ({ ...o, name: P + o.name })),
  ];
  body.name = 'train_step_body';

  const outer = emptyGraph('train_loop');
  const ob = new GraphBuilder(outer, 'outer');
  outer.inputs = step.inputs.map((v): ValueInfo =>
    perStep.has(v.name) ? { ...v, shape: v.shape ? [K, ...v.shape] : undefined } : { ...v },
  );
  const trip = ob.int(K);
  const outs = [`${IO_NAMES.step}.final`, ...carriedOut.map((o) => o.name), ...scanOutputs.map((o) => o.name)];
  ob.emit('Loop', [trip, '', IO_NAMES.step, ...carriedIn.map((v) => v.name)], outs, {
    body: { type: 'graph', value: body },
  });
  outer.outputs = [
    ...scanOutputs.map((o) => ({ ...o, shape: o.shape ? [K, ...o.shape] : undefined })),
    ...carriedOut.map((o) => ({ ...o })),
  ];
  return outer;
}
