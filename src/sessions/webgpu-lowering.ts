/**
 * WebGPU sessions: a workaround for a wrong-result bug in ONNX Runtime 1.30's WebGPU Conv.
 *
 * Measured here (lavapipe, `test/sessions/webgpu-lowering.test.ts`): a group-1 Conv with a kernel
 * larger than 1x1 returns wrong values (errors of the order of the output itself) when its input
 * channel count is a multiple of 3 but not of 4 and larger than 3 (6, 9, 15, 18, 21, 30, 42 fail;
 * 1-5, 7, 8, 10, 12, 14, 16, 24, 36 pass; 1x1 kernels and ConvTranspose pass). Training graphs hit
 * it in the forward pass (a layer with 6 channels) and in the weight gradient, which is a Conv whose
 * channel axis is the batch (`batchConvWeightGrad`): a batch of 6 or 30 gave wrong weight
 * gradients. `lowerForWebgpu` zero-pads the input channels of every such Conv, and of its weight,
 * to a multiple of 4 (zeros contribute nothing to the sums); a channel count only known at run
 * time (the batch) is padded by an amount computed in the graph.
 *
 * It also replaces float ops that ONNX Runtime 1.30's WebGPU provider lacks (they would run on the
 * CPU, with a copy each way per run) by equivalent ops it has: n-ary `Sum` (the backward pass
 * adds the gradients of a tensor read twice, e.g. a residual connection's input) by a chain of
 * `Add`; `LogSoftmax` by x - max - log(sum(exp(x - max))) (the same max-shifted formula as ONNX
 * Runtime's CPU kernel); a float `ConstantOfShape` by `Expand` of a scalar. These are rewrites of
 * the finished graph, so gradients are unchanged; CPU sessions never see them.
 */
import { attrInt, type Graph, type Node } from '../onnx/ir.js';
import { decodeModel, encodeModel } from '../onnx/io.js';
import { tensor } from '../onnx/tensor.js';
import { inferShapes, type ShapeTable } from '../onnx/shapes/infer.js';

const MULTIPLE = 4;

/** Whether a Conv with `channels` input channels per group needs the padding (undefined: only known at run time). */
export function needsChannelPadding(channels: number | undefined): boolean {
  return channels === undefined || (channels > 3 && channels % MULTIPLE !== 0);
}

function mayHoldConv(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes('Conv');
}

const REWRITTEN = new Set(['Sum', 'LogSoftmax', 'ConstantOfShape']);

function mayNeedLowering(bytes: Uint8Array): boolean {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return mayHoldConv(bytes) || [...REWRITTEN].some((op) => b.includes(op));
}

/**
 * `model` with the input channels of its affected Convs padded to a multiple of 4 and the float ops
 * the WebGPU provider lacks rewritten (same bytes when nothing applies).
 */
export function lowerForWebgpu(model: Uint8Array): Uint8Array {
  if (process.env.GYMNOS_WEBGPU_LOWERING === '0' || !mayNeedLowering(model)) return model;
  const m = decodeModel(model);
  const opset = m.opset.get('') ?? m.opset.get('ai.onnx') ?? 18;
  let count = 0;
  let uid = 0;
  const lower = (g: Graph, outer: ShapeTable | undefined): void => {
    const hasBody = g.nodes.some((n) => Object.values(n.attrs).some((a) => a.type === 'graph' || a.type === 'graphs'));
    if (!hasBody && !g.nodes.some((n) => n.domain === '' && (n.opType === 'Conv' || REWRITTEN.has(n.opType)))) return;
    const table = inferShapes(g, opset, outer ? { outer } : {});
    const nodes: Node[] = [];
    const padsBySymbol = new Map<string, string>();
    const constant = (name: string, values: number[]): string => {
      g.initializers.set(name, tensor('int64', [values.length], BigInt64Array.from(values.map(BigInt))));
      return name;
    };
    for (const n of g.nodes) {
      for (const a of Object.values(n.attrs)) {
        if (a.type === 'graph') lower(a.value, table);
        else if (a.type === 'graphs') for (const sub of a.value) lower(sub, table);
      }
      const padded =
        n.opType === 'Conv' && n.domain === ''
          ? padConv(n, table, nodes, constant, () => `gymnos_webgpu_pad${uid++}`, padsBySymbol)
          : false;
      if (padded) count++;
      const replaced =
        n.domain === '' && REWRITTEN.has(n.opType)
          ? replaceOp(n, table, nodes, opset, `gymnos_webgpu_${n.opType.toLowerCase()}${uid++}`, g)
          : false;
      if (replaced) count++;
      else nodes.push(n);
    }
    g.nodes = nodes;
  };
  lower(m.graph, undefined);
  return count ? encodeModel(m) : model;
}

/** Inserts the Pads in front of Conv `n` into `nodes` and rewires it; false when it needs none. */
function padConv(
  n: Node,
  table: ShapeTable,
  nodes: Node[],
  constant: (name: string, v: number[]) => string,
  fresh: () => string,
  padsBySymbol: Map<string, string>,
): boolean {
  if (attrInt(n, 'group', 1) !== 1) return false;
  const w = table.info.get(n.inputs[1])?.shape;
  const x = table.info.get(n.inputs[0])?.shape;
  const rank = w?.length ?? x?.length;
  if (!rank || rank < 3) return false;
  const kernel = w?.slice(2) ?? [];
  if (kernel.length === rank - 2 && kernel.every((d) => d === 1)) return false;
  const known = [x?.[1], w?.[1]].find((d): d is number => typeof d === 'number');
  const symbol = [w?.[1], x?.[1]].find((d): d is string => typeof d === 'string');
  if (!needsChannelPadding(known)) return false;
  const id = fresh();
  let pads: string;
  if (known !== undefined) {
    pads = constant(`${id}_pads`, [
      ...Array(rank).fill(0),
      0,
      (MULTIPLE - (known % MULTIPLE)) % MULTIPLE,
      ...Array(rank - 2).fill(0),
    ]);
  } else if (symbol !== undefined && padsBySymbol.has(`${rank}:${symbol}`)) {
    // the same symbolic dim (the batch) as an earlier Conv of this graph: reuse its pads
    pads = padsBySymbol.get(`${rank}:${symbol}`)!;
  } else {
    // p = (4 - C mod 4) mod 4 from the weight's axis 1, then pads = [0 x (rank+1), p, 0 x (rank-2)]
    const four = constant(`${id}_four`, [MULTIPLE]);
    const node = (opType: string, inputs: string[], attrs: Node['attrs'] = {}): string => {
      const out = `${id}_${opType.toLowerCase()}${nodes.length}`;
      nodes.push({ name: out, opType, domain: '', inputs, outputs: [out], attrs });
      return out;
    };
    const c = node('Shape', [n.inputs[1]], { start: { type: 'int', value: 1 }, end: { type: 'int', value: 2 } });
    const p = node('Mod', [node('Sub', [four, node('Mod', [c, four])]), four]);
    pads = node(
      'Concat',
      [
        constant(`${id}_zeros_head`, Array(rank + 1).fill(0)),
        p,
        ...(rank > 2 ? [constant(`${id}_zeros_tail`, Array(rank - 2).fill(0))] : []),
      ],
      { axis: { type: 'int', value: 0 } },
    );
    if (symbol !== undefined) padsBySymbol.set(`${rank}:${symbol}`, pads);
  }
  const padX = `${id}_x`;
  const padW = `${id}_w`;
  nodes.push({ name: padX, opType: 'Pad', domain: '', inputs: [n.inputs[0], pads], outputs: [padX], attrs: {} });
  nodes.push({ name: padW, opType: 'Pad', domain: '', inputs: [n.inputs[1], pads], outputs: [padW], attrs: {} });
  n.inputs = [padX, padW, ...n.inputs.slice(2)];
  return true;
}

/** Emits ops equivalent to `n` into `nodes` (writing `n`'s outputs); false to keep `n` as it is. */
function replaceOp(n: Node, table: ShapeTable, nodes: Node[], opset: number, id: string, g: Graph): boolean {
  const dtype = table.info.get(n.outputs[0])?.dtype;
  if (dtype !== 'float32' && dtype !== 'float16') return false;
  let k = 0;
  const emit = (opType: string, inputs: string[], attrs: Node['attrs'] = {}, output = `${id}_${k}`): string => {
    nodes.push({ name: `${id}_${k++}`, opType, domain: '', inputs, outputs: [output], attrs });
    return output;
  };
  const [y] = n.outputs;
  if (n.opType === 'Sum') {
    const inputs = n.inputs.filter(Boolean);
    if (inputs.length === 1) {
      emit('Identity', inputs, {}, y);
      return true;
    }
    let acc = inputs[0];
    for (let i = 1; i < inputs.length; i++)
      acc = emit('Add', [acc, inputs[i]], {}, i === inputs.length - 1 ? y : undefined);
    return true;
  }
  if (n.opType === 'LogSoftmax') {
    const axis = attrInt(n, 'axis', -1);
    const axes = `${id}_axes`;
    g.initializers.set(axes, tensor('int64', [1], BigInt64Array.of(BigInt(axis))));
    // ReduceMax takes its axes as an input from opset 18, ReduceSum from 13
    const max =
      opset >= 18
        ? emit('ReduceMax', [n.inputs[0], axes], { keepdims: { type: 'int', value: 1 } })
        : emit('ReduceMax', [n.inputs[0]], {
            axes: { type: 'ints', value: [axis] },
            keepdims: { type: 'int', value: 1 },
          });
    const shifted = emit('Sub', [n.inputs[0], max]);
    const sum = emit('ReduceSum', [emit('Exp', [shifted]), axes], { keepdims: { type: 'int', value: 1 } });
    emit('Sub', [shifted, emit('Log', [sum])], {}, y);
    return true;
  }
  if (n.opType === 'ConstantOfShape') {
    const v = n.attrs.value;
    const value = v?.type === 'tensor' ? Number((v.value.data as Float32Array)[0]) : 0;
    const scalar = `${id}_value`;
    g.initializers.set(
      scalar,
      dtype === 'float32'
        ? tensor('float32', [], Float32Array.of(value))
        : { ...(v as { value: ReturnType<typeof tensor> }).value, dims: [] },
    );
    emit('Expand', [scalar, n.inputs[0]], {}, y);
    return true;
  }
  return false;
}
