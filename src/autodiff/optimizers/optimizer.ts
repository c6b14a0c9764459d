/**
 * The contract every optimizer implements, and the scalar arithmetic they share. An optimizer emits
 * an elementwise update graph for one parameter: parameter, gradient and state tensors in, updated
 * parameter and state out. The learning rate (`lr`, float32 scalar) and the 1-based number of the
 * update being applied (`step`, int64 scalar) are graph inputs, so schedules need no new graph.
 *
 * Scalar factors (bias corrections, decayed learning rates) are computed in float64 as PyTorch
 * computes them in Python floats, then cast once to the parameter type; they are shared between
 * parameters with the same settings, so a model with hundreds of tensors gets one copy of them.
 */
import type { GraphBuilder } from '../../onnx/builder.js';
import { DTYPE_CODE, tensor, sizeOf, type DType, type Tensor } from '../../onnx/tensor.js';
import { check, num, type Schema } from '../../config/schema.js';
import type { Component } from '../../config/component.js';
import { OptionError } from '../losses/loss.js';

/** Graph inputs every update reads. */
export interface UpdateContext {
  /** float32 scalar input: the learning rate of this step (before any per-parameter scale). */
  lr: string;
  /** int64 scalar input: 1 for the first update, 2 for the second, ... */
  step: string;
  /** Prefix for this parameter's state input names, unique per parameter (e.g. `opt/fc1.weight`). */
  prefix: string;
}

/** One parameter to update, with its parameter-group overrides. */
export interface ParamUpdate {
  param: string;
  grad: string;
  shape: number[];
  dtype: DType;
  /** Multiplies the learning rate for this parameter (default 1). */
  lrScale?: number;
  /** Replaces the optimizer's weight_decay for this parameter (e.g. 0 for biases and norms). */
  weightDecay?: number;
}

/** One state tensor: a graph input named `name` holding `init` at first, replaced by `next` after each step. */
export interface OptimizerState {
  /** Graph input name (`<prefix>/<key>`). */
  name: string;
  /** PyTorch's state key (exp_avg, exp_avg_sq, momentum_buffer, ...), for checkpoints. */
  key: string;
  /** Value before the first step. */
  init: Tensor;
  /** Value name holding the state after this step (becomes a graph output). */
  next: string;
}

export interface OptimizerBuild {
  newParam: string;
  state: OptimizerState[];
}

/** An optimizer made from resolved options: emits the update of each parameter. */
export interface ResolvedOptimizer<
  O extends { lr: number; weightDecay: number } = { lr: number; weightDecay: number },
> {
  readonly type: string;
  /** Options in the update's terms (`lr` the base learning rate, `weightDecay` the default decay). */
  readonly options: O;
  /** Emits the update of one parameter through `b`. */
  build(b: GraphBuilder, p: ParamUpdate, ctx: UpdateContext): OptimizerBuild;
}

/** One optimizer: a component whose `create` turns resolved options into its update builder. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OptimizerDef<O = any> = Component<O, ResolvedOptimizer>;

/**
 * The largest accepted learning rate. No optimizer here trains at a rate above it (SGD's usual
 * rates are 1e-3..1, Adam's 1e-5..1e-2; even LARS-style large-batch SGD stays below 10); a larger
 * one is almost always a typo (1e10 for 1e-10) and diverges to NaN within a step or two.
 */
export const MAX_LR = 10;

/** The `lr` option every optimizer takes (at most MAX_LR). */
export function lrOption(dflt: number): Schema<number> {
  return check(
    num({ min: 0, default: dflt, doc: `base learning rate (at most ${MAX_LR}; schedules and callbacks scale it)` }),
    (lr, path) =>
      lr <= MAX_LR
        ? undefined
        : `expected a learning rate <= ${MAX_LR} for ${path} but got ${lr}; such a rate diverges (typical rates: 1e-4 to 1e-1${lr >= 1000 ? `; did you mean ${lr.toExponential().replace('e+', 'e-')}?` : ''})`,
  );
}

/** The `weight_decay` option (L2 penalty, or decoupled decay for AdamW). */
export const weightDecayOption = (dflt: number, doc = 'L2 penalty added to the gradient (wd * param)') =>
  num({ min: 0, default: dflt, doc });

const memo = new WeakMap<GraphBuilder, Map<string, string>>();

/** Emits `make()` once per builder and key; later calls return the same value name. */
export function shared(b: GraphBuilder, key: string, make: () => string): string {
  let m = memo.get(b);
  if (!m) {
    m = new Map();
    memo.set(b, m);
  }
  let v = m.get(key);
  if (v === undefined) {
    v = make();
    m.set(key, v);
  }
  return v;
}

/**
 * Float64 scalar arithmetic over the step inputs, memoized per builder. Every method returns the
 * name of a float64 scalar; `cast` converts one to the parameter type.
 */
export class Scalars {
  constructor(
    readonly b: GraphBuilder,
    readonly ctx: UpdateContext,
  ) {}

  const(v: number): string {
    return this.b.constant('float64', v, []);
  }

  /** The step count as float64. */
  step(): string {
    return shared(this.b, `step64|${this.ctx.step}`, () =>
      this.b.op('Cast', [this.ctx.step], { to: DTYPE_CODE.float64 }, 'step_f64'),
    );
  }

  /** lr * lrScale as float64. */
  lr(lrScale = 1): string {
    const lr = shared(this.b, `lr64|${this.ctx.lr}`, () =>
      this.b.op('Cast', [this.ctx.lr], { to: DTYPE_CODE.float64 }, 'lr_f64'),
    );
    return lrScale === 1 ? lr : this.op('Mul', lr, this.const(lrScale));
  }

  /** 1 - beta^step (Adam's bias correction). */
  biasCorrection(beta: number): string {
    return this.op('Sub', this.const(1), this.op('Pow', this.const(beta), this.step()));
  }

  /** A binary op on two float64 scalars, shared between identical requests. */
  op(opType: 'Add' | 'Sub' | 'Mul' | 'Div' | 'Pow', x: string, y: string): string {
    return shared(this.b, `${opType}|${x}|${y}`, () => this.b.op(opType, [x, y], {}, `${opType.toLowerCase()}_f64`));
  }

  sqrt(x: string): string {
    return shared(this.b, `Sqrt|${x}`, () => this.b.op('Sqrt', [x], {}, 'sqrt_f64'));
  }

  /** The scalar converted to `dtype` (float64 scalars stay as they are). */
  cast(x: string, dtype: DType): string {
    if (dtype === 'float64') return x;
    return shared(this.b, `Cast|${x}|${dtype}`, () => this.b.op('Cast', [x], { to: DTYPE_CODE[dtype] }, 'scalar'));
  }
}

/** Elementwise helpers over one parameter's tensors. */
export class Elementwise {
  constructor(
    readonly b: GraphBuilder,
    readonly dtype: DType,
  ) {}
  c(v: number): string {
    return this.b.constant(this.dtype, v, []);
  }
  mul(x: string, y: string, hint?: string): string {
    return this.b.op('Mul', [x, y], {}, hint);
  }
  add(x: string, y: string, hint?: string): string {
    return this.b.op('Add', [x, y], {}, hint);
  }
  sub(x: string, y: string, hint?: string): string {
    return this.b.op('Sub', [x, y], {}, hint);
  }
  div(x: string, y: string, hint?: string): string {
    return this.b.op('Div', [x, y], {}, hint);
  }
  sqrt(x: string, hint?: string): string {
    return this.b.op('Sqrt', [x], {}, hint);
  }
  /** x * a + y * c for tensors x, y and constant factors a, c (c = 1 skips a multiply). */
  lerp(x: string, a: number, y: string, c: number, hint?: string): string {
    const yc = c === 1 ? y : this.mul(y, this.c(c));
    return this.add(this.mul(x, this.c(a)), yc, hint);
  }
  /** g + wd * p (L2 weight decay folded into the gradient), or g when wd = 0. */
  l2(g: string, p: string, wd: number): string {
    return wd === 0 ? g : this.add(g, this.mul(p, this.c(wd)), 'grad_wd');
  }
}

/** Checks the parameter type an optimizer supports. */
export function requireFloatParam(name: string, p: ParamUpdate): void {
  if (p.dtype !== 'float32' && p.dtype !== 'float64') {
    throw new OptionError(
      `optimizer '${name}' updates float32 or float64 parameters, but '${p.param}' is ${p.dtype}; keep master weights in float32`,
    );
  }
  if (p.lrScale !== undefined && !(Number.isFinite(p.lrScale) && p.lrScale >= 0)) {
    throw new OptionError(`expected a number >= 0 for the lr scale of parameter '${p.param}' but got ${p.lrScale}`);
  }
  if (p.weightDecay !== undefined && !(Number.isFinite(p.weightDecay) && p.weightDecay >= 0)) {
    throw new OptionError(
      `expected a number >= 0 for the weight decay of parameter '${p.param}' but got ${p.weightDecay}`,
    );
  }
}

/** A state tensor filled with `value`. */
export function stateTensor(p: ParamUpdate, value = 0): Tensor {
  const n = sizeOf(p.shape);
  const data = p.dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  if (value !== 0) data.fill(value);
  return tensor(p.dtype, [...p.shape], data);
}

/** Declares one state: its input name and its initial value; the caller fills `next`. */
export function stateInput(
  ctx: UpdateContext,
  p: ParamUpdate,
  key: string,
  value = 0,
): { name: string; key: string; init: Tensor } {
  return { name: `${ctx.prefix}/${key}`, key, init: stateTensor(p, value) };
}
