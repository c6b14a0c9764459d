/**
 * Float initializers that only ever compute constants: exports build Resize scales, Pad values or
 * Expand targets from float Constants through Concat, Cast, Mul, ... (torch's `interpolate` gives
 * `Resize(x, '', Concat([1, 1], [2, 2]))`). Such a value never reaches the loss through a
 * differentiable slot, so it is not a parameter even though it feeds an ordinary op first.
 */
import { consumers, type Graph, type Node } from '../onnx/ir.js';

/**
 * Names of the initializers whose every use ends in a constant slot (`constantSlots`), a
 * non-differentiable op (`barriers`), or nothing, through any chain of ops. A use inside a subgraph
 * or by a graph output counts as a real use.
 */
export function shapeOnlyInitializers(
  g: Graph,
  constantSlots: Record<string, number[]>,
  barriers: ReadonlySet<string>,
): Set<string> {
  const uses = consumers(g);
  const outputs = new Set(g.outputs.map((o) => o.name));
  const memo = new Map<string, boolean>();
  const constantOnly = (value: string): boolean => {
    const known = memo.get(value);
    if (known !== undefined) return known;
    memo.set(value, false); // cycles (none in valid graphs) count as real uses
    const ok =
      !outputs.has(value) &&
      (uses.get(value) ?? []).every((n: Node) => {
        if (barriers.has(n.opType)) return true;
        const slots = n.inputs.map((v, i) => (v === value ? i : -1)).filter((i) => i >= 0);
        if (slots.length === 0) return false; // read inside a subgraph
        if (slots.every((i) => (constantSlots[n.opType] ?? []).includes(i))) return true;
        return n.outputs.every((o) => !o || constantOnly(o));
      });
    memo.set(value, ok);
    return ok;
  };
  return new Set([...g.initializers.keys()].filter((name) => constantOnly(name)));
}
