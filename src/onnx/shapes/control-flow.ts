/**
 * Shape inference of If: each branch is inferred in the scope of the node (it reads outer values),
 * and an output's shape is what both branches agree on (a dim they disagree on is unknown).
 */
import type { Dim, Graph, Node } from '../ir.js';
import type { OutputInfo } from './context.js';
import type { DType } from '../tensor.js';

/** Shapes of a subgraph's outputs, inferred by the caller in the node's scope. */
export type InferBranch = (g: Graph) => Map<string, { dtype: DType; shape?: Dim[] }>;

export function ifShapes(node: Node, where: string, infer: InferBranch): OutputInfo[] {
  const subs = ['then_branch', 'else_branch'].map((k) => {
    const a = node.attrs[k];
    if (!a || a.type !== 'graph') throw new Error(`${where}: If needs the graph attribute '${k}'`);
    return a.value;
  });
  const results = subs.map((g) => {
    const info = infer(g);
    return g.outputs.map((o) => info.get(o.name) ?? { dtype: o.dtype, shape: o.shape });
  });
  return node.outputs.map((_, i) => {
    const [t, e] = [results[0][i], results[1][i]];
    if (!t || !e)
      throw new Error(
        `${where}: If branches give ${results[0].length} and ${results[1].length} outputs; the node has ${node.outputs.length}`,
      );
    let shape: Dim[] | undefined;
    if (t.shape && e.shape && t.shape.length === e.shape.length)
      shape = t.shape.map((d, k) => (d === e.shape![k] ? d : null));
    return { dtype: t.dtype, shape };
  });
}

/** A body graph whose inputs take the given shapes (the body's own declarations are often empty). */
function withInputs(body: Graph, shapes: Array<{ dtype: DType; shape?: Dim[] } | undefined>): Graph {
  return {
    ...body,
    inputs: body.inputs.map((v, i) =>
      shapes[i] ? { ...v, dtype: shapes[i]!.dtype, shape: shapes[i]!.shape ? [...shapes[i]!.shape!] : v.shape } : v,
    ),
  };
}

/** Two shapes of one value (a loop-carried one before and after an iteration): dims that differ become unknown. */
function merge(a: Dim[] | undefined, b: Dim[] | undefined): Dim[] | undefined {
  if (!a || !b) return b ?? a;
  if (a.length !== b.length) return undefined;
  return a.map((d, k) => (d === b[k] ? d : null));
}

function bodyOf(node: Node, where: string): Graph {
  const a = node.attrs.body;
  if (!a || a.type !== 'graph') throw new Error(`${where}: ${node.opType} needs the graph attribute 'body'`);
  return a.value;
}

type InputInfo = (i: number) => { dtype: DType; shape?: Dim[] } | undefined;

/**
 * Loop: carried values keep their shape where the body keeps it; a scan output is the body's
 * per-iteration value with a leading axis of the trip count (`trips`, when known before training).
 */
export function loopShapes(
  node: Node,
  where: string,
  infer: InferBranch,
  input: InputInfo,
  trips: Dim | undefined,
): OutputInfo[] {
  const body = bodyOf(node, where);
  const carried = node.inputs.length - 2;
  const shapes = [
    { dtype: 'int64' as DType, shape: [] },
    { dtype: 'bool' as DType, shape: [] },
    ...node.inputs.slice(2).map((_, k) => input(2 + k)),
  ];
  const b = withInputs(body, shapes);
  const info = infer(b);
  return node.outputs.map((_, k) => {
    const o = body.outputs[1 + k];
    if (!o)
      throw new Error(
        `${where}: the Loop body gives ${body.outputs.length - 1} values after its condition; the node has ${node.outputs.length} outputs`,
      );
    const got = info.get(o.name) ?? { dtype: o.dtype, shape: o.shape };
    if (k < carried) return { dtype: got.dtype, shape: merge(input(2 + k)?.shape, got.shape) };
    return { dtype: got.dtype, shape: got.shape ? [trips ?? null, ...got.shape] : undefined };
  });
}

const ints = (node: Node, key: string): number[] | undefined => {
  const a = node.attrs[key];
  return a && a.type === 'ints' ? a.value : undefined;
};

/** The axis of a rank-`rank` tensor that attribute value `axis` names (negative counts from the end). */
const normAxis = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/**
 * Scan (opset 9+): states keep their shape where the body keeps it; scan inputs are sliced along
 * their scan axis, and scan outputs stack the body's values along theirs, with the scan length.
 */
export function scanShapes(node: Node, where: string, infer: InferBranch, input: InputInfo): OutputInfo[] {
  const body = bodyOf(node, where);
  const a = node.attrs.num_scan_inputs;
  if (!a || a.type !== 'int') throw new Error(`${where}: Scan needs the int attribute 'num_scan_inputs'`);
  const m = a.value;
  const n = node.inputs.length - m;
  const inAxes = ints(node, 'scan_input_axes') ?? new Array<number>(m).fill(0);
  const outAxes = ints(node, 'scan_output_axes');
  let length: Dim | undefined;
  const shapes = node.inputs.map((_, i) => {
    const s = input(i);
    if (i < n || !s) return s;
    if (!s.shape) return { dtype: s.dtype };
    const ax = normAxis(inAxes[i - n], s.shape.length);
    if (length === undefined || length === null) length = s.shape[ax];
    return { dtype: s.dtype, shape: s.shape.filter((_, k) => k !== ax) };
  });
  const info = infer(withInputs(body, shapes));
  return node.outputs.map((_, k) => {
    const o = body.outputs[k];
    if (!o)
      throw new Error(
        `${where}: the Scan body gives ${body.outputs.length} values; the node has ${node.outputs.length} outputs`,
      );
    const got = info.get(o.name) ?? { dtype: o.dtype, shape: o.shape };
    if (k < n) return { dtype: got.dtype, shape: merge(input(k)?.shape, got.shape) };
    if (!got.shape) return { dtype: got.dtype };
    const shape: Dim[] = [...got.shape];
    shape.splice(normAxis(outAxes?.[k - n] ?? 0, got.shape.length + 1), 0, length ?? null);
    return { dtype: got.dtype, shape };
  });
}
