/**
 * Resize (nearest, linear; the coordinate modes of resize geometry in ../shapes/resize.ts):
 * the interpolation matrix of each resized axis applied along that axis, in float64.
 */
import type { Kernel } from './kernel.js';
import { need } from './kernel.js';
import { floatData, makeTensor, numbersOf, sizeOf } from './tensor-util.js';
import { resizeAttrs, resizeAxes, resizeMatrix } from '../shapes/resize.js';

/** y = M x along `axis` of `x` (dims `dims`), M [out, in] row-major. */
function alongAxis(x: Float64Array, dims: number[], axis: number, m: Float64Array, out: number): Float64Array {
  const inSize = dims[axis];
  const outer = sizeOf(dims.slice(0, axis));
  const inner = sizeOf(dims.slice(axis + 1));
  const y = new Float64Array(outer * out * inner);
  for (let a = 0; a < outer; a++) {
    for (let o = 0; o < out; o++) {
      const dst = (a * out + o) * inner;
      for (let i = 0; i < inSize; i++) {
        const w = m[o * inSize + i];
        if (w === 0) continue;
        const src = (a * inSize + i) * inner;
        for (let k = 0; k < inner; k++) y[dst + k] += w * x[src + k];
      }
    }
  }
  return y;
}

export const kernels: Record<string, Kernel> = {
  Resize: (node, inputs) => {
    const x = need(inputs, 0, 'X');
    const where = `node '${node.name}' (Resize)`;
    const a = resizeAttrs(node, where);
    const scales = inputs[2] && inputs[2].data.length ? numbersOf(inputs[2]) : undefined;
    const sizes = inputs[3] && inputs[3].data.length ? numbersOf(inputs[3]) : undefined;
    const axes = resizeAxes(node, x.dims, scales, sizes, where);
    let data = floatData(x, 'X');
    const dims = [...x.dims];
    axes.forEach((ax, k) => {
      const [inn, out] = [ax.in as number, ax.out as number];
      if (inn === out && ax.scale === 1) return;
      data = alongAxis(data, dims, k, resizeMatrix(a, inn, out, ax.scale ?? out / inn), out);
      dims[k] = out;
    });
    return [makeTensor(x.dtype, dims, data)];
  },
};
