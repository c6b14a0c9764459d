/**
 * `gymnosd gradcheck`: a numerical gradient check of the training graph Gymnos generates for a
 * whole model (training-mode layers and the loss included), on random inputs with a small batch.
 */
import type { Model } from '../onnx/ir.js';
import { cloneModel } from '../onnx/clone.js';
import { GraphBuilder } from '../onnx/builder.js';
import { canonicalize } from '../onnx/opset.js';
import { inferShapes } from '../onnx/shapes/infer.js';
import { tensor, sizeOf, type Tensor } from '../onnx/tensor.js';
import { Rng } from '../util/rng.js';
import { gradCheck, type GradCheckResult, type ParamCheck } from './gradcheck.js';
import { buildLoss, validateLoss, type LossSpec } from './losses/index.js';
import { rewriteForTraining } from './training-mode.js';
import { selectParameters, runningStatistics, type TrainableSelection } from './trainable.js';
import { IO_NAMES } from './io-names.js';
import { AutodiffError } from './rule.js';

export interface ModelGradCheckOptions {
  loss?: LossSpec;
  batch?: number;
  seed?: number;
  maxElements?: number;
  trainable?: TrainableSelection;
  /** Which model output the loss uses (default: the first). */
  output?: string;
}

/** Builds forward + loss for `model` with a concrete batch and checks every trainable parameter's gradient. */
export function modelGradCheck(model: Model, o: ModelGradCheckOptions = {}): GradCheckResult {
  const m = canonicalize(cloneModel(model));
  const g = m.graph;
  const opset = m.opset.get('')!;
  const rng = new Rng(o.seed ?? 1);
  const batch = o.batch ?? 2;
  const feeds: Record<string, Tensor> = {};
  for (const v of g.inputs) {
    if (!v.shape) throw new AutodiffError(`model input '${v.name}' has no shape`);
    const dims = v.shape.map((d, i) => (typeof d === 'number' ? d : i === 0 ? batch : NaN));
    if (dims.some((d) => Number.isNaN(d)))
      throw new AutodiffError(
        `model input '${v.name}' has dynamic dimensions [${v.shape.join(', ')}]; gradcheck can only fill in the batch dimension`,
      );
    v.shape = dims;
    if (v.dtype === 'float32' || v.dtype === 'float64')
      feeds[v.name] = tensor(
        v.dtype,
        dims,
        Array.from({ length: sizeOf(dims) }, () => rng.uniform(-1, 1)),
      );
    else if (v.dtype === 'int64' || v.dtype === 'int32')
      feeds[v.name] = tensor(
        v.dtype,
        dims,
        Array.from({ length: sizeOf(dims) }, () => rng.int(2)),
      );
    else
      throw new AutodiffError(`model input '${v.name}' is ${v.dtype}; gradcheck fills float and integer inputs only`);
  }
  const split = selectParameters(g, o.trainable);
  if (split.trainable.length === 0) throw new AutodiffError('the model has no trainable float parameters');
  const running = runningStatistics(g);
  g.inputs.push({ name: IO_NAMES.step, dtype: 'int64', shape: [] }, { name: IO_NAMES.seed, dtype: 'int64', shape: [] });
  feeds[IO_NAMES.step] = tensor('int64', [], [1]);
  feeds[IO_NAMES.seed] = tensor('int64', [], [o.seed ?? 1]);
  for (const r of running) {
    const t = g.initializers.get(r);
    if (t) {
      g.initializers.delete(r);
      g.inputs.push({ name: r, dtype: t.dtype, shape: [...t.dims] });
      feeds[r] = t;
    }
  }
  let table = inferShapes(g, opset);
  rewriteForTraining(g, table, { dropoutSeedInput: IO_NAMES.seed, stepInput: IO_NAMES.step });
  table = inferShapes(g, opset);
  const output = o.output ?? g.outputs[0].name;
  const info = table.info.get(output);
  if (!info?.shape) throw new AutodiffError(`the shape of output '${output}' could not be inferred`);
  const b = new GraphBuilder(g, 'gradcheck_loss');
  const spec: LossSpec = o.loss ?? { type: 'softmax_cross_entropy' };
  const lb = buildLoss(b, validateLoss(spec), output, info.shape, info.dtype, IO_NAMES.label);
  g.inputs.push(lb.labelInput);
  const ls = lb.labelInput.shape!.map((d) => (typeof d === 'number' ? d : batch));
  const classes = typeof info.shape[1] === 'number' ? info.shape[1] : 2;
  feeds[IO_NAMES.label] =
    lb.labelInput.dtype === 'int64' || lb.labelInput.dtype === 'int32'
      ? tensor(
          lb.labelInput.dtype,
          ls,
          Array.from({ length: sizeOf(ls) }, () => rng.int(classes)),
        )
      : tensor(
          lb.labelInput.dtype,
          ls,
          Array.from({ length: sizeOf(ls) }, () => rng.uniform(0, 1)),
        );
  g.outputs = [{ name: lb.loss, dtype: info.dtype, shape: [] }];
  return gradCheck({
    graph: g,
    opset,
    feeds,
    params: split.trainable,
    output: lb.loss,
    seed: o.seed ?? 1,
    maxElements: o.maxElements ?? 6,
  });
}

/** Whether a model check passes: every parameter within `tolerance` and a loss that is not identically zero. */
export function gradCheckPasses(r: GradCheckResult, tolerance: number): boolean {
  return r.worstRelError <= tolerance && !r.zeroOutput;
}

/**
 * The report `gymnosd gradcheck` prints: per parameter, kinks apart from failures, warnings, the worst element, the
 * verdict.
 */
export function formatGradCheck(r: GradCheckResult, tolerance: number): string {
  const lines: string[] = [];
  for (const p of r.params) {
    const kinks = p.kinks.length
      ? `; ${p.kinks.length} at non-differentiable points (one-sided differences disagree: elements ${p.kinks.slice(0, 8).join(', ')}${p.kinks.length > 8 ? ', ...' : ''}), not counted`
      : '';
    const at =
      p.worstElement >= 0
        ? ` at [${p.worstElement}] (analytic ${p.analyticAtWorst.toPrecision(6)}, numeric ${p.numericAtWorst.toPrecision(6)})`
        : '';
    lines.push(
      `  ${p.maxRelError <= tolerance ? 'ok  ' : 'FAIL'} ${p.name}: max relative error ${p.maxRelError.toExponential(2)}${at} over ${p.checked - p.kinks.length} of ${p.checked} elements${kinks}`,
    );
  }
  for (const p of r.params)
    if (p.zeroGradient)
      lines.push(
        `warning: the gradient of '${p.name}' is identically zero on this batch (a dead path, or the loss does not depend on it)`,
      );
  if (r.zeroOutput)
    lines.push(
      'warning: the loss is identically zero on this batch, so the check proves nothing; try another --seed, --loss or --batch',
    );
  const worst = r.params.reduce<ParamCheck | undefined>(
    (w, p) => (p.worstElement >= 0 && (!w || p.maxRelError > w.maxRelError) ? p : w),
    undefined,
  );
  if (worst)
    lines.push(
      `worst: ${worst.name}[${worst.worstElement}], relative error ${worst.maxRelError.toExponential(3)} (analytic ${worst.analyticAtWorst.toPrecision(6)}, numeric ${worst.numericAtWorst.toPrecision(6)})`,
    );
  const kinks = r.params.reduce((n, p) => n + p.kinks.length, 0);
  if (kinks)
    lines.push(
      `non-differentiable points: ${kinks} checked elements skipped (finite differences are meaningless there)`,
    );
  const ok = gradCheckPasses(r, tolerance);
  lines.push(
    `worst relative error: ${r.worstRelError.toExponential(3)} (tolerance ${tolerance}) -> ${ok ? 'PASS' : r.zeroOutput ? 'FAIL (identically zero loss)' : 'FAIL'}`,
  );
  return `${lines.join('\n')}\n`;
}
