/**
 * The contract between the autodiff engine and its gradient rules. A rule sees one forward node
 * and the gradients flowing into its outputs, emits standard ONNX ops through the builder, and
 * returns one gradient name per input (undefined where none flows).
 */
import type { Dim, Graph, Node } from '../onnx/ir.js';
import type { ShapeTable } from '../onnx/shapes/infer.js';
import type { GraphBuilder } from '../onnx/builder.js';
import type { DType } from '../onnx/tensor.js';
import { GymnosError } from '../util/errors.js';

export interface GradContext {
  readonly b: GraphBuilder;
  readonly node: Node;
  /** "node 'name' (OpType)" for error messages. */
  readonly where: string;
  readonly opset: number;
  /** Name of input i ('' when absent). */
  x(i: number): string;
  /** Name of output i. */
  y(i: number): string;
  /** Gradient flowing into output i, if any. */
  dy(i: number): string | undefined;
  /** Whether input i needs a gradient (it depends on a trainable parameter and is floating-point). */
  needs(i: number): boolean;
  /** Shape of a forward value; throws naming the node when the rank is unknown. */
  shape(name: string): Dim[];
  /** Shape with every dimension known; throws saying why static sizes are needed. */
  staticShape(name: string, why: string): number[];
  dtype(name: string): DType;
  /** Known values of a small constant integer tensor (axes, shapes), else undefined. */
  value(name: string): Dim[] | undefined;
  /** Known integer values of input i, or throw saying they must be constant. */
  constInts(i: number, why: string): number[];
  /** A scalar constant with the element type of `like`. */
  scalar(v: number, like: string): string;
  /** A constant tensor with the element type of `like`. */
  constantLike(values: number[], dims: number[], like: string): string;
  /**
   * Sums `grad` (shaped like the broadcast result `from`) down to the shape of `to`, undoing
   * numpy-style broadcasting. Static where shapes allow, dynamic (Shape ops) otherwise.
   */
  unbroadcast(grad: string, from: string, to: string): string;
  /** Records a shape for a new value so later rules can query it. */
  setShape(name: string, shape: Dim[], dtype: DType): void;
  /** Shapes and known values of the graph being differentiated (the scope of a subgraph). */
  readonly scope: ShapeTable;
  /** Whether a value the node reads without an input slot (from inside a subgraph) needs a gradient. */
  needsValue(name: string): boolean;
  /** Adds a gradient for such a value (the slot-less counterpart of a rule's return list). */
  addGrad(name: string, grad: string): void;
  /**
   * Appends to `g` (a subgraph) the gradient of its scalar `loss` with respect to `wrt` (values of
   * `g` or of its outer scope), with `table` its shapes; returns the gradient name per `wrt`.
   */
  differentiateSubgraph(g: Graph, table: ShapeTable, loss: string, wrt: string[], prefix: string): Map<string, string>;
  /**
   * Differentiates `sub`, a graph the rule wrote whose inputs are values of this graph, with
   * respect to `wrt`; appends its forward and backward nodes here and returns the gradient of its
   * scalar `loss` per `wrt` name. For rules that express an op through other ops (LSTM, GRU).
   */
  subgraphGrad(sub: Graph, loss: string, wrt: string[]): Map<string, string>;
}

/** A gradient rule: returns one entry per forward input. */
export type GradRule = (ctx: GradContext) => Array<string | undefined>;

/** A family of rules, one file each under `rules/`. */
export interface GradRuleFamily {
  /** Short name of the family (for `gymnosd check` and docs). */
  family: string;
  rules: Record<string, GradRule>;
}

/** Gradient rules and the model graph disagree: names the node, the op and what to do. */
export class AutodiffError extends GymnosError {
  readonly code = 'ERR_AUTODIFF';
  constructor(message: string) {
    super(message);
    this.name = 'AutodiffError';
  }
}
