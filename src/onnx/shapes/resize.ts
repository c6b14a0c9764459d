/**
 * Resize geometry, shared by shape inference, the float64 reference and the gradient rule: the
 * output size of each axis, and each axis's interpolation matrix M[out, in] (y = M x along the
 * axis). Resize is separable, so the op is M applied along every resized axis and its gradient is
 * M transposed applied along the same axes.
 *
 * Supported (what exporters emit): mode nearest (nearest_mode round_prefer_floor, round_prefer_ceil,
 * floor, ceil) and linear; coordinate_transformation_mode half_pixel, pytorch_half_pixel,
 * align_corners, asymmetric, tf_half_pixel_for_nn; `scales` or `sizes`, the opset 18 `axes`.
 * Linear clamps the source coordinate to [0, in - 1] as ONNX Runtime and PyTorch do.
 */
import { attrInt, attrInts, attrString, type Dim, type Node } from '../ir.js';
import type { ShapeRule } from './context.js';
import { dimEq } from './dims.js';

const MODES = ['nearest', 'linear'];
const COORDS = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'];
const NEAREST = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];

export interface ResizeAttrs {
  mode: string;
  coord: string;
  nearest: string;
}

/** The node's attributes, or an error naming the node and the unsupported value. */
export function resizeAttrs(node: Node, where: string): ResizeAttrs {
  const mode = attrString(node, 'mode', 'nearest');
  const coord = attrString(node, 'coordinate_transformation_mode', 'half_pixel');
  const nearest = attrString(node, 'nearest_mode', 'round_prefer_floor');
  const bad = (what: string, v: string, ok: string[]) =>
    new Error(`${where}: Resize ${what} '${v}' is not supported (supported: ${ok.join(', ')})`);
  if (!MODES.includes(mode)) throw bad('mode', mode, MODES);
  if (!COORDS.includes(coord)) throw bad('coordinate_transformation_mode', coord, COORDS);
  if (mode === 'nearest' && !NEAREST.includes(nearest)) throw bad('nearest_mode', nearest, NEAREST);
  if (attrInt(node, 'antialias', 0) !== 0)
    throw new Error(`${where}: Resize with antialias=1 is not supported; re-export without antialiasing`);
  const policy = attrString(node, 'keep_aspect_ratio_policy', 'stretch');
  if (policy !== 'stretch')
    throw new Error(`${where}: Resize keep_aspect_ratio_policy '${policy}' is not supported; use explicit sizes`);
  return { mode, coord, nearest };
}

/** Per-axis (in, out, scale) of a Resize on input dims `x`; `null` outputs where not known. */
export function resizeAxes(
  node: Node,
  x: Dim[],
  scales: Dim[] | undefined,
  sizes: Dim[] | undefined,
  where: string,
): Array<{ in: Dim; out: Dim; scale: number | null }> {
  const r = x.length;
  const axes = attrInts(
    node,
    'axes',
    x.map((_, i) => i),
  ).map((a) => (a < 0 ? a + r : a));
  const out = x.map((d) => ({ in: d, out: d, scale: 1 as number | null }));
  const given = sizes ?? scales;
  if (!given) throw new Error(`${where}: Resize needs constant scales or sizes (computed at run time here)`);
  if (given.length !== axes.length)
    throw new Error(`${where}: Resize has ${given.length} ${sizes ? 'sizes' : 'scales'} for ${axes.length} axes`);
  axes.forEach((a, k) => {
    const d = x[a];
    const v = given[k];
    if (sizes) {
      // a size equal to the input's (a symbolic batch read back from Shape) leaves the axis alone
      out[a] = {
        in: d,
        out: v,
        scale: dimEq(v, d) ? 1 : typeof v === 'number' && typeof d === 'number' ? v / d : null,
      };
    } else {
      const s = typeof v === 'number' ? v : null;
      out[a] = {
        in: d,
        out: s === 1 ? d : typeof d === 'number' && s !== null ? Math.floor(d * s + 1e-9) : null,
        scale: s,
      };
    }
  });
  return out;
}

/** Source coordinate of output position `o` along an axis. */
function source(coord: string, o: number, inSize: number, outSize: number, scale: number): number {
  switch (coord) {
    case 'half_pixel':
      return (o + 0.5) / scale - 0.5;
    case 'pytorch_half_pixel':
      return outSize > 1 ? (o + 0.5) / scale - 0.5 : 0;
    case 'align_corners':
      return outSize > 1 ? (o * (inSize - 1)) / (outSize - 1) : 0;
    case 'tf_half_pixel_for_nn':
      return (o + 0.5) / scale;
    default:
      return o / scale;
  }
}

function roundNearest(mode: string, x: number): number {
  switch (mode) {
    case 'floor':
      return Math.floor(x);
    case 'ceil':
      return Math.ceil(x);
    case 'round_prefer_ceil':
      return Math.round(x);
    default:
      return x === Math.floor(x) + 0.5 ? Math.floor(x) : Math.round(x);
  }
}

/** The interpolation matrix M[out][in] (row-major, out * in) of one axis. */
export function resizeMatrix(a: ResizeAttrs, inSize: number, outSize: number, scale: number): Float64Array {
  const m = new Float64Array(outSize * inSize);
  for (let o = 0; o < outSize; o++) {
    const x = source(a.coord, o, inSize, outSize, scale);
    if (a.mode === 'nearest') {
      const i = Math.min(Math.max(roundNearest(a.nearest, x), 0), inSize - 1);
      m[o * inSize + i] = 1;
    } else {
      const c = Math.min(Math.max(x, 0), inSize - 1);
      const i0 = Math.floor(c);
      const i1 = Math.min(i0 + 1, inSize - 1);
      const t = c - i0;
      m[o * inSize + i0] += 1 - t;
      m[o * inSize + i1] += t;
    }
  }
  return m;
}

/** Scales (float) or sizes (int) of a Resize node: which input holds them. */
export function resizeInputs(node: Node): { scales?: string; sizes?: string } {
  const at = (i: number) => (node.inputs[i] ? node.inputs[i] : undefined);
  return { scales: at(2), sizes: at(3) };
}

/** Shape rule of Resize (and Upsample, which canonicalization turns into Resize). */
export const resizeRules: Record<string, ShapeRule> = {
  Resize: (c) => {
    const x = c.info(0).shape;
    if (!x) return [{ dtype: c.dtype(0) }];
    const scales = c.has(2) ? c.value(2) : undefined;
    const sizes = c.has(3) ? c.value(3) : undefined;
    if (!scales && !sizes) return [{ dtype: c.dtype(0), shape: x.map(() => null) }];
    return [{ dtype: c.dtype(0), shape: resizeAxes(c.node, x, scales, sizes, c.where).map((a) => a.out) }];
  },
};
