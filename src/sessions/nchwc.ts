/**
 * CPU sessions: training graphs' convolutions on ONNX Runtime's blocked NCHWc kernels.
 *
 * ORT rewrites a Conv onto its NCHWc (MLAS) kernels only when the weights are constant
 * initializers, so an inference model gets them and a training graph (weights fed as inputs,
 * input gradients as Convs of flipped weights) does not. For a CPU session with graph
 * optimization 'all', `lowerForCpu` rewrites those Convs itself (src/autodiff/rules/conv-nchwc.ts)
 * with the block size this runtime uses, probed once per process from what ORT's own transformer
 * does to a small constant-weight Conv. Measured on ResNet-20 (batch 64, one thread): the step's
 * CPU time 702 -> 600 ms (bench/ab-step.ts --variant nchwc). Convs with constant weights are left to ORT (it also
 * fuses their activations); models without such Convs pass through untouched (not even decoded
 * twice). GYMNOS_NCHWC=0 turns the lowering off; other providers never see it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { emptyGraph, type Graph } from '../onnx/ir.js';
import { decodeModel, encodeModel, loadModel } from '../onnx/io.js';
import { tensor } from '../onnx/tensor.js';
import { inferShapes, type ShapeTable } from '../onnx/shapes/infer.js';
import { NCHWC_DOMAIN, lowerConvsToNchwc } from '../autodiff/rules/conv-nchwc.js';

let blockPromise: Promise<number> | undefined;

/**
 * A constant-weight Conv with `c` in and out channels (ORT's transformer blocks it when c is a multiple of its block).
 */
function probeConv(c: number): Uint8Array {
  const g = emptyGraph('gymnos_nchwc_probe');
  g.inputs.push({ name: 'x', dtype: 'float32', shape: [1, c, 4, 4] });
  g.initializers.set('w', tensor('float32', [c, c, 1, 1], new Float32Array(c * c).fill(0.5)));
  g.nodes.push({ name: 'conv', opType: 'Conv', domain: '', inputs: ['x', 'w'], outputs: ['y'], attrs: {} });
  g.outputs.push({ name: 'y', dtype: 'float32', shape: [1, c, 4, 4] });
  return encodeModel({
    irVersion: 8,
    opset: new Map([['', 18]]),
    producerName: 'gymnos',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    graph: g,
  });
}

/**
 * The NCHWc block size of this runtime on this CPU (8 with AVX2, 16 with AVX-512), or 0 where ORT
 * has no NCHWc kernels: the smallest channel count ORT's own transformer blocks.
 */
export function nchwcBlockSize(ort: { InferenceSession: typeof Ort.InferenceSession }): Promise<number> {
  blockPromise ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gymnos-nchwc-'));
    try {
      for (const c of [8, 16]) {
        const path = join(dir, `probe${c}.onnx`);
        const s = await ort.InferenceSession.create(probeConv(c), {
          graphOptimizationLevel: 'all',
          optimizedModelFilePath: path,
          intraOpNumThreads: 1,
          logSeverityLevel: 3,
        });
        await s.release();
        if (loadModel(path).graph.nodes.some((n) => n.domain === NCHWC_DOMAIN && n.opType === 'Conv')) return c;
      }
      return 0;
    } catch {
      return 0;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  })();
  return blockPromise;
}

/** Whether `bytes` may hold a Conv (cheap byte scan before decoding). */
function mayHoldConv(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes('Conv');
}

/**
 * `model` with its non-constant-weight Convs on the NCHWc kernels of block size `block`, or the
 * same bytes when there are none or anything about the graph is unexpected (never fails).
 */
export function lowerForCpu(model: Uint8Array, block: number): Uint8Array {
  if (!block || process.env.GYMNOS_NCHWC === '0' || !mayHoldConv(model)) return model;
  try {
    const m = decodeModel(model);
    const opset = m.opset.get('') ?? m.opset.get('ai.onnx') ?? 18;
    let count = 0;
    // the main graph and, recursively, Loop/If bodies (a K-step Loop must run the single step's kernels)
    const lower = (g: Graph, outer: ShapeTable | undefined, outerConsts: Set<string>): void => {
      const consts = new Set([...outerConsts, ...g.initializers.keys()]);
      const hasConv = g.nodes.some((n) => n.opType === 'Conv' && n.domain === '' && !consts.has(n.inputs[1]));
      const hasBody = g.nodes.some((n) =>
        Object.values(n.attrs).some((a) => a.type === 'graph' || a.type === 'graphs'),
      );
      if (!hasConv && !hasBody) return;
      const table = inferShapes(g, opset, outer ? { outer } : {});
      // constant-weight Convs stay for ORT's transformer: hide them from the lowering
      if (hasConv)
        count += lowerConvsToNchwc(
          g,
          { info: new Map([...table.info].filter(([k]) => !consts.has(k))), values: table.values },
          block,
        );
      for (const n of g.nodes)
        for (const a of Object.values(n.attrs)) {
          if (a.type === 'graph') lower(a.value, table, consts);
          else if (a.type === 'graphs') for (const sub of a.value) lower(sub, table, consts);
        }
    };
    lower(m.graph, undefined, new Set());
    if (!count) return model;
    m.opset.set(NCHWC_DOMAIN, 1);
    return encodeModel(m);
  } catch (e) {
    // the model still runs, on the generic kernels: say so (once per reason), never silently
    const why = `NCHWc lowering skipped, so this session's training Convs run on ONNX Runtime's generic kernels (2-3x slower): ${(e as Error).message}`;
    if (!warned.has(why)) {
      warned.add(why);
      process.emitWarning(why, 'GymnosPerformanceWarning');
    }
    return model;
  }
}

const warned = new Set<string>();
