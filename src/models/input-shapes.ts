/**
 * The `inputShapes` model option: the user pins input dimensions an export left symbolic (symbolic
 * H and W, a symbolic time axis) and makes a batch dimension the exporter fixed (at 1, typically)
 * symbolic again. `null` keeps (or makes) a dimension symbolic; a number pins it.
 *
 * Making a fixed batch symbolic rewrites the graph: the input's and outputs' axis 0 become `N`, and
 * every Reshape whose constant target carries the old batch size on axis 0 while its input's axis 0
 * is the batch copies it instead (target 0 -> "keep"). Shape inference with the symbolic batch then
 * has to carry `N` to every output's axis 0; a node where it is lost is named in the error.
 */
import type { Dim, Model } from '../onnx/ir.js';
import { producers } from '../onnx/ir.js';
import { tensor, toNumbers } from '../onnx/tensor.js';
import { inferShapes } from '../onnx/shapes/infer.js';
import { unrollShapedLoops } from '../onnx/unroll-shaped.js';
import { ModelError } from './errors.js';

/** Dims per input name: a size, or null (symbolic). */
export type InputShapes = Record<string, Array<number | null>>;

const BATCH = 'N';

/** Applies `shapes` to the canonical model in place; `path` is the config path for messages. */
export function applyInputShapes(model: Model, shapes: InputShapes, path: string): void {
  const g = model.graph;
  let batchFrom: number | undefined;
  for (const [name, dims] of Object.entries(shapes)) {
    const where = `${path}.inputShapes.${name}`;
    const v = g.inputs.find((i) => i.name === name);
    if (!v)
      throw new ModelError(
        `${where}: '${name}' is not an input of the model; inputs are: ${g.inputs.map((i) => i.name).join(', ')}`,
      );
    const have = v.shape;
    if (have && have.length !== dims.length) {
      throw new ModelError(
        `${where}: the export's input '${name}' has rank ${have.length} ([${have.map(show).join(', ')}]) but ${dims.length} dims were given; give one entry per axis (null keeps an axis symbolic)`,
      );
    }
    const next: Dim[] = dims.map((d, i) => {
      const old = have?.[i] ?? null;
      if (d !== null) {
        if (typeof old === 'number' && old !== d) {
          throw new ModelError(
            `${where}[${i}]: the export fixes axis ${i} of '${name}' at ${old}; it cannot be changed to ${d}${i === 0 ? ' (use null to make the batch symbolic)' : ''}`,
          );
        }
        return d;
      }
      if (typeof old !== 'number') return i === 0 ? BATCH : old;
      if (i !== 0)
        throw new ModelError(
          `${where}[${i}]: the export fixes axis ${i} of '${name}' at ${old}; only the batch axis (0) can be made symbolic again`,
        );
      batchFrom = old;
      return BATCH;
    });
    v.shape = next;
  }
  if (batchFrom !== undefined) symbolicBatch(model, batchFrom, path);
  // a Loop or Scan whose length the pinned shapes make static unrolls now
  unrollShapedLoops(g, model.opset.get('') ?? 18);
}

const show = (d: Dim) => (d === null ? '?' : String(d));

/** Rewrites Reshape targets that carry the fixed batch `old`, then checks every output carries `N`. */
function symbolicBatch(model: Model, old: number, path: string): void {
  const g = model.graph;
  const opset = model.opset.get('') ?? 18;
  g.valueInfo.clear();
  for (const o of g.outputs) if (o.shape && o.shape[0] === old) o.shape = [BATCH, ...o.shape.slice(1)];
  const prod = producers(g);
  // Reshapes in graph order: each rewrite changes the shapes the next one sees
  for (const n of g.nodes) {
    if (n.opType !== 'Reshape') continue;
    const target = g.initializers.get(n.inputs[1]);
    if (!target || target.dims.length !== 1) continue;
    const t = toNumbers(target);
    if (t[0] !== old) continue;
    const table = inferShapes(g, opset);
    const x = table.info.get(n.inputs[0])?.shape;
    if (!x || x[0] !== BATCH) continue;
    const name = `${n.inputs[1]}/batch`;
    g.initializers.set(name, tensor('int64', [t.length], [0, ...t.slice(1)]));
    n.inputs[1] = name;
    if (n.attrs.allowzero && n.attrs.allowzero.type === 'int' && n.attrs.allowzero.value === 1)
      delete n.attrs.allowzero;
  }
  let table;
  try {
    table = inferShapes(g, opset);
  } catch (e) {
    throw new ModelError(
      `${path}.inputShapes: with a symbolic batch the graph no longer infers: ${(e as Error).message}; keep the batch fixed (give its size instead of null)`,
    );
  }
  for (const o of g.outputs) {
    const s = table.info.get(o.name)?.shape;
    if (s && s[0] === BATCH) {
      o.shape = s;
      continue;
    }
    // walk back to the first node whose output lost the batch
    let lost: string | undefined;
    let v: string | undefined = o.name;
    while (v) {
      const n = prod.get(v);
      if (!n) break;
      const hasBatch = (name: string) => table.info.get(name)?.shape?.[0] === BATCH;
      const from = n.inputs.find((i) => i && hasBatch(i));
      if (from) {
        lost = `node '${n.name}' (${n.opType}) turns [${table.info.get(from)?.shape?.map(show).join(', ')}] into [${(table.info.get(v)?.shape ?? []).map(show).join(', ')}]`;
        break;
      }
      v = n.inputs.find((i) => i && prod.has(i));
    }
    throw new ModelError(
      `${path}.inputShapes: the batch of output '${o.name}' stays [${(s ?? []).map(show).join(', ')}] with a symbolic input batch${lost ? `: ${lost}` : ''}; the export hard-codes batch ${old} there, so keep the batch fixed (give ${old} instead of null) or re-export with a dynamic batch axis`,
    );
  }
}

/**
 * Parses command-line shapes `name=dims` (dims separated by `,` or `x`; `?`, `N` or `null` for a
 * symbolic axis), e.g. `x=?,3,64,64` or `x=Nx3x64x64`. `flag` names the option in errors.
 */
export function parseInputShapes(specs: string[], flag = '--input-shape'): InputShapes {
  const out: InputShapes = {};
  for (const spec of specs) {
    const eq = spec.lastIndexOf('=');
    const name = spec.slice(0, eq);
    const dims = spec
      .slice(eq + 1)
      .split(/[,x]/)
      .map((d) => d.trim());
    const bad = eq <= 0 || dims.some((d) => !/^(\d+|\?|N|null)$/.test(d) || d === '0');
    if (bad)
      throw new ModelError(
        `expected name=dims like x=?,3,64,64 (? or N for a symbolic axis) for ${flag} but got '${spec}'`,
      );
    out[name] = dims.map((d) => (/^\d+$/.test(d) ? Number(d) : null));
  }
  return out;
}
