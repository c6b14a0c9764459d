/** The interface between shape inference and its per-op rules. */
import { printable } from '../../util/printable.js';
import { GymnosError } from '../../util/errors.js';

/**
 * A model that shape inference finds inconsistent (a kernel larger than its input, mismatched
 * dims, an unknown rank): the message names the node; the model's author fixes it (a user error).
 */
export class ShapeInferenceError extends GymnosError {
  readonly code = 'ERR_ONNX_FORMAT';
  constructor(message: string, options?: { cause?: unknown }) {
    super(printable(message), options);
    this.name = 'ShapeInferenceError';
  }
}
import type { Dim, Node, ValueInfo } from '../ir.js';
import type { DType, Tensor } from '../tensor.js';

/** What a rule says about one output: element type, shape, and (for small int tensors) values. */
export interface OutputInfo {
  dtype: DType;
  shape?: Dim[];
  /** Known element values of a 0-D/1-D integer tensor (data propagation for shape arithmetic). */
  value?: Dim[];
}

/** Read access to a node's inputs for a shape rule. */
export interface ShapeCtx {
  node: Node;
  /** "node 'name' (OpType)" for error messages. */
  where: string;
  opset: number;
  /** Number of inputs present (trailing '' count as absent). */
  count: number;
  has(i: number): boolean;
  info(i: number): ValueInfo;
  /** Shape of input i; throws when its rank is unknown. */
  shape(i: number): Dim[];
  dtype(i: number): DType;
  /** Known values of input i (constant or data-propagated), else undefined. */
  value(i: number): Dim[] | undefined;
  /** The constant tensor behind input i (initializer), else undefined. */
  constant(i: number): Tensor | undefined;
  /** Known values of input i as numbers, or throw saying why they are needed. */
  staticInts(i: number, why: string): number[];
}

/** A shape rule: given the inputs, describe every output. */
export type ShapeRule = (ctx: ShapeCtx) => OutputInfo[];
