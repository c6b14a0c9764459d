/**
 * The op table of the reference interpreter, assembled from the `kernels` record each op family
 * module exports. Adding an op touches only its family module.
 */
import type { Kernel } from './kernel.js';
import { kernels as unary } from './unary.js';
import { kernels as binary } from './binary.js';
import { kernels as matmul } from './matmul.js';
import { kernels as reduce } from './reduce.js';
import { kernels as shape } from './shape.js';
import { kernels as slice } from './slice.js';
import { kernels as generate } from './generate.js';
import { kernels as indexing } from './indexing.js';
import { kernels as nnconv } from './nn-conv.js';
import { kernels as nnpool } from './nn-pool.js';
import { kernels as norm } from './norm.js';
import { kernels as control } from './control.js';
import { kernels as losses } from './losses.js';
import { kernels as resize } from './resize.js';
import { kernels as recurrent } from './recurrent.js';
import { kernels as einsum } from './einsum.js';

const families: Array<Record<string, Kernel>> = [
  unary,
  binary,
  matmul,
  reduce,
  shape,
  slice,
  generate,
  indexing,
  nnconv,
  nnpool,
  norm,
  control,
  losses,
  resize,
  recurrent,
  einsum,
];

/** Op type (ai.onnx domain) -> kernel. */
export const REGISTRY: ReadonlyMap<string, Kernel> = (() => {
  const m = new Map<string, Kernel>();
  for (const f of families) {
    for (const [op, k] of Object.entries(f)) {
      if (m.has(op)) throw new Error(`reference interpreter: op ${op} is registered twice`);
      m.set(op, k);
    }
  }
  return m;
})();
