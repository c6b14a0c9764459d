/**
 * Per-op upgraders from ai.onnx opsets 9-12 to the opset-13 forms (attributes that became inputs,
 * renamed ops, dropped attributes). Each takes the node, the opset the model was exported with, and
 * a context that adds constant initializers; it edits the node in place. Sources: the ONNX
 * operator changelog (docs/Changelog.md) and onnx/version_converter/adapters (Python/C++ only).
 */
import type { Graph, Node } from '../ir.js';
import { attrFloat, attrInts, attrString } from '../ir.js';
import { tensor, type DType } from '../tensor.js';
import { GymnosError } from '../../util/errors.js';

export class ConvertError extends GymnosError {
  readonly code = 'ERR_OPSET';
  constructor(message: string) {
    super(message);
    this.name = 'ConvertError';
  }
}

/** Adds constants to the graph under names derived from the node. */
export class ConvertContext {
  private counter = 0;
  constructor(readonly graph: Graph) {}
  constant(node: Node, hint: string, dtype: DType, dims: number[], values: number[]): string {
    let name: string;
    do {
      name = `${node.name}/${hint}${this.counter++ ? `_${this.counter}` : ''}`;
    } while (this.graph.initializers.has(name));
    this.graph.initializers.set(name, tensor(dtype, dims, values));
    return name;
  }
  ints(node: Node, hint: string, values: number[]): string {
    return this.constant(node, hint, 'int64', [values.length], values);
  }
}

type Upgrader = (n: Node, from: number, cx: ConvertContext) => void;

/** Moves an ints attribute to input slot `slot` (padding skipped optional inputs with ''). */
function attrToInput(n: Node, attr: string, slot: number, cx: ConvertContext, dflt?: number[]): void {
  const a = n.attrs[attr];
  delete n.attrs[attr];
  const values = a ? attrInts({ ...n, attrs: { [attr]: a } }, attr) : dflt;
  if (values === undefined) return;
  while (n.inputs.length < slot) n.inputs.push('');
  n.inputs[slot] = cx.ints(n, attr, values);
}

const FLOAT_BOUND = 3.4028234663852886e38;

/** Upgraders by op type, each applying when the model's opset is below `before`. */
export const UPGRADERS: Record<string, { before: number; upgrade: Upgrader }> = {
  // Clip-11: min and max became optional inputs
  Clip: {
    before: 11,
    upgrade: (n, _f, cx) => {
      const lo = attrFloat(n, 'min', -FLOAT_BOUND);
      const hi = attrFloat(n, 'max', FLOAT_BOUND);
      const hasLo = 'min' in n.attrs;
      const hasHi = 'max' in n.attrs;
      delete n.attrs.min;
      delete n.attrs.max;
      n.inputs = [
        n.inputs[0],
        hasLo ? cx.constant(n, 'min', 'float32', [], [lo]) : '',
        hasHi ? cx.constant(n, 'max', 'float32', [], [hi]) : '',
      ];
      while (n.inputs[n.inputs.length - 1] === '') n.inputs.pop();
    },
  },
  // Slice-10: starts, ends, axes became inputs (steps added)
  Slice: {
    before: 10,
    upgrade: (n, _f, cx) => {
      const axes = n.attrs.axes ? attrInts(n, 'axes') : undefined;
      attrToInput(n, 'starts', 1, cx);
      attrToInput(n, 'ends', 2, cx);
      if (axes) attrToInput(n, 'axes', 3, cx);
    },
  },
  // Pad-11: pads and the constant value became inputs
  Pad: {
    before: 11,
    upgrade: (n, _f, cx) => {
      const value = attrFloat(n, 'value', 0);
      delete n.attrs.value;
      attrToInput(n, 'pads', 1, cx);
      if (value !== 0) n.inputs[2] = cx.constant(n, 'value', 'float32', [], [value]);
    },
  },
  // Dropout-12: ratio became an input (is_test went at 7)
  Dropout: {
    before: 12,
    upgrade: (n, _f, cx) => {
      const ratio = attrFloat(n, 'ratio', 0.5);
      delete n.attrs.ratio;
      delete n.attrs.is_test;
      n.inputs = [n.inputs[0], cx.constant(n, 'ratio', 'float32', [], [ratio])];
    },
  },
  // Squeeze/Unsqueeze/Split/ReduceSum-13: axes (split) became inputs
  Squeeze: { before: 13, upgrade: (n, _f, cx) => attrToInput(n, 'axes', 1, cx) },
  Unsqueeze: { before: 13, upgrade: (n, _f, cx) => attrToInput(n, 'axes', 1, cx) },
  Split: { before: 13, upgrade: (n, _f, cx) => attrToInput(n, 'split', 1, cx) },
  ReduceSum: { before: 13, upgrade: (n, _f, cx) => attrToInput(n, 'axes', 1, cx) },
  // BatchNormalization: spatial (until 9), is_test (until 7), consumed_inputs (until 6) dropped;
  // the training-only outputs are dropped when nothing reads them
  BatchNormalization: {
    before: 14,
    upgrade: (n) => {
      if ('spatial' in n.attrs && attrFloat(n, 'spatial') === 0) {
        throw new ConvertError(
          `node '${n.name}' (BatchNormalization) uses spatial=0 (per-activation statistics), which opset 9+ does not express; re-export the model`,
        );
      }
      delete n.attrs.spatial;
      delete n.attrs.is_test;
      delete n.attrs.consumed_inputs;
    },
  },
  // Upsample (deprecated at 10) -> Resize with Upsample's coordinate rules
  Upsample: {
    before: 99,
    upgrade: (n, _f, cx) => {
      const mode = attrString(n, 'mode', 'nearest');
      let scales = n.inputs[1];
      if (!scales) {
        const v = attrFloatsOf(n, 'scales');
        scales = cx.constant(n, 'scales', 'float32', [v.length], v);
      }
      n.opType = 'Resize';
      n.inputs = [n.inputs[0], '', scales];
      n.attrs = {
        mode: { type: 'string', value: mode === 'bilinear' ? 'linear' : mode },
        coordinate_transformation_mode: { type: 'string', value: 'asymmetric' },
      };
      if (mode === 'nearest') n.attrs.nearest_mode = { type: 'string', value: 'floor' };
    },
  },
  // Resize-10 had no roi input and Upsample's coordinates
  Resize: {
    before: 11,
    upgrade: (n) => {
      n.inputs = [n.inputs[0], '', n.inputs[1]];
      n.attrs.coordinate_transformation_mode = { type: 'string', value: 'asymmetric' };
      if (attrString(n, 'mode', 'nearest') === 'nearest') n.attrs.nearest_mode = { type: 'string', value: 'floor' };
    },
  },
  // Scatter (deprecated at 11) is ScatterElements
  Scatter: {
    before: 99,
    upgrade: (n) => {
      n.opType = 'ScatterElements';
    },
  },
  // Gemm/arithmetic broadcast attributes (until 7) are implied by numpy broadcasting now
  Gemm: {
    before: 11,
    upgrade: (n) => {
      delete n.attrs.broadcast;
    },
  },
};

function attrFloatsOf(n: Node, name: string): number[] {
  const a = n.attrs[name];
  if (a && (a.type === 'floats' || a.type === 'ints')) return a.value;
  throw new ConvertError(`node '${n.name}' (${n.opType}) needs attribute '${name}'`);
}
