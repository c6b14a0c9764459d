/**
 * Numerical gradient checking. The backward graph Gymnos generates is evaluated by the float64
 * reference interpreter (independent of ONNX Runtime) and compared with central finite differences
 * of the forward graph, also in float64. The loss is sum(output * R) for a fixed random R, so every
 * output element's gradient path is exercised.
 */
import type { Graph, ValueInfo } from '../onnx/ir.js';
import { cloneGraph } from '../onnx/clone.js';
import { GraphBuilder } from '../onnx/builder.js';
import { inferShapes } from '../onnx/shapes/infer.js';
import { tensor, isFloat, sizeOf, type Tensor } from '../onnx/tensor.js';
import { evaluateGraph, type RefTensor } from '../onnx/reference/interpreter.js';
import { differentiate } from './engine.js';
import { Rng } from '../util/rng.js';

export interface GradCheckOptions {
  /** Forward graph; parameters may be initializers or graph inputs. */
  graph: Graph;
  opset: number;
  /** Concrete values for every graph input that is not checked. */
  feeds: Record<string, Tensor>;
  /** Names of the values (initializers or inputs) to check gradients for. */
  params: string[];
  /** Output to build the loss from (default: the first graph output). */
  output?: string;
  seed?: number;
  /** Most elements checked per parameter (chosen at random). Default 16. */
  maxElements?: number;
  /** Finite-difference step. Default 1e-6. */
  eps?: number;
}

export interface ParamCheck {
  name: string;
  checked: number;
  maxAbsError: number;
  /** Worst relative error over the checked elements at differentiable points. */
  maxRelError: number;
  /** Element with the worst relative error (-1 when none was checked), with both values there. */
  worstElement: number;
  analyticAtWorst: number;
  numericAtWorst: number;
  /**
   * Checked elements at non-differentiable points (a ReLU kink, a max tie): the one-sided
   * differences disagree, so a central difference proves nothing there. Not counted as failures.
   */
  kinks: number[];
  /** Every analytic gradient element of this parameter is exactly zero. */
  zeroGradient: boolean;
}

export interface GradCheckResult {
  worstRelError: number;
  params: ParamCheck[];
  /** The analytic gradients (float64) by parameter. */
  analytic: Map<string, Float64Array>;
  /** The graph with the backward pass appended (for running elsewhere, e.g. in ONNX Runtime). */
  gradGraph: Graph;
  /** Feeds for gradGraph (parameters and the loss weights included). */
  gradFeeds: Record<string, Tensor>;
  /** Output names of gradGraph, one per parameter. */
  gradOutputs: string[];
  /** Every element of the checked output is exactly zero (the check then proves nothing). */
  zeroOutput: boolean;
}

/**
 * Whether one-sided differences disagree: at a smooth point they differ by about eps times the
 * curvature, at a kink by the jump of the derivative.
 */
function isKink(forward: number, backward: number): boolean {
  return Math.abs(forward - backward) > 1e-3 * Math.max(Math.abs(forward), Math.abs(backward), 1e-1);
}

/** Relative error used throughout: |a - n| / max(|a|, |n|, 1e-3). */
export function relError(a: number, n: number): number {
  return Math.abs(a - n) / Math.max(Math.abs(a), Math.abs(n), 1e-3);
}

function asFloat64(t: Tensor | RefTensor): Float64Array {
  if (t.data instanceof Float64Array) return t.data;
  return Float64Array.from(t.data as ArrayLike<number>);
}

/** Builds sum(output * R) and its gradient graph, then compares against finite differences. */
export function gradCheck(opts: GradCheckOptions): GradCheckResult {
  const rng = new Rng(opts.seed ?? 1);
  const g = cloneGraph(opts.graph);
  const feeds: Record<string, Tensor> = { ...opts.feeds };
  // parameters become inputs so they can be perturbed and fed
  for (const p of opts.params) {
    const init = g.initializers.get(p);
    if (init) {
      g.initializers.delete(p);
      g.inputs.push({ name: p, dtype: init.dtype, shape: [...init.dims] });
      feeds[p] = init;
    } else if (!feeds[p]) {
      throw new Error(`gradcheck: parameter '${p}' is neither an initializer nor fed`);
    }
  }
  // concrete shapes for every input
  g.inputs = g.inputs.map((v): ValueInfo => {
    const f = feeds[v.name];
    if (!f) throw new Error(`gradcheck: no value fed for input '${v.name}'`);
    return { name: v.name, dtype: f.dtype, shape: [...f.dims] };
  });
  const output = opts.output ?? g.outputs[0].name;
  let table = inferShapes(g, opts.opset);
  const outInfo = table.info.get(output);
  if (!outInfo?.shape || outInfo.shape.some((d) => typeof d !== 'number')) {
    throw new Error(`gradcheck: shape of output '${output}' could not be inferred`);
  }
  const outShape = outInfo.shape as number[];
  const b = new GraphBuilder(g, 'gradcheck');
  const weights = tensor(
    outInfo.dtype === 'float64' ? 'float64' : 'float32',
    outShape,
    Array.from({ length: sizeOf(outShape) }, () => rng.uniform(-1, 1)),
  );
  const r = b.initializer(weights, 'loss_weights');
  const loss = b.op('ReduceSum', [b.op('Mul', [output, r])], { keepdims: 0 }, 'loss');
  const forwardNodes = g.nodes.length - 2;
  table = inferShapes(g, opts.opset);
  // differentiate the output with the weights R as its seed: d(sum(y * R))/dy = R, so the check
  // depends on no rule but the ones under test
  const { grads } = differentiate(g, table, { loss: output, seed: r, wrt: opts.params, opset: opts.opset });
  const gradOutputs = opts.params.map((p) => grads.get(p)!);
  g.outputs = [
    { name: loss, dtype: outInfo.dtype, shape: [] },
    ...gradOutputs.map((n, i) => ({
      name: n,
      dtype: feeds[opts.params[i]].dtype,
      shape: [...feeds[opts.params[i]].dims],
    })),
  ];

  const analyticOut = evaluateGraph(g, feeds, { opset: opts.opset, outputs: [...gradOutputs, output] });
  const zeroOutput = asFloat64(analyticOut[output]).every((v) => v === 0);
  const analytic = new Map<string, Float64Array>();
  opts.params.forEach((p, i) => analytic.set(p, asFloat64(analyticOut[gradOutputs[i]])));

  // forward-only graph for finite differences
  const fwd = cloneGraph(g);
  fwd.nodes = fwd.nodes.slice(0, forwardNodes + 2);
  fwd.outputs = [{ name: loss, dtype: outInfo.dtype, shape: [] }];
  const eps = opts.eps ?? 1e-6;
  const lossAt = (name: string, values: Float64Array): number => {
    const t = feeds[name];
    const out = evaluateGraph(
      fwd,
      { ...feeds, [name]: { dtype: t.dtype, dims: t.dims, data: values } },
      { opset: opts.opset, outputs: [loss] },
    );
    return asFloat64(out[loss])[0];
  };
  const params: ParamCheck[] = [];
  let worst = 0;
  for (const p of opts.params) {
    const t = feeds[p];
    if (!isFloat(t.dtype)) throw new Error(`gradcheck: parameter '${p}' is ${t.dtype}, not floating-point`);
    const base = Float64Array.from(t.data as ArrayLike<number>);
    const n = base.length;
    const max = Math.min(n, opts.maxElements ?? 16);
    const picks = n <= max ? [...Array(n).keys()] : rng.sample(n, max);
    const a = analytic.get(p)!;
    let maxAbs = 0;
    const check: ParamCheck = {
      name: p,
      checked: picks.length,
      maxAbsError: 0,
      maxRelError: 0,
      worstElement: -1,
      analyticAtWorst: 0,
      numericAtWorst: 0,
      kinks: [],
      zeroGradient: a.every((v) => v === 0),
    };
    const l0 = lossAt(p, base);
    for (const k of picks) {
      const v = base[k];
      const plus = base.slice();
      plus[k] = v + eps;
      const minus = base.slice();
      minus[k] = v - eps;
      const lp = lossAt(p, plus),
        lm = lossAt(p, minus);
      if (isKink((lp - l0) / eps, (l0 - lm) / eps)) {
        check.kinks.push(k);
        continue;
      }
      const num = (lp - lm) / (2 * eps);
      maxAbs = Math.max(maxAbs, Math.abs(a[k] - num));
      const rel = relError(a[k], num);
      if (rel > check.maxRelError || check.worstElement < 0)
        Object.assign(check, { maxRelError: rel, worstElement: k, analyticAtWorst: a[k], numericAtWorst: num });
    }
    check.maxAbsError = maxAbs;
    worst = Math.max(worst, check.maxRelError);
    params.push(check);
  }
  return { worstRelError: worst, params, analytic, gradGraph: g, gradFeeds: feeds, gradOutputs, zeroOutput };
}
