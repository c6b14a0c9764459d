/**
 * Gradient rules for indexing: gathers scatter-add their gradient into zeros (repeated indices
 * accumulate, negative indices are normalized first); scatters route the gradient back with the
 * matching gather.
 */
import { attrInt, attrString } from '../../onnx/ir.js';
import { AutodiffError, type GradContext, type GradRuleFamily } from '../rule.js';
import { axisOf, dimOf, isStatic, zerosLike, zerosOfShape } from './shape-helpers.js';

/** int64 indices (Cast from int32 when needed). */
function int64(c: GradContext, idx: string): string {
  return c.dtype(idx) === 'int64' ? idx : c.b.op('Cast', [idx], { to: 7 });
}

/** Indices with negative entries wrapped by `size` (a scalar or broadcastable int64 tensor). */
function wrapNegative(c: GradContext, idx: string, size: string): string {
  const v = c.value(idx);
  if (v && v.every((d) => typeof d === 'number' && d >= 0)) return idx;
  const { b } = c;
  return b.op('Where', [b.op('Less', [idx, b.int(0)]), b.op('Add', [idx, size]), idx], {}, 'wrapped_index');
}

function gatherGrad(c: GradContext): Array<string | undefined> {
  if (!c.needs(0)) return [undefined, undefined];
  const { b } = c;
  const data = c.x(0);
  const ds = c.shape(data);
  const rank = ds.length;
  const axis = axisOf(c, attrInt(c.node, 'axis', 0), rank);
  const idx = wrapNegative(c, int64(c, c.x(1)), dimOf(c, data, axis));
  const q = c.shape(c.x(1)).length;
  const nd = b.op('Unsqueeze', [idx, b.ints([-1])]);
  if (axis === 0) {
    return [b.op('ScatterND', [zerosLike(c, data), nd, c.dy(0)!], { reduction: 'add' }, 'gather_grad'), undefined];
  }
  // move the gathered axis first, scatter along it, move it back
  const dyPerm = [
    ...Array.from({ length: q }, (_, i) => axis + i),
    ...Array.from({ length: axis }, (_, i) => i),
    ...Array.from({ length: rank - axis - 1 }, (_, i) => axis + q + i),
  ];
  const dyT = b.op('Transpose', [c.dy(0)!], { perm: dyPerm });
  const dataPerm = [
    axis,
    ...Array.from({ length: axis }, (_, i) => i),
    ...Array.from({ length: rank - axis - 1 }, (_, i) => axis + 1 + i),
  ];
  const tShape = dataPerm.map((p) => ds[p]);
  const shape = isStatic(tShape) ? b.ints(tShape) : b.op('Gather', [b.op('Shape', [data]), b.ints(dataPerm)]);
  const zeros = zerosOfShape(c, shape, c.dtype(data));
  const scattered = b.op('ScatterND', [zeros, nd, dyT], { reduction: 'add' });
  const inv = Array<number>(rank);
  dataPerm.forEach((p, i) => {
    inv[p] = i;
  });
  return [b.op('Transpose', [scattered], { perm: inv }, 'gather_grad'), undefined];
}

function gatherElementsGrad(c: GradContext): Array<string | undefined> {
  if (!c.needs(0)) return [undefined, undefined];
  const data = c.x(0);
  const axis = axisOf(c, attrInt(c.node, 'axis', 0), c.shape(data).length);
  const idx = wrapNegative(c, int64(c, c.x(1)), dimOf(c, data, axis));
  return [
    c.b.op('ScatterElements', [zerosLike(c, data), idx, c.dy(0)!], { axis, reduction: 'add' }, 'gather_elements_grad'),
    undefined,
  ];
}

function gatherNDGrad(c: GradContext): Array<string | undefined> {
  if (!c.needs(0)) return [undefined, undefined];
  if (attrInt(c.node, 'batch_dims', 0) !== 0) {
    throw new AutodiffError(
      `${c.where}: GatherND with batch_dims != 0 has no gradient rule; use batch_dims = 0 (index the batch explicitly)`,
    );
  }
  const { b } = c;
  const data = c.x(0);
  const is = c.shape(c.x(1));
  const k = is[is.length - 1];
  if (typeof k !== 'number') throw new AutodiffError(`${c.where}: the last dim of the indices must be static`);
  const ds = c.shape(data).slice(0, k);
  const sizes = isStatic(ds) ? b.ints(ds) : b.op('Shape', [data], { start: 0, end: k });
  const idx = wrapNegative(c, c.x(1), sizes);
  return [b.op('ScatterND', [zerosLike(c, data), idx, c.dy(0)!], { reduction: 'add' }, 'gather_nd_grad'), undefined];
}

/** Reduction of a Scatter* node; only 'none' and 'add' are differentiable here. */
function scatterReduction(c: GradContext): 'none' | 'add' {
  const r = attrString(c.node, 'reduction', 'none');
  if (r !== 'none' && r !== 'add') {
    throw new AutodiffError(
      `${c.where}: no gradient for ${c.node.opType} with reduction '${r}'; Gymnos differentiates reduction 'none' and 'add'`,
    );
  }
  return r;
}

function scatterNDGrad(c: GradContext): Array<string | undefined> {
  const { b } = c;
  const red = scatterReduction(c);
  const [idx, upd] = [c.x(1), c.x(2)];
  const dy = c.dy(0)!;
  let dData: string | undefined;
  if (c.needs(0)) dData = red === 'add' ? dy : b.op('ScatterND', [dy, idx, zerosLike(c, upd)], {}, 'scatter_nd_grad');
  const dUpd = c.needs(2) ? b.op('GatherND', [dy, idx], {}, 'scatter_nd_updates_grad') : undefined;
  return [dData, undefined, dUpd];
}

function scatterElementsGrad(c: GradContext): Array<string | undefined> {
  const { b } = c;
  const red = scatterReduction(c);
  const axis = axisOf(c, attrInt(c.node, 'axis', 0), c.shape(c.x(0)).length);
  const [idx, upd] = [c.x(1), c.x(2)];
  const dy = c.dy(0)!;
  let dData: string | undefined;
  if (c.needs(0))
    dData =
      red === 'add' ? dy : b.op('ScatterElements', [dy, idx, zerosLike(c, upd)], { axis }, 'scatter_elements_grad');
  const dUpd = c.needs(2) ? b.op('GatherElements', [dy, idx], { axis }, 'scatter_elements_updates_grad') : undefined;
  return [dData, undefined, dUpd];
}

export const indexingFamily: GradRuleFamily = {
  family: 'indexing',
  rules: {
    Gather: gatherGrad,
    GatherElements: gatherElementsGrad,
    GatherND: gatherNDGrad,
    ScatterND: scatterNDGrad,
    ScatterElements: scatterElementsGrad,
  },
};
