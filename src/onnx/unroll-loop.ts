/**
 * Unrolls an ONNX `Loop` whose trip count is a constant and whose condition stays true (no
 * condition input, or a constant true one, and a body that passes its condition through or
 * returns a constant true): each iteration becomes a renamed copy of the body, scan outputs are
 * stacked with Unsqueeze + Concat. The autodiff then differentiates the copies like any other
 * nodes. Loops with a data-dependent trip count, nested subgraphs, or more than MAX_UNROLL
 * iterations stay as they are (and `gymnosd check` names them).
 */
import type { Graph, Node } from './ir.js';
import { tensor, toNumbers } from './tensor.js';

/** Iterations beyond which a Loop is not unrolled (the graph would grow by that many bodies). */
export const MAX_UNROLL = 64;

function constantOf(g: Graph, body: Graph | undefined, name: string): number[] | undefined {
  const t = body?.initializers.get(name) ?? g.initializers.get(name);
  if (t) return toNumbers(t);
  if (body) {
    const n = body.nodes.find((m) => m.outputs.includes(name));
    const a = n?.opType === 'Constant' ? n.attrs.value : undefined;
    if (a && a.type === 'tensor') return toNumbers(a.value);
  }
  return undefined;
}

/** Whether the body's condition output is always true given a true condition input. */
function alwaysTrue(g: Graph, body: Graph): boolean {
  const out = body.outputs[0]?.name;
  const condIn = body.inputs[1]?.name;
  if (!out) return false;
  if (out === condIn) return true;
  const n = body.nodes.find((m) => m.outputs.includes(out));
  if (n?.opType === 'Identity' && n.inputs[0] === condIn) return true;
  // torch.jit.script exports: Identity of the outer constant true
  const v = constantOf(g, body, n?.opType === 'Identity' ? n.inputs[0] : out);
  return !!v && v.length === 1 && v[0] !== 0;
}

function unrollable(g: Graph, n: Node): { body: Graph; trips: number } | undefined {
  const a = n.attrs.body;
  if (n.opType !== 'Loop' || n.domain !== '' || !a || a.type !== 'graph') return undefined;
  const body = a.value;
  const m = n.inputs[0] ? constantOf(g, undefined, n.inputs[0]) : undefined;
  if (!m || m.length !== 1 || m[0] < 1 || m[0] > MAX_UNROLL) return undefined;
  const cond = n.inputs[1] ? constantOf(g, undefined, n.inputs[1]) : [1];
  if (!cond || cond[0] === 0 || !alwaysTrue(g, body)) return undefined;
  if (body.nodes.some((b) => Object.values(b.attrs).some((x) => x.type === 'graph' || x.type === 'graphs')))
    return undefined;
  return { body, trips: m[0] };
}

/**
 * Moves a loop body's initializers into `g` once, so every unrolled iteration reads the same
 * tensor (weights stay one parameter, shared across iterations, as in the loop); keeps the name
 * when it is free. Returns body name -> outer name.
 */
export function hoistBodyInitializers(g: Graph, body: Graph, nodeName: string): Map<string, string> {
  const out = new Map<string, string>();
  const taken = (v: string) =>
    g.initializers.has(v) || g.inputs.some((i) => i.name === v) || g.nodes.some((m) => m.outputs.includes(v));
  for (const [k, t] of body.initializers) {
    let to = k;
    for (let i = 1; taken(to); i++) to = `${nodeName}/${k}${i > 1 ? `_${i}` : ''}`;
    g.initializers.set(to, t);
    out.set(k, to);
  }
  return out;
}

/** Unrolls every unrollable Loop of `g` (top level) in place. */
export function unrollStaticLoops(g: Graph): void {
  const out: Node[] = [];
  for (const n of g.nodes) {
    const u = unrollable(g, n);
    if (!u) {
      out.push(n);
      continue;
    }
    const { body, trips } = u;
    const nCarried = n.inputs.length - 2;
    let carried = n.inputs.slice(2);
    const scans: string[][] = body.outputs.slice(1 + nCarried).map(() => []);
    const weights = hoistBodyInitializers(g, body, n.name);
    for (let i = 0; i < trips; i++) {
      const tag = `${n.name}/iter${i}`;
      const names = new Map<string, string>();
      const iterName = `${tag}/iteration`;
      g.initializers.set(iterName, tensor('int64', [], [i]));
      names.set(body.inputs[0].name, iterName);
      const condIn = body.inputs[1]?.name;
      if (condIn && body.nodes.some((b) => b.inputs.includes(condIn))) {
        const trueName = `${tag}/cond`;
        g.initializers.set(trueName, tensor('bool', [], [1]));
        names.set(condIn, trueName);
      }
      body.inputs.slice(2).forEach((v, k) => names.set(v.name, carried[k]));
      for (const [k, v] of weights) names.set(k, v);
      for (const b of body.nodes) for (const o of b.outputs) if (o) names.set(o, `${tag}/${o}`);
      const r = (v: string) => (v ? (names.get(v) ?? v) : v);
      for (const b of body.nodes) {
        out.push({
          ...b,
          name: `${tag}/${b.name}`,
          inputs: b.inputs.map(r),
          outputs: b.outputs.map(r),
          attrs: { ...b.attrs },
        });
      }
      carried = body.outputs.slice(1, 1 + nCarried).map((o) => r(o.name));
      body.outputs.slice(1 + nCarried).forEach((o, k) => scans[k].push(r(o.name)));
    }
    const axis0 = `${n.name}/axis0`;
    if (n.outputs.slice(nCarried).some((o) => o)) g.initializers.set(axis0, tensor('int64', [1], [0]));
    n.outputs.forEach((o, k) => {
      if (!o) return;
      if (k < nCarried) {
        out.push({
          name: `${n.name}/final${k}`,
          opType: 'Identity',
          domain: '',
          inputs: [carried[k]],
          outputs: [o],
          attrs: {},
        });
        return;
      }
      const parts = scans[k - nCarried].map((s, i) => {
        const u = `${n.name}/scan${k - nCarried}/${i}`;
        out.push({ name: u, opType: 'Unsqueeze', domain: '', inputs: [s, axis0], outputs: [u], attrs: {} });
        return u;
      });
      out.push({
        name: `${n.name}/stack${k - nCarried}`,
        opType: 'Concat',
        domain: '',
        inputs: parts,
        outputs: [o],
        attrs: { axis: { type: 'int', value: 0 } },
      });
    });
  }
  g.nodes = out;
}
