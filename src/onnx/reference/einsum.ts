/** Einsum in float64 for any equation (repeated labels, ellipsis broadcasting, implicit output). */
import { attrString } from '../ir.js';
import { parseEinsum } from '../einsum.js';
import type { Kernel } from './kernel.js';
import { makeTensor, type RefTensor } from './tensor-util.js';

const einsum: Kernel = (node, inputs) => {
  const ts = inputs.filter((t): t is RefTensor => t !== undefined);
  const where = `node '${node.name}' (Einsum)`;
  const eq = parseEinsum(
    attrString(node, 'equation'),
    ts.map((t) => t.dims.length),
    where,
  );
  const size = new Map<string, number>();
  eq.inputs.forEach((labels, i) =>
    labels.forEach((l, k) => {
      const d = ts[i].dims[k],
        seen = size.get(l);
      if (seen === undefined || seen === 1) size.set(l, d);
      else if (d !== 1 && d !== seen) throw new Error(`${where}: label '${l}' has sizes ${seen} and ${d}`);
    }),
  );
  const all = [...size.keys()];
  const outLabels = eq.output;
  const sumLabels = all.filter((l) => !outLabels.includes(l));
  const order = [...outLabels, ...sumLabels];
  const pos = new Map(order.map((l, i) => [l, i]));
  // per input: stride of each label in `order` (0 for labels it lacks or broadcasts)
  const strides = ts.map((t, i) => {
    const s = new Array(order.length).fill(0);
    let stride = 1;
    for (let k = t.dims.length - 1; k >= 0; k--) {
      if (t.dims[k] !== 1) s[pos.get(eq.inputs[i][k])!] += stride;
      stride *= t.dims[k];
    }
    return s;
  });
  const data = ts.map((t) =>
    t.data instanceof Float64Array ? t.data : Float64Array.from(t.data as ArrayLike<number | bigint>, Number),
  );
  const dims = order.map((l) => size.get(l)!);
  const nOut = outLabels.reduce((a, l) => a * size.get(l)!, 1);
  const nSum = sumLabels.reduce((a, l) => a * size.get(l)!, 1);
  const out = new Float64Array(nOut);
  const idx = new Array(order.length).fill(0);
  for (let o = 0; o < nOut; o++) {
    let acc = 0;
    for (let s = 0; s < nSum; s++) {
      let prod = 1;
      for (let i = 0; i < ts.length; i++) {
        let off = 0;
        for (let a = 0; a < order.length; a++) off += idx[a] * strides[i][a];
        prod *= data[i][off];
      }
      acc += prod;
      for (let a = order.length - 1; a >= outLabels.length; a--) {
        if (++idx[a] < dims[a]) break;
        idx[a] = 0;
      }
    }
    out[o] = acc;
    for (let a = outLabels.length - 1; a >= 0; a--) {
      if (++idx[a] < dims[a]) break;
      idx[a] = 0;
    }
  }
  return [
    makeTensor(
      ts[0].dtype,
      outLabels.map((l) => size.get(l)!),
      out,
    ),
  ];
};

export const kernels: Record<string, Kernel> = { Einsum: einsum };
