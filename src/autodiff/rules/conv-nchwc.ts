/**
 * Lowering of a training graph's 2-D convolutions onto ONNX Runtime's blocked NCHWc CPU kernels
 * (`com.microsoft.nchwc` Conv, ReorderInput, ReorderOutput: MLAS, x86 with AVX2 or AVX-512).
 *
 * ORT's own NchwcTransformer does this only for Conv nodes whose weights are constant
 * initializers; in a training graph the weights are inputs (and the input-gradient Convs take a
 * flipped copy), so every Conv there ran on the generic im2col + GEMM path. Here each eligible
 * Conv becomes ReorderInput(X) -> nchwc.Conv(X', W', B) -> ReorderOutput, with W' the weights
 * reordered inside the graph by Reshape + Transpose into the layout MLAS reads:
 *
 * - OIHWBiBo `[Co/b, C/b, kh, kw, b_in, b_out]` for group 1 with C and Co multiples of the block b,
 * - OIHWBo `[Co/b, C, kh, kw, b_out]` for group 1 with C < b (the input stays NCHW, as the stem),
 *   and for depthwise convolutions (group = C = Co, a multiple of b; the input is reordered), also
 *   with a symbolic kernel height (the stacked-batch depthwise weight gradient, conv-depthwise.ts),
 * - OIHWBiBo after zero-padding the channels to a block multiple at run time, for group-1 Convs
 *   whose input channels are symbolic: the weight gradient's Conv over the batch as channels. The
 *   padding sits in an If taken only when the batch is not a block multiple (ragged last batch). Its
 *   kernel is Transpose(dY, [1, 0, 2, 3]); that Transpose is dropped and dY blocked directly by
 *   ReorderInput plus one Transpose that moves whole blocks (the element-wise reorder of the
 *   swapped tensor was 19% of ResNet-20's step). A tensor read by several lowered Convs (dY by
 *   the input-gradient and the weight-gradient Conv) is reordered once.
 *
 * Everything else (other groups, ranks, channel counts) stays a standard Conv. The block size is
 * the machine's (8 with AVX2, 16 with AVX-512); `session/nchwc.ts` probes it from the runtime.
 * Used only for CPU sessions: the saved and exported models stay standard ONNX.
 */
import type { Graph, Node } from '../../onnx/ir.js';
import { attrInt, attrInts, emptyGraph, nodeDependencies } from '../../onnx/ir.js';
import { GraphBuilder } from '../../onnx/builder.js';
import type { ShapeTable } from '../../onnx/shapes/infer.js';

export const NCHWC_DOMAIN = 'com.microsoft.nchwc';
/** The contrib ops the lowering emits (tests check the installed runtime has each). */
export const NCHWC_OPS = ['Conv', 'ReorderInput', 'ReorderOutput'] as const;

/**
 * Whether CPU sessions here will lower Convs onto NCHWc (x64, where MLAS has the kernels, and not
 * turned off with GYMNOS_NCHWC=0). The weight-gradient rule picks its formulation by this: the
 * Conv over the batch wins only on the NCHWc kernels (2x there, 1.25x slower on the generic path).
 */
export function nchwcExpected(): boolean {
  return process.arch === 'x64' && process.env.GYMNOS_NCHWC !== '0';
}

type Layout = {
  filter: 'OIHWBiBo' | 'OIHWBo';
  reorderInput: boolean;
  /**
   * input channels symbolic (the batch of a weight-gradient Conv): padded to a block multiple at run time
   */
  dynamic?: boolean;
};

function layoutOf(n: Node, table: ShapeTable, block: number): Layout | undefined {
  if (n.domain !== '' || n.opType !== 'Conv' || n.inputs.length < 2) return undefined;
  const xi = table.info.get(n.inputs[0]);
  const x = xi?.shape;
  const w = table.info.get(n.inputs[1])?.shape;
  if (!x || !w || x.length !== 4 || w.length !== 4 || xi?.dtype !== 'float32') return undefined;
  const [co, cig, kh, kw] = w;
  const c = x[1];
  const group = attrInt(n, 'group', 1);
  // a depthwise Conv whose kernel height is symbolic: the stacked-batch depthwise weight gradient
  // (conv-depthwise.ts) stacks the batch along the rows of X and of the dY kernel
  if (typeof co === 'number' && typeof kw === 'number' && typeof kh !== 'number')
    return group === c && cig === 1 && co === c && c % block === 0
      ? { filter: 'OIHWBo', reorderInput: true }
      : undefined;
  if (typeof co !== 'number' || typeof kh !== 'number' || typeof kw !== 'number' || co % block !== 0) return undefined;
  if (typeof c !== 'number' || typeof cig !== 'number') {
    // a Conv over the batch as channels (the weight gradient): group 1, channels known only at run time
    return group === 1 && n.inputs.length === 2 && !n.attrs.auto_pad
      ? { filter: 'OIHWBiBo', reorderInput: true, dynamic: true }
      : undefined;
  }
  if (group === 1 && c % block === 0) return { filter: 'OIHWBiBo', reorderInput: true };
  if (group === 1 && c < block) return { filter: 'OIHWBo', reorderInput: false };
  if (group === c && cig === 1 && co === c && c % block === 0) return { filter: 'OIHWBo', reorderInput: true };
  return undefined;
}

/**
 * Rewrites every eligible Conv of `graph` (shapes from `table`) onto the NCHWc kernels with
 * block size `block`, in place; returns how many were rewritten.
 */
export function lowerConvsToNchwc(graph: Graph, table: ShapeTable, block: number): number {
  if (!(block === 8 || block === 16))
    throw new Error(`NCHWc block size must be 8 or 16 (the MLAS blocks), got ${block}`);
  const out: Node[] = [];
  const b = new GraphBuilder(graph, 'nchwc', out);
  let count = 0;
  const producer = new Map<string, Node>();
  const uses = new Map<string, number>();
  for (const n of graph.nodes) {
    for (const o of n.outputs) producer.set(o, n);
    for (const i of nodeDependencies(n)) uses.set(i, (uses.get(i) ?? 0) + 1);
  }
  for (const o of graph.outputs) uses.set(o.name, (uses.get(o.name) ?? 0) + 1);
  /** Transposes whose only reader was rewritten to read their input instead (dropped at the end). */
  const bypassed = new Set<Node>();
  /** ReorderInput outputs by input: a tensor read by two lowered Convs is blocked once */
  const reordered = new Map<string, string>();
  const reorderOnce = (v: string): string => {
    let r = reordered.get(v);
    if (!r) {
      r = b.fresh('x');
      b.emit('ReorderInput', [v], [r], { channels_last: 0 }, NCHWC_DOMAIN);
      reordered.set(v, r);
    }
    return r;
  };
  for (const n of graph.nodes) {
    const layout = layoutOf(n, table, block);
    if (!layout) {
      out.push(n);
      continue;
    }
    const x = n.inputs[0];
    let w = n.inputs[1];
    const bias = n.inputs[2];
    const [co, cigDim, kh, kw] = table.info.get(w)!.shape!;
    const cig = typeof cigDim === 'number' ? cigDim : -1;
    const start = out.length;
    let extra: string | undefined;
    /** whether the symbolic channel count (the batch) is a block multiple: then nothing is padded */
    let whole: string | undefined;
    /** the input already blocked (when the lowering reorders it behind a padding If) */
    let xBlocked: string | undefined;
    const prefix = `${n.name}/nchwc`;
    if (layout.dynamic) {
      // zero channels up to a multiple of the block, on X and W alike (they add nothing). A Pad
      // copies even when it adds nothing (57 no-op Pads were 6% of ResNet-20's step at batch 64),
      // so each sits in an If with the ReorderInput after it, taken only for a ragged batch. X
      // needs none when its channels are a multiple of 4: ReorderInput zero-fills up to the block.
      const channels = b.op('Gather', [b.op('Shape', [x]), b.ints([1])], { axis: 0 });
      const blk = b.ints([block]);
      const rest = b.op('Mod', [channels, blk]);
      extra = b.op('Mod', [b.op('Sub', [blk, rest]), blk]);
      whole = scalarIsZero(b, rest);
      const pads = b.op('Concat', [b.ints([0, 0, 0, 0, 0]), extra, b.ints([0, 0])], { axis: 0 });
      const by4 = scalarIsZero(b, b.op('Mod', [channels, b.ints([4])]));
      xBlocked = reorderPadded(b, `${prefix}/x`, by4, x, pads);
      if (!batchSwapped(producer.get(n.inputs[1]), uses)) w = b.op('Pad', [w, pads]);
    }
    let filter: string;
    const swapped = layout.dynamic ? batchSwapped(producer.get(n.inputs[1]), uses) : undefined;
    if (swapped && extra) {
      // W = Transpose(T, [1, 0, 2, 3]) with T = dY [N, Co, kh, kw]: ReorderInput blocks Co
      // (MLAS), then one Transpose that keeps the 8 or 16 blocked floats together gives
      // [Co/b, N/b, kh, kw, b_N, b_Co]; the element-wise Transpose of W was ~17% of ResNet-20's step
      // ReorderInput(dY) is shared with the input-gradient Conv's (stride 1) reorder of dY; a ragged
      // batch is padded after it (axis 0 is outermost in both layouts), inside the If
      const blocked = reorderOnce(swapped.inputs[0]);
      const padsN = b.op('Concat', [b.ints([0, 0, 0, 0]), extra, b.ints([0, 0, 0])], { axis: 0 });
      filter = ifPadded(b, `${prefix}/w`, whole!, (sub, pad) => {
        const split = sub.op('Reshape', [
          pad ? sub.op('Pad', [blocked, padsN]) : blocked,
          sub.ints([-1, block, (co as number) / block, kh as number, kw as number, block]),
        ]);
        return sub.op('Reshape', [
          sub.op('Transpose', [split], { perm: [2, 0, 3, 4, 1, 5] }),
          sub.ints([co as number, -1, kh as number, kw as number]),
        ]);
      });
      bypassed.add(swapped.node);
    } else if (layout.filter === 'OIHWBiBo') {
      const split = b.op('Reshape', [
        w,
        b.ints([(co as number) / block, block, cig < 0 ? -1 : cig / block, block, kh as number, kw as number]),
      ]);
      filter = b.op('Reshape', [
        b.op('Transpose', [split], { perm: [0, 2, 4, 5, 3, 1] }),
        b.ints([co as number, cig, kh as number, kw as number]),
      ]);
    } else {
      const dims = [co, cig, typeof kh === 'number' ? kh : -1, kw] as number[];
      const split = b.op('Reshape', [w, b.ints([dims[0] / block, block, cig, dims[2], dims[3]])]);
      filter = b.op('Reshape', [b.op('Transpose', [split], { perm: [0, 2, 3, 4, 1] }), b.ints(dims)]);
    }
    let xin = xBlocked ?? x;
    if (layout.reorderInput && !xBlocked) xin = reorderOnce(x);
    const attrs: Record<string, number[] | number> = { group: attrInt(n, 'group', 1) };
    for (const k of ['strides', 'pads', 'dilations', 'kernel_shape']) if (n.attrs[k]) attrs[k] = attrInts(n, k, []);
    const y = b.fresh('y');
    const conv = b.emit('Conv', bias ? [xin, filter, bias] : [xin, filter], [y], attrs, NCHWC_DOMAIN);
    if (n.attrs.auto_pad) conv.attrs.auto_pad = n.attrs.auto_pad;
    b.emit('ReorderOutput', [y], [n.outputs[0]], { channels_last: 0, channels: co as number }, NCHWC_DOMAIN);
    // keep the original node's name as a prefix (profiles still tell forward from backward)
    for (let i = start; i < out.length; i++) out[i].name = `${prefix}/${out[i].opType}_${i - start}`;
    count++;
  }
  graph.nodes = bypassed.size ? out.filter((n) => !bypassed.has(n)) : out;
  return count;
}

/** A bool scalar: whether the one-element int64 tensor `v` is 0. */
function scalarIsZero(b: GraphBuilder, v: string): string {
  return b.op('Equal', [b.op('Squeeze', [v, b.ints([0])]), b.int(0)]);
}

/**
 * One If on `skip` (a bool scalar) whose branches are built by `build` (with `pad` false for the
 * then-branch, true for the else-branch) and return one value. The branches write the If's output
 * directly, so a batch that needs no padding costs nothing extra; a then-branch passing an outer
 * value through would copy it (ORT needs an Identity there).
 */
function ifPadded(
  b: GraphBuilder,
  prefix: string,
  skip: string,
  build: (sub: GraphBuilder, pad: boolean) => string,
): string {
  const branch = (pad: boolean): Graph => {
    const g = emptyGraph(pad ? 'padded' : 'unpadded');
    const sub = new GraphBuilder(g, b.fresh(pad ? 'padded' : 'unpadded'));
    g.outputs.push({ name: build(sub, pad), dtype: 'float32' });
    for (const [i, n] of g.nodes.entries()) n.name = `${prefix}/${pad ? 'padded' : 'unpadded'}/${n.opType}_${i}`;
    return g;
  };
  return b.op('If', [skip], {
    then_branch: { type: 'graph', value: branch(false) },
    else_branch: { type: 'graph', value: branch(true) },
  });
}

/** ReorderInput(x) when `skip` holds, else ReorderInput(Pad(x, pads)), as one If. */
function reorderPadded(b: GraphBuilder, prefix: string, skip: string, x: string, pads: string): string {
  return ifPadded(b, prefix, skip, (sub, pad) => {
    const out = sub.fresh('blocked');
    sub.emit('ReorderInput', [pad ? sub.op('Pad', [x, pads]) : x], [out], { channels_last: 0 }, NCHWC_DOMAIN);
    return out;
  });
}

/**
 * When `node` is Transpose(T, perm [1, 0, 2, 3]) read by nothing but the Conv being lowered (the
 * weight gradient's dY as a kernel), its input T and the node; else undefined.
 */
function batchSwapped(node: Node | undefined, uses: Map<string, number>): { inputs: string[]; node: Node } | undefined {
  if (!node || node.domain !== '' || node.opType !== 'Transpose' || uses.get(node.outputs[0]) !== 1) return undefined;
  const perm = attrInts(node, 'perm', []);
  return perm.length === 4 && perm.join() === '1,0,2,3' ? { inputs: node.inputs, node } : undefined;
}
