/**
 * Shape and layout ops: Shape, Size, Reshape, Transpose, Squeeze, Unsqueeze, Flatten, Expand,
 * DepthToSpace, SpaceToDepth. Ops that only change dims share storage with their input.
 */
import { attrInt, attrInts, attrString } from '../ir.js';
import type { Kernel } from './kernel.js';
import { need } from './kernel.js';
import type { RefTensor } from './tensor-util.js';
import {
  broadcastMap,
  broadcastShapes,
  gatherData,
  int64Tensor,
  makeTensor,
  normAxis,
  numbersOf,
  sizeOf,
  stridedMap,
  stridesOf,
} from './tensor-util.js';

const view = (x: RefTensor, dims: number[]): RefTensor => makeTensor(x.dtype, dims, x.data);

/** Reshape target per ONNX: 0 copies the input dim (unless allowzero), -1 is inferred. */
export function reshapeDims(inDims: number[], shape: number[], allowzero: boolean): number[] {
  const dims = shape.map((d, i) => {
    if (d === 0 && !allowzero) {
      if (i >= inDims.length) throw new Error(`shape entry ${i} is 0 but the input has rank ${inDims.length}`);
      return inDims[i];
    }
    return d;
  });
  const neg = dims.filter((d) => d === -1).length;
  if (neg > 1) throw new Error(`shape [${shape}] has more than one -1`);
  if (dims.some((d) => d < -1)) throw new Error(`shape [${shape}] has an invalid entry`);
  const total = sizeOf(inDims);
  if (neg === 1) {
    const known = sizeOf(dims.filter((d) => d !== -1));
    if (known === 0 || total % known !== 0) throw new Error(`cannot infer -1 reshaping [${inDims}] to [${shape}]`);
    dims[dims.indexOf(-1)] = total / known;
  }
  if (sizeOf(dims) !== total) throw new Error(`cannot reshape [${inDims}] (${total} elements) to [${shape}]`);
  return dims;
}

export function transpose(x: RefTensor, perm: number[]): RefTensor {
  const r = x.dims.length;
  if (perm.length !== r || new Set(perm.map((p) => normAxis(p, r, 'perm entry'))).size !== r)
    throw new Error(`perm [${perm}] is not a permutation of rank ${r}`);
  const st = stridesOf(x.dims);
  const outDims = perm.map((p) => x.dims[p]);
  return makeTensor(
    x.dtype,
    outDims,
    gatherData(
      x.data,
      stridedMap(
        outDims,
        perm.map((p) => st[p]),
      ),
    ),
  );
}

function axesFrom(node: Parameters<Kernel>[0], t: RefTensor | undefined): number[] | undefined {
  if (t !== undefined) return numbersOf(t);
  return node.attrs.axes ? attrInts(node, 'axes') : undefined;
}

const squeeze: Kernel = (node, inputs) => {
  const x = need(inputs, 0, 'data');
  const axes = axesFrom(node, inputs[1]);
  const r = x.dims.length;
  if (axes === undefined)
    return [
      view(
        x,
        x.dims.filter((d) => d !== 1),
      ),
    ];
  const ax = new Set(axes.map((a) => normAxis(a, r, 'axes entry')));
  for (const a of ax) if (x.dims[a] !== 1) throw new Error(`cannot squeeze axis ${a} of size ${x.dims[a]}`);
  return [
    view(
      x,
      x.dims.filter((_, i) => !ax.has(i)),
    ),
  ];
};

const unsqueeze: Kernel = (node, inputs) => {
  const x = need(inputs, 0, 'data');
  const axes = axesFrom(node, inputs[1]);
  if (axes === undefined) throw new Error('Unsqueeze needs axes');
  const r = x.dims.length + axes.length;
  const ax = new Set(axes.map((a) => normAxis(a, r, 'axes entry')));
  if (ax.size !== axes.length) throw new Error(`axes [${axes}] has duplicates`);
  const dims: number[] = [];
  let k = 0;
  for (let i = 0; i < r; i++) dims.push(ax.has(i) ? 1 : x.dims[k++]);
  return [view(x, dims)];
};

const flatten: Kernel = (node, inputs) => {
  const x = need(inputs, 0, 'input');
  const r = x.dims.length;
  let axis = attrInt(node, 'axis', 1);
  if (axis < 0) axis += r;
  if (axis < 0 || axis > r) throw new Error(`axis ${attrInt(node, 'axis', 1)} is out of range for rank ${r}`);
  return [view(x, [sizeOf(x.dims.slice(0, axis)), sizeOf(x.dims.slice(axis))])];
};

const expand: Kernel = (_node, inputs) => {
  const x = need(inputs, 0, 'input');
  const dims = broadcastShapes(x.dims, numbersOf(need(inputs, 1, 'shape')));
  const map = broadcastMap(x.dims, dims);
  return [map ? makeTensor(x.dtype, dims, gatherData(x.data, map)) : x];
};

const depthToSpace: Kernel = (node, inputs) => {
  const x = need(inputs, 0, 'input');
  const b = attrInt(node, 'blocksize'),
    mode = attrString(node, 'mode', 'DCR');
  if (x.dims.length !== 4) throw new Error(`input must be 4-D, got [${x.dims}]`);
  const [N, C, H, W] = x.dims;
  if (C % (b * b) !== 0) throw new Error(`channels ${C} are not divisible by blocksize^2 = ${b * b}`);
  const c = C / (b * b);
  // View the input as 6-D, then permute to [N, c, H, b, W, b].
  let tmp: number[], perm: number[];
  if (mode === 'DCR') {
    tmp = [N, b, b, c, H, W];
    perm = [0, 3, 4, 1, 5, 2];
  } else if (mode === 'CRD') {
    tmp = [N, c, b, b, H, W];
    perm = [0, 1, 4, 2, 5, 3];
  } else throw new Error(`mode must be DCR or CRD, got '${mode}'`);
  const t = transpose(view(x, tmp), perm);
  return [view(t, [N, c, H * b, W * b])];
};

const spaceToDepth: Kernel = (node, inputs) => {
  const x = need(inputs, 0, 'input');
  const b = attrInt(node, 'blocksize');
  if (x.dims.length !== 4) throw new Error(`input must be 4-D, got [${x.dims}]`);
  const [N, C, H, W] = x.dims;
  if (H % b !== 0 || W % b !== 0) throw new Error(`spatial dims ${H}x${W} are not divisible by blocksize ${b}`);
  const t = transpose(view(x, [N, C, H / b, b, W / b, b]), [0, 3, 5, 1, 2, 4]);
  return [view(t, [N, C * b * b, H / b, W / b])];
};

export const kernels: Record<string, Kernel> = {
  Shape: (node, inputs) => {
    const x = need(inputs, 0, 'data'),
      r = x.dims.length;
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
    const start = clamp(attrInt(node, 'start', 0));
    const end = node.attrs.end ? clamp(attrInt(node, 'end')) : r;
    const dims = x.dims.slice(start, Math.max(start, end));
    return [int64Tensor([dims.length], dims)];
  },
  Size: (_n, inputs) => [int64Tensor([], [need(inputs, 0, 'data').data.length])],
  Reshape: (node, inputs) => {
    const x = need(inputs, 0, 'data');
    return [view(x, reshapeDims(x.dims, numbersOf(need(inputs, 1, 'shape')), attrInt(node, 'allowzero', 0) !== 0))];
  },
  Transpose: (node, inputs) => {
    const x = need(inputs, 0, 'data');
    const perm = node.attrs.perm ? attrInts(node, 'perm') : x.dims.map((_, i) => x.dims.length - 1 - i);
    return [transpose(x, perm)];
  },
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Flatten: flatten,
  Expand: expand,
  DepthToSpace: depthToSpace,
  SpaceToDepth: spaceToDepth,
};
