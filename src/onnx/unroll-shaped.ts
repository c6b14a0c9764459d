/**
 * Unrolls the loops whose length is static once shapes are known: a `Scan` whose scan axis has a
 * static length, and a `Loop` whose trip count is computed from shapes (`Shape -> Gather`, say,
 * which shape inference resolves, possibly only after `inputShapes` pinned an axis). Each
 * iteration becomes a renamed copy of the body, as in unroll-loop.ts; a Scan's inputs are sliced
 * with Gather at the iteration's index (reversed for a reverse direction) and its outputs stacked
 * with Unsqueeze + Concat along their scan axes. Body weights become one outer parameter shared by
 * every iteration. Anything else (a symbolic length, nested subgraphs, more than MAX_UNROLL
 * iterations, Scan before opset 9) stays as it is, and `gymnosd check` names it.
 */
import type { Graph, Node } from './ir.js';
import { tensor } from './tensor.js';
import { inferShapes, type ShapeTable } from './shapes/infer.js';
import { hoistBodyInitializers, MAX_UNROLL, unrollStaticLoops } from './unroll-loop.js';

const ints = (n: Node, key: string): number[] | undefined => {
  const a = n.attrs[key];
  return a && a.type === 'ints' ? a.value : undefined;
};
const nested = (body: Graph) =>
  body.nodes.some((b) => Object.values(b.attrs).some((x) => x.type === 'graph' || x.type === 'graphs'));
const isOnnx = (n: Node) => n.domain === '' || n.domain === 'ai.onnx';

function tryInfer(g: Graph, opset: number): ShapeTable | undefined {
  try {
    return inferShapes(g, opset);
  } catch {
    return undefined;
  }
}

/** The Scan's nodes when it can be unrolled; undefined when not. */
function unrollScan(g: Graph, n: Node, table: ShapeTable): Node[] | undefined {
  const a = n.attrs.body;
  const k = n.attrs.num_scan_inputs;
  if (!a || a.type !== 'graph' || !k || k.type !== 'int' || nested(a.value)) return undefined;
  const body = a.value;
  const m = k.value;
  const nState = n.inputs.length - m;
  const scanIns = n.inputs.slice(nState);
  const inAxes = ints(n, 'scan_input_axes') ?? new Array<number>(m).fill(0);
  const inDirs = ints(n, 'scan_input_directions') ?? new Array<number>(m).fill(0);
  const nOut = body.outputs.length - nState;
  const outAxes = ints(n, 'scan_output_axes') ?? new Array<number>(nOut).fill(0);
  const outDirs = ints(n, 'scan_output_directions') ?? new Array<number>(nOut).fill(0);
  let length: number | undefined;
  const axes: number[] = [];
  for (const [j, x] of scanIns.entries()) {
    const shape = table.info.get(x)?.shape;
    if (!shape) return undefined;
    const ax = inAxes[j] < 0 ? inAxes[j] + shape.length : inAxes[j];
    const d = shape[ax];
    if (typeof d !== 'number' || (length !== undefined && d !== length)) return undefined;
    length = d;
    axes.push(ax);
  }
  if (length === undefined || length < 1 || length > MAX_UNROLL) return undefined;
  const out: Node[] = [];
  const weights = hoistBodyInitializers(g, body, n.name);
  const index = (i: number) => {
    const name = `${n.name}/index${i}`;
    g.initializers.set(name, tensor('int64', [], [i]));
    return name;
  };
  let states = n.inputs.slice(0, nState);
  const scans: string[][] = Array.from({ length: nOut }, () => []);
  for (let i = 0; i < length; i++) {
    const tag = `${n.name}/iter${i}`;
    const names = new Map<string, string>(weights);
    body.inputs.slice(0, nState).forEach((v, s) => names.set(v.name, states[s]));
    body.inputs.slice(nState).forEach((v, j) => {
      const slice = `${tag}/${v.name}`;
      out.push({
        name: `${tag}/slice${j}`,
        opType: 'Gather',
        domain: '',
        inputs: [scanIns[j], index(inDirs[j] ? length! - 1 - i : i)],
        outputs: [slice],
        attrs: { axis: { type: 'int', value: axes[j] } },
      });
      names.set(v.name, slice);
    });
    for (const b of body.nodes) for (const o of b.outputs) if (o) names.set(o, `${tag}/${o}`);
    const r = (v: string) => (v ? (names.get(v) ?? v) : v);
    for (const b of body.nodes)
      out.push({
        ...b,
        name: `${tag}/${b.name}`,
        inputs: b.inputs.map(r),
        outputs: b.outputs.map(r),
        attrs: { ...b.attrs },
      });
    states = body.outputs.slice(0, nState).map((o) => r(o.name));
    body.outputs.slice(nState).forEach((o, s) => scans[s].push(r(o.name)));
  }
  n.outputs.forEach((o, s) => {
    if (!o) return;
    if (s < nState) {
      out.push({
        name: `${n.name}/final${s}`,
        opType: 'Identity',
        domain: '',
        inputs: [states[s]],
        outputs: [o],
        attrs: {},
      });
      return;
    }
    const j = s - nState;
    const axis = `${n.name}/axis${j}`;
    g.initializers.set(axis, tensor('int64', [1], [outAxes[j]]));
    const order = outDirs[j] ? [...scans[j]].reverse() : scans[j];
    const parts = order.map((v, i) => {
      const u = `${n.name}/scan${j}/${i}`;
      out.push({ name: u, opType: 'Unsqueeze', domain: '', inputs: [v, axis], outputs: [u], attrs: {} });
      return u;
    });
    out.push({
      name: `${n.name}/stack${j}`,
      opType: 'Concat',
      domain: '',
      inputs: parts,
      outputs: [o],
      attrs: { axis: { type: 'int', value: outAxes[j] } },
    });
  });
  return out;
}

/**
 * Unrolls, in place, every top-level Scan with a static length and every Loop whose trip count
 * shape inference resolves to a number. Returns how many it unrolled.
 */
export function unrollShapedLoops(g: Graph, opset: number): number {
  if (opset < 9 || !g.nodes.some((n) => isOnnx(n) && (n.opType === 'Loop' || n.opType === 'Scan'))) return 0;
  let done = 0;
  // one at a time: an unrolled loop can make the next one's length known
  for (let pass = 0; pass < 64; pass++) {
    const table = tryInfer(g, opset);
    if (!table) return done;
    let changed = false;
    for (const [i, n] of g.nodes.entries()) {
      if (!isOnnx(n)) continue;
      if (n.opType === 'Scan') {
        const nodes = unrollScan(g, n, table);
        if (!nodes) continue;
        g.nodes.splice(i, 1, ...nodes);
        changed = true;
        break;
      }
      if (n.opType === 'Loop' && n.inputs[0] && !g.initializers.has(n.inputs[0])) {
        const m = table.values.get(n.inputs[0]);
        if (m?.length !== 1 || typeof m[0] !== 'number' || m[0] < 1 || m[0] > MAX_UNROLL) continue;
        const count = `${n.name}/trip_count`;
        g.initializers.set(count, tensor('int64', [], [m[0]]));
        const inputs = n.inputs;
        n.inputs = [count, ...inputs.slice(1)];
        unrollStaticLoops(g);
        g.initializers.delete(count); // read by the Loop only: gone with it, or not needed when it stays
        if (g.nodes.includes(n)) {
          n.inputs = inputs;
          continue;
        }
        changed = true;
        break;
      }
    }
    if (!changed) return done;
    done++;
  }
  return done;
}
