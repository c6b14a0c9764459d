/**
 * The PyTorch reference harness. A fixture under test/fixtures/exports/<name>/ is a real export
 * (`model.onnx`, made by scripts/fixtures/) and `reference.json`: the batch, the target, the loss,
 * the learning rate, PyTorch's loss and output before the step, and every parameter after one plain
 * SGD step computed by PyTorch autograd, keyed by ONNX initializer name.
 *
 * `checkAgainstTorch(name)` loads the fixture the way a user's experiment does (ModelManager,
 * `type: "onnx"`), checks the untouched export against PyTorch's output, builds the training
 * artifacts with SGD at the same learning rate and the same loss, runs one step on the batch, and
 * compares every weight and every weight's change with PyTorch's. Then it exports the trained model,
 * writes it to a file, loads it again through the ModelManager and runs it in a fresh
 * InferenceSession, which must agree with the eval graph. Nothing in it is specific to a model
 * family: a new fixture needs no change here.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { ModelManager } from '../../src/models/model-manager.js';
import { buildTrainingArtifacts } from '../../src/autodiff/artifacts.js';
import { StepRunner, type Batch } from '../../src/trainer/step-runner.js';
import { encodeModel, saveModel } from '../../src/onnx/io.js';
import { tensor, type Tensor } from '../../src/onnx/tensor.js';
import { sessions } from './helpers.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/exports/', import.meta.url));

interface RefTensor {
  dims: number[];
  data: number[];
}

/** reference.json, as scripts/fixtures/common.py writes it. */
export interface TorchReference {
  opset: number;
  exporter: string;
  notes?: string;
  inputs: Record<string, RefTensor & { dtype?: string }>;
  target: RefTensor & { kind: 'class' | 'float' };
  loss: string;
  /** Options of the loss block besides its type (huber's delta). */
  lossOptions?: Record<string, unknown>;
  /** Starting values of parameters the export lacks (a head Gymnos adds), keyed by their Gymnos name. */
  init?: Record<string, RefTensor>;
  lr: number;
  lossBefore: number;
  outputBefore: RefTensor;
  weightsAfterOneStep: Record<string, number[]>;
  /** The same starting weights stepped by PyTorch on batches of other sizes. */
  moreBatches?: Array<Pick<TorchReference, 'inputs' | 'lossBefore' | 'weightsAfterOneStep'> & { target: RefTensor }>;
  /** Parameters PyTorch's step leaves as they are (the weights of an If branch not taken). */
  untouched?: string[];
}

export interface CheckOptions {
  /** Extra options of the `onnx` model block (e.g. `inputShapes`). */
  model?: Record<string, unknown>;
  /** Relative tolerance of every weight after the step (default 1e-5). */
  rtol?: number;
  /** Options of the `onnx` model block when the trained export is loaded again (default: `model`). */
  reload?: Record<string, unknown>;
  /** Extra batch sizes the exported model must run with (a symbolic batch dimension). */
  batchSizes?: number[];
}

export interface WeightError {
  param: string;
  index: number;
  got: number;
  want: number;
  rel: number;
}

export interface CheckResult {
  /** Worst relative error of a weight after the step (see `relError`). */
  maxRelError: WeightError;
  /** Worst error of a weight's change (Gymnos's step vs PyTorch's), relative to the largest change of that tensor. */
  maxStepError: WeightError;
  loss: number;
  reference: TorchReference;
}

/**
 * Relative error with an absolute floor: |got - want| / max(|want|, 1e-3). Both sides compute in
 * float32 with different summation orders, so a weight carries an absolute error of a few float32
 * ulps of the terms that made it (weights and steps are O(0.01..1) here, ulp ~ 6e-8 of that); for a
 * weight that happens to sit near zero (|w| < 1e-3) that error is not small relative to w itself,
 * and the floor turns the 1e-5 criterion into an absolute 1e-8 there, still far below any real
 * gradient error (a step is lr * grad, >= 1e-4 for these fixtures).
 */
export function relError(got: number, want: number): number {
  return Math.abs(got - want) / Math.max(Math.abs(want), 1e-3);
}

export function readReference(name: string): TorchReference {
  return JSON.parse(readFileSync(join(FIXTURES, name, 'reference.json'), 'utf8')) as TorchReference;
}

/** The fixture's first name (before a " (batch n ...)" note). */
const fixtureDir = (name: string) => name.replace(/ \(.*$/, '');

function refTensor(t: RefTensor, float: boolean): Tensor {
  return float
    ? tensor('float32', t.dims, Float32Array.from(t.data))
    : tensor('int64', t.dims, BigInt64Array.from(t.data.map((v) => BigInt(v))));
}

/** A fresh batch (feeds may be handed over to a session and detached, so never reuse one). */
function batchOf(ref: TorchReference, dtypes: Map<string, string>): Batch {
  const inputs: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(ref.inputs)) inputs[k] = refTensor(v, dtypes.get(k) !== 'int64');
  return { inputs, label: refTensor(ref.target, ref.target.kind === 'float') };
}

function toOrt(t: Tensor): ort.Tensor {
  return new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, t.dims);
}

async function ortRun(bytes: Uint8Array, feeds: Record<string, Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  try {
    return await session.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toOrt(v)])));
  } finally {
    await session.release();
  }
}

function closeTo(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: ${got.length} values, expected ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    assert.ok(
      Math.abs(got[i] - want[i]) <= tol * Math.max(1, Math.abs(want[i])),
      `${what} differs at ${i}: ${got[i]} vs ${want[i]}`,
    );
  }
}

/**
 * One SGD step of fixture `name` in Gymnos against PyTorch's; throws on any disagreement. A
 * fixture with `moreBatches` (the same starting weights stepped on batches of other sizes) is
 * stepped on each of those too, from a fresh load, so one graph is checked at two batch sizes.
 */
export async function checkAgainstTorch(name: string, opts: CheckOptions = {}): Promise<CheckResult> {
  const ref = readReference(name);
  const r = await checkPart(name, ref, opts, true);
  for (const [i, more] of (ref.moreBatches ?? []).entries()) {
    const n = more.target.dims[0];
    const again = await checkPart(
      `${name} (batch ${n}, moreBatches[${i}])`,
      { ...ref, ...more, target: { ...more.target, kind: ref.target.kind } },
      opts,
      false,
    );
    assert.notEqual(n, ref.target.dims[0], `${name}: moreBatches[${i}] has the first batch's size`);
    if (again.maxRelError.rel > r.maxRelError.rel) r.maxRelError = again.maxRelError;
    if (again.maxStepError.rel > r.maxStepError.rel) r.maxStepError = again.maxStepError;
  }
  return r;
}

async function checkPart(name: string, ref: TorchReference, opts: CheckOptions, first: boolean): Promise<CheckResult> {
  const file = join(FIXTURES, fixtureDir(name), 'model.onnx');
  const s = sessions();
  const dir = mkdtempSync(join(tmpdir(), `gymnos-torch-${fixtureDir(name)}-`));
  try {
    // 1. the export computes what PyTorch computed (inference mode)
    const raw = new Uint8Array(readFileSync(file));
    const loaded = new ModelManager().load({ type: 'onnx', path: file, ...opts.model }, { seed: 0 });
    const dtypes = new Map(loaded.model.graph.inputs.map((v) => [v.name, v.dtype as string]));
    const outName = loaded.output ?? loaded.model.graph.outputs[0].name;
    // a head Gymnos added starts from PyTorch's starting values
    for (const [p, t] of Object.entries(ref.init ?? {})) {
      const have = loaded.model.graph.initializers.get(p);
      assert.ok(
        have,
        `${name}: reference.json gives a starting value for '${p}', which the loaded model does not have`,
      );
      assert.deepEqual(have.dims, t.dims, `${name}: '${p}' is [${have.dims}] in Gymnos, [${t.dims}] in PyTorch`);
      loaded.model.graph.initializers.set(p, tensor('float32', t.dims, Float32Array.from(t.data)));
    }
    // (with user options that change the graph, such as a batch made symbolic, the loaded model runs)
    if (first) {
      const before = await ortRun(opts.model ? encodeModel(loaded.model) : raw, batchOf(ref, dtypes).inputs);
      // (the export's own output: with a head added, PyTorch's outputBefore is the embedding, the export's first
      // output)
      closeTo(
        before[Object.keys(before)[0]].data as Float32Array,
        ref.outputBefore.data,
        1e-4,
        `${name}: the export's output before training (ONNX Runtime vs PyTorch)`,
      );
    }

    // 2. one SGD step, same loss and learning rate
    const art = buildTrainingArtifacts(loaded.model, {
      inputs: loaded.inputs,
      output: loaded.output,
      trainable: loaded.trainable,
      loss: { ...ref.lossOptions, type: ref.loss },
      optimizer: { type: 'sgd', lr: ref.lr },
    });
    // weights of a branch that can never run (an If on a constant condition, inlined) are gone
    const dead = (ref.untouched ?? []).filter((p) => !art.trainable.includes(p) && !art.base.graph.initializers.has(p));
    const expected = Object.keys(ref.weightsAfterOneStep)
      .filter((p) => !dead.includes(p))
      .sort();
    assert.deepEqual([...art.trainable].sort(), expected, `${name}: Gymnos trains other parameters than PyTorch has`);
    const start = new Map(art.carried.map((c) => [c.input, Float32Array.from(c.init.data as Float32Array)]));
    const runner = new StepRunner(art, s.factory, 0);
    const step = await runner.runSteps([batchOf(ref, dtypes)], [ref.lr]);
    const loss = step.losses[0];
    assert.ok(
      Math.abs(loss - ref.lossBefore) <= 1e-5 * Math.max(1, Math.abs(ref.lossBefore)),
      `${name}: loss ${loss} vs PyTorch ${ref.lossBefore}`,
    );

    // 3. every weight and every weight's change against PyTorch's
    const exported = runner.exportModel();
    let worst: WeightError = { param: '', index: -1, got: 0, want: 0, rel: 0 };
    let worstStep: WeightError = { param: '', index: -1, got: 0, want: 0, rel: 0 };
    for (const p of expected) {
      // the reference holds float32 values in 9 significant digits: back to float32
      const want = Float32Array.from(ref.weightsAfterOneStep[p]);
      const got = exported.graph.initializers.get(p)!.data as Float32Array;
      const w0 = start.get(p)!;
      assert.equal(got.length, want.length, `${name}: ${p} has ${got.length} values, PyTorch ${want.length}`);
      let maxDelta = 0;
      for (let i = 0; i < want.length; i++) maxDelta = Math.max(maxDelta, Math.abs(want[i] - w0[i]));
      // (a parameter of an If branch not taken keeps its value in PyTorch: listed in `untouched`)
      if (!ref.untouched?.includes(p))
        assert.ok(maxDelta > 0, `${name}: PyTorch's step leaves ${p} unchanged; the fixture cannot check its gradient`);
      if (maxDelta === 0) maxDelta = 1;
      for (let i = 0; i < want.length; i++) {
        const rel = relError(got[i], want[i]);
        if (rel > worst.rel || worst.index < 0) worst = { param: p, index: i, got: got[i], want: want[i], rel };
        const srel = Math.abs(got[i] - w0[i] - (want[i] - w0[i])) / maxDelta;
        if (srel > worstStep.rel || worstStep.index < 0)
          worstStep = { param: p, index: i, got: got[i] - w0[i], want: want[i] - w0[i], rel: srel };
      }
    }
    const rtol = opts.rtol ?? 1e-5;
    assert.ok(
      worst.rel <= rtol,
      `${name}: weight ${worst.param}[${worst.index}] after one step is ${worst.got}, PyTorch ${worst.want} (relative error ${worst.rel.toExponential(2)} > ${rtol})`,
    );
    // the step itself (lr * grad) within 1e-3 of the tensor's largest step: a wrong gradient cannot hide behind a small
    // lr
    assert.ok(
      worstStep.rel <= 1e-3,
      `${name}: the step of ${worstStep.param}[${worstStep.index}] is ${worstStep.got}, PyTorch ${worstStep.want} (error ${worstStep.rel.toExponential(2)} of the largest step)`,
    );

    if (!first) {
      await runner.close();
      return { maxRelError: worst, maxStepError: worstStep, loss, reference: ref };
    }
    // 4. the export, written and loaded again, runs in a fresh session like the eval graph
    const ev = await runner.evaluate(batchOf(ref, dtypes));
    await runner.close();
    const out = join(dir, 'trained.onnx');
    saveModel(exported, out);
    const reloaded = new ModelManager().load({ type: 'onnx', path: out, ...(opts.reload ?? opts.model) }, { seed: 0 });
    assert.ok(reloaded.model.graph.initializers.size > 0, `${name}: reloaded export has no initializers`);
    const again = await ortRun(encodeModel(reloaded.model), batchOf(ref, dtypes).inputs);
    closeTo(
      again[outName].data as Float32Array,
      ev.prediction.data as Float32Array,
      1e-4,
      `${name}: reloaded export vs the eval graph`,
    );
    for (const n of opts.batchSizes ?? []) await runBatchSize(encodeModel(reloaded.model), ref, dtypes, n, name);
    return { maxRelError: worst, maxStepError: worstStep, loss, reference: ref };
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a model on the fixture's first sample repeated `n` times; every row must equal row 0's output. */
async function runBatchSize(
  bytes: Uint8Array,
  ref: TorchReference,
  dtypes: Map<string, string>,
  n: number,
  name: string,
): Promise<void> {
  const feeds: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(ref.inputs)) {
    const per = v.data.length / v.dims[0];
    const data = Array.from({ length: n * per }, (_, i) => v.data[i % per]);
    feeds[k] = refTensor({ dims: [n, ...v.dims.slice(1)], data }, dtypes.get(k) !== 'int64');
  }
  const out = await ortRun(bytes, feeds);
  const y = Object.values(out)[0];
  assert.equal(y.dims[0], n, `${name}: batch of ${n} gave an output of batch ${y.dims[0]}`);
  const per = (y.data as Float32Array).length / n;
  const data = y.data as Float32Array;
  for (let r = 1; r < n; r++)
    closeTo(
      data.subarray(r * per, (r + 1) * per),
      data.subarray(0, per),
      1e-5,
      `${name}: batch ${n}, row ${r} vs row 0`,
    );
}
