/**
 * Control-flow canonicalization for training: weights stored inside `If` branches (as Silero-VAD
 * style exports keep them) move to the main graph, where they are ordinary parameters the branches
 * read from the outer scope; an `If` whose condition is a constant is replaced by the branch it
 * always takes. What remains is an `If` on a data condition, which the autodiff differentiates
 * (src/autodiff/rules/control-flow.ts).
 */
import type { Graph, Node } from './ir.js';
import { toNumbers } from './tensor.js';

function branches(n: Node): Graph[] {
  const out: Graph[] = [];
  for (const a of Object.values(n.attrs)) {
    if (a.type === 'graph') out.push(a.value);
    else if (a.type === 'graphs') out.push(...a.value);
  }
  return out;
}

/** Renames value `from` to `to` in a subgraph and the subgraphs inside it (reads and outputs). */
function renameIn(g: Graph, from: string, to: string): void {
  for (const n of g.nodes) {
    n.inputs = n.inputs.map((i) => (i === from ? to : i));
    for (const s of branches(n)) renameIn(s, from, to);
  }
  for (const o of g.outputs) if (o.name === from) o.name = to;
}

/** Moves the initializers of every If branch (recursively) into `g`, renaming on a clash. */
export function hoistBranchInitializers(g: Graph): void {
  for (const n of g.nodes) {
    if (n.opType !== 'If') continue;
    for (const sub of branches(n)) {
      hoistBranchInitializers(sub);
      for (const [name, t] of sub.initializers) {
        let to = name;
        for (let k = 1; g.initializers.has(to) || g.nodes.some((m) => m.outputs.includes(to)); k++)
          to = `${n.name}/${name}_${k}`;
        if (to !== name) renameIn(sub, name, to);
        g.initializers.set(to, t);
      }
      sub.initializers.clear();
    }
  }
}

/** Replaces each If with a constant condition by the nodes of the branch it takes. */
export function inlineConstantIfs(g: Graph): void {
  const out: Node[] = [];
  for (const n of g.nodes) {
    const cond = n.opType === 'If' && n.domain === '' ? g.initializers.get(n.inputs[0]) : undefined;
    if (!cond || cond.data.length !== 1) {
      out.push(n);
      continue;
    }
    const taken = n.attrs[toNumbers(cond)[0] ? 'then_branch' : 'else_branch'];
    if (!taken || taken.type !== 'graph') {
      out.push(n);
      continue;
    }
    const sub = taken.value;
    inlineConstantIfs(sub);
    for (const [name, t] of sub.initializers) g.initializers.set(name, t);
    out.push(...sub.nodes);
    sub.outputs.forEach((o, i) => {
      if (n.outputs[i])
        out.push({
          name: `${n.name}/out${i}`,
          opType: 'Identity',
          domain: '',
          inputs: [o.name],
          outputs: [n.outputs[i]],
          attrs: {},
        });
    });
  }
  g.nodes = out;
}
