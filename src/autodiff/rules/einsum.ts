/**
 * Gradient rule for Einsum: the gradient of input k is the Einsum of the output gradient with the
 * other inputs, written to input k's labels. Labels only input k has (summed away) come back by
 * Unsqueeze + Expand; ellipsis axes broadcast from size 1 are summed back. Repeated labels within
 * one input (diagonals) have no rule.
 */
import { attrString } from '../../onnx/ir.js';
import { formatEinsum, parseEinsum } from '../../onnx/einsum.js';
import { AutodiffError, type GradContext, type GradRuleFamily } from '../rule.js';

function einsumGrad(c: GradContext): Array<string | undefined> {
  const { b, node } = c;
  const ranks = node.inputs.map((n) => c.shape(n).length);
  const eq = parseEinsum(attrString(node, 'equation'), ranks, c.where);
  const dy = c.dy(0)!;
  return node.inputs.map((name, k) => {
    if (!c.needs(k)) return undefined;
    const labels = eq.inputs[k];
    if (new Set(labels).size !== labels.length) {
      throw new AutodiffError(
        `${c.where}: Einsum '${attrString(node, 'equation')}' repeats a label within input ${k} (a diagonal); no gradient rule for that form`,
      );
    }
    const others = eq.inputs.filter((_, i) => i !== k);
    const reachable = new Set([...eq.output, ...others.flat()]);
    const kept = labels.filter((l) => reachable.has(l));
    let g = b.op('Einsum', [dy, ...node.inputs.filter((_, i) => i !== k)], {
      equation: formatEinsum([eq.output, ...others], kept),
    });
    const missing = labels.map((l, i) => (reachable.has(l) ? -1 : i)).filter((i) => i >= 0);
    if (missing.length) g = b.op('Unsqueeze', [g, b.ints(missing)]);
    // labels summed only inside input k, and ellipsis axes broadcast from 1, are restored/reduced
    // against input k's own shape.
    const xs = c.shape(name);
    const gShape = labels.map((l, i) => (missing.includes(i) ? 1 : broadcastDim(c, eq, l)));
    c.setShape(g, gShape, c.dtype(name));
    if (missing.length) {
      g = b.op('Expand', [g, b.op('Shape', [name])]);
      c.setShape(
        g,
        labels.map((l, i) => (missing.includes(i) ? xs[i] : gShape[i])),
        c.dtype(name),
      );
    }
    return c.unbroadcast(g, g, name);
  });
}

/** The size a label takes in the output (the largest of its sizes across inputs). */
function broadcastDim(c: GradContext, eq: ReturnType<typeof parseEinsum>, label: string) {
  let d: number | string | null = 1;
  eq.inputs.forEach((labels, i) =>
    labels.forEach((l, a) => {
      if (l !== label) return;
      const s = c.shape(c.node.inputs[i])[a];
      if (s !== 1) d = s;
    }),
  );
  return d;
}

export const einsumFamily: GradRuleFamily = { family: 'einsum', rules: { Einsum: einsumGrad } };
