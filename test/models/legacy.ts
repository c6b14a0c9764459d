/** Builds tiny single-op models at a given opset, for converter tests against ONNX Runtime. */
import { emptyGraph, type Attr, type Model } from '../../src/onnx/ir.js';
import { tensor, type Tensor } from '../../src/onnx/tensor.js';

/** A model computing `y = op(x, ...extra)` at `opset`. */
export function singleOp(
  opset: number,
  op: string,
  xShape: number[],
  attrs: Record<string, Attr>,
  extra: Array<[string, Tensor]> = [],
  outputs = 1,
): Model {
  const g = emptyGraph('t');
  g.inputs.push({ name: 'x', dtype: 'float32', shape: xShape });
  for (const [name, t] of extra) g.initializers.set(name, t);
  const outs = Array.from({ length: outputs }, (_, i) => (i ? `y${i}` : 'y'));
  g.nodes.push({
    name: `${op}_0`,
    opType: op,
    domain: '',
    inputs: ['x', ...extra.map(([n]) => n)],
    outputs: outs,
    attrs,
  });
  g.outputs = outs.map((name) => ({ name, dtype: 'float32' as const }));
  return {
    irVersion: opset < 13 ? 6 : 8,
    opset: new Map([['', opset]]),
    producerName: 'test',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    graph: g,
  };
}

export const ints = (value: number[]): Attr => ({ type: 'ints', value });
export const int = (value: number): Attr => ({ type: 'int', value });
export const float = (value: number): Attr => ({ type: 'float', value });
export const str = (value: string): Attr => ({ type: 'string', value });
export { tensor };
