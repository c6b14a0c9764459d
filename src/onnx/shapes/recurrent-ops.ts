/** Shape rules for LSTM, GRU and Einsum. */
import type { Dim } from '../ir.js';
import { attrString } from '../ir.js';
import { recurrentSpec } from '../recurrent-spec.js';
import { parseEinsum } from '../einsum.js';
import { broadcastShapes } from './dims.js';
import type { OutputInfo, ShapeCtx, ShapeRule } from './context.js';

function recurrent(c: ShapeCtx): OutputInfo[] {
  const spec = recurrentSpec(c.node);
  const x = c.shape(0);
  if (x.length !== 3)
    throw new Error(
      `${c.where}: X must have rank 3 (${spec.layout ? '[batch, seq, input]' : '[seq, batch, input]'}), got [${x.join(', ')}]`,
    );
  const r = c.shape(2);
  const hidden: Dim = spec.hidden ?? r[2] ?? null;
  const [seq, batch] = spec.layout === 0 ? [x[0], x[1]] : [x[1], x[0]];
  const nd = spec.numDirections;
  const dtype = c.dtype(0);
  const y: Dim[] = spec.layout === 0 ? [seq, nd, batch, hidden] : [batch, seq, nd, hidden];
  const h: Dim[] = spec.layout === 0 ? [nd, batch, hidden] : [batch, nd, hidden];
  const outs: OutputInfo[] = [
    { dtype, shape: y },
    { dtype, shape: h },
  ];
  if (spec.op === 'LSTM') outs.push({ dtype, shape: [...h] });
  return outs;
}

function einsum(c: ShapeCtx): OutputInfo[] {
  const eq = parseEinsum(
    attrString(c.node, 'equation'),
    Array.from({ length: c.count }, (_, i) => c.shape(i).length),
    c.where,
  );
  const size = new Map<string, Dim[]>();
  eq.inputs.forEach((labels, i) => {
    const s = c.shape(i);
    labels.forEach((l, k) => size.set(l, [...(size.get(l) ?? []), s[k]]));
  });
  const dimOf = (l: string): Dim => {
    const ds = size.get(l) ?? [];
    return (
      broadcastShapes(
        ds.map((d) => [d]),
        c.where,
      )[0] ?? 1
    );
  };
  return [{ dtype: c.dtype(0), shape: eq.output.map(dimOf) }];
}

export const recurrentOpRules: Record<string, ShapeRule> = { LSTM: recurrent, GRU: recurrent, Einsum: einsum };
