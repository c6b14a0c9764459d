/**
 * The optimizer update of a whole model: small parameters updated together over one flat buffer,
 * large ones one by one.
 *
 * Every update op costs a fixed overhead in ONNX Runtime (kernel dispatch, an output allocation)
 * besides its memory traffic, so a model with many small tensors (MobileNetV2: 158 tensors, most of
 * them BatchNormalization scales and biases or depthwise kernels of a few hundred elements) spends
 * most of its update time in overhead. Concatenating those tensors' parameters, gradients and state,
 * running the optimizer's elementwise chain once, and splitting the results back costs seven copies
 * of the group (four Concats, three Splits) instead of ~12 dispatches per tensor. For a large tensor
 * the copies cost more than the dispatches they save, so it keeps its own update.
 *
 * The rule: a trainable tensor joins the flat group of its settings (dtype, lr scale, weight decay)
 * when it has at most FLAT_MAX_ELEMENTS elements, and a group of one stays per tensor. The state
 * stays per tensor (inputs `<prefix>/<key>` as the per-tensor update names them), so checkpoints,
 * resume and the torch state layout do not change. Because every optimizer here is elementwise with
 * the same scalars for every member, the flat update is bit-identical to the per-tensor one.
 */
import type { GraphBuilder } from '../../onnx/builder.js';
import { sizeOf, tensor, type Tensor } from '../../onnx/tensor.js';
import type { OptimizerBuild, OptimizerState, ParamUpdate, ResolvedOptimizer } from './optimizer.js';

/**
 * Largest tensor (elements) updated in the flat buffer. Measured with bench/flat-adam.ts (Adam, one
 * thread, CPU ms per update, see the README's optimizer section): grouping the MLP's 256- to
 * 1280-element tensors and MobileNetV2's tensors up to ~20k elements wins, while copying the MLP's
 * 200k-element weight costs more than its 12 dispatches.
 */
export const FLAT_MAX_ELEMENTS = 4096;

/**
 * Most tensors in one flat group; a larger set is cut into groups of this size. The training graph
 * is the same for every provider, and ONNX Runtime's WebGPU kernels bind each input and output of a
 * node as a storage buffer, at most 16 per shader: a Split into more than 15 parts fails there.
 * (Shape inference, src/onnx/shapes/infer.ts, also reads the Split's size list only up to 64
 * elements; past that the CPU session's NCHWc lowering would skip the whole model.)
 */
export const MAX_GROUP_MEMBERS = 15;

/** Graph inputs every update reads, and the state prefix of each parameter. */
export interface UpdateInputs {
  lr: string;
  step: string;
  /** State input prefix of a parameter (e.g. `opt/fc1.weight`). */
  prefix: (param: string) => string;
}

/**
 * Whether a tensor of `shape` takes ONNX Runtime's slow broadcast path when multiplied by a scalar:
 * its broadcaster splits the loop at every axis of size 1, so `[64, 384, 1, 1] * scalar` runs one
 * element per inner loop, 20-40x slower per element than the same data as `[24576]` (1.30, one thread;
 * 1x1 convolution kernels `[out, in, 1, 1]` and depthwise kernels `[c, 1, k, k]` are such shapes).
 * Updating such a tensor through a 1-D view avoids it.
 */
export function hasUnitAxis(shape: readonly number[]): boolean {
  return shape.length > 1 && shape.includes(1);
}

/**
 * `x * s` for a scalar `s`: through a 1-D view when `shape` has a unit axis (hasUnitAxis), the
 * same values without ONNX Runtime's slow broadcast. Gradient clipping and the accumulated
 * gradients' mean scale every gradient this way.
 */
export function mulByScalar(b: GraphBuilder, x: string, s: string, shape: readonly number[], hint?: string): string {
  if (!hasUnitAxis(shape)) return b.op('Mul', [x, s], {}, hint);
  const flat = b.op('Mul', [b.op('Reshape', [x, b.ints([-1])]), s]);
  return b.op('Reshape', [flat, b.ints([...shape])], {}, hint);
}

/** How buildUpdates lays the update out (the defaults are the measured choice; the bench varies them). */
export interface UpdateLayout {
  /** Largest tensor (elements) in a flat group; 0 updates every tensor on its own. */
  maxFlatElements?: number;
  /** Update a tensor that is on its own but hasUnitAxis through a 1-D view (default true). */
  flattenEach?: boolean;
}

/**
 * Indices of `params` updated together (each group has 2 to MAX_GROUP_MEMBERS members); the rest
 * are updated one by one.
 */
export function planFlatGroups(params: ParamUpdate[], maxElements = FLAT_MAX_ELEMENTS): number[][] {
  const groups = new Map<string, number[]>();
  params.forEach((p, i) => {
    if (p.dtype !== 'float32' && p.dtype !== 'float64') return; // per tensor: its own clear error
    if (sizeOf(p.shape) > maxElements) return;
    const lrScale = p.lrScale ?? 1;
    const wd = p.weightDecay;
    const valid = (x: number | undefined) => x === undefined || (Number.isFinite(x) && x >= 0);
    if (!valid(lrScale) || !valid(wd)) return;
    const key = `${p.dtype}|${lrScale}|${wd ?? 'default'}`;
    let grp = groups.get(key);
    if (!grp) groups.set(key, (grp = []));
    grp.push(i);
  });
  const out: number[][] = [];
  for (const grp of groups.values())
    for (let i = 0; i < grp.length; i += MAX_GROUP_MEMBERS) out.push(grp.slice(i, i + MAX_GROUP_MEMBERS));
  return out.filter((g) => g.length >= 2);
}

/**
 * Emits the update of every parameter through `b`: flat groups per planFlatGroups, the others one
 * by one. Returns one build per parameter, in order, with per-tensor state as `optimizer.build` gives it.
 */
export function buildUpdates(
  b: GraphBuilder,
  optimizer: ResolvedOptimizer,
  params: ParamUpdate[],
  io: UpdateInputs,
  layout: UpdateLayout = {},
): OptimizerBuild[] {
  const { maxFlatElements = FLAT_MAX_ELEMENTS, flattenEach = true } = layout;
  const out: Array<OptimizerBuild | undefined> = params.map(() => undefined);
  const groups = planFlatGroups(params, maxFlatElements);
  const grouped = new Set(groups.flat());
  params.forEach((p, i) => {
    if (grouped.has(i)) return;
    // a non-float tensor goes to the optimizer as it is, whose check names it
    if (flattenEach && hasUnitAxis(p.shape) && (p.dtype === 'float32' || p.dtype === 'float64'))
      out[i] = buildFlat(b, optimizer, [p], io)[0];
    else out[i] = optimizer.build(b, p, { lr: io.lr, step: io.step, prefix: io.prefix(p.param) });
  });
  for (const grp of groups) {
    const builds = buildFlat(
      b,
      optimizer,
      grp.map((i) => params[i]),
      io,
    );
    grp.forEach((i, j) => (out[i] = builds[j]));
  }
  return out as OptimizerBuild[];
}

/**
 * One update over `members` (same dtype, lr scale and weight decay) flattened to one 1-D buffer:
 * a Concat of their reshaped tensors, or for one member just the (copy-free) Reshape.
 */
function buildFlat(
  b: GraphBuilder,
  optimizer: ResolvedOptimizer,
  members: ParamUpdate[],
  io: UpdateInputs,
): OptimizerBuild[] {
  const sizes = members.map((p) => sizeOf(p.shape));
  const total = sizes.reduce((a, n) => a + n, 0);
  const flatten = (names: string[], hint: string) => {
    // a 1-D member (a bias, a norm's scale) joins the Concat as it is: a Reshape of a graph input copies it
    const flat = names.map((n, j) =>
      members[j].shape.length === 1 ? n : b.op('Reshape', [n, b.ints([-1])], {}, hint),
    );
    return flat.length === 1 ? flat[0] : b.op('Concat', flat, { axis: 0 }, hint);
  };
  const first = members[0];
  const flatParam = flatten(
    members.map((p) => p.param),
    'flat_param',
  );
  const flatGrad = flatten(
    members.map((p) => p.grad),
    'flat_grad',
  );
  // The optimizer's nodes go to a side list first: its state inputs (`<prefix>/<key>`) are only
  // known afterwards, and the Concats that define them must come before the nodes that read them.
  const prefix = b.fresh('flat_update');
  const main = b.nodes;
  const side: typeof main = [];
  b.nodes = side;
  let build: OptimizerBuild;
  try {
    build = optimizer.build(
      b,
      {
        param: flatParam,
        grad: flatGrad,
        shape: [total],
        dtype: first.dtype,
        lrScale: first.lrScale,
        weightDecay: first.weightDecay,
      },
      { lr: io.lr, step: io.step, prefix },
    );
  } finally {
    b.nodes = main;
  }
  // per-tensor state inputs, concatenated in place of the flat build's own state inputs
  for (const st of build.state) {
    const cat = flatten(
      members.map((p) => `${io.prefix(p.param)}/${st.key}`),
      `flat_${st.key}`,
    );
    for (const node of side) node.inputs = node.inputs.map((i) => (i === st.name ? cat : i));
  }
  main.push(...side);
  const newParams = split(b, build.newParam, members, sizes, 'param');
  const nexts = build.state.map((st) => split(b, st.next, members, sizes, st.key));
  return members.map((p, j) => ({
    newParam: newParams[j],
    state: build.state.map((st, si): OptimizerState => ({
      name: `${io.prefix(p.param)}/${st.key}`,
      key: st.key,
      init: slice(st.init, sizes, j, p),
      next: nexts[si][j],
    })),
  }));
}

/** The flat tensor `flat` cut back into the members' shapes. */
function split(b: GraphBuilder, flat: string, members: ParamUpdate[], sizes: number[], hint: string): string[] {
  if (members.length === 1) return [b.op('Reshape', [flat, b.ints(members[0].shape)], {}, hint)];
  const parts = b.opN('Split', [flat, b.ints(sizes)], members.length, { axis: 0 }, `${hint}_split`);
  return parts.map((part, j) =>
    members[j].shape.length === 1 ? part : b.op('Reshape', [part, b.ints(members[j].shape)], {}, hint),
  );
}

/** Member `j`'s part of a flat initial state. */
function slice(init: Tensor, sizes: number[], j: number, p: ParamUpdate): Tensor {
  const start = sizes.slice(0, j).reduce((a, n) => a + n, 0);
  return tensor(init.dtype, [...p.shape], init.data.slice(start, start + sizes[j]) as Float32Array);
}
