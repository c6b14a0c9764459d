import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A } from '../../../src/onnx/ir.js';
import { checkOp, f32, randT, refOp, toNums } from './helpers.js';
import { EINSUM_CASES } from './einsum-cases.js';

test('Einsum matches ORT on the equations exporters emit', async () => {
  for (const [eq, shapes] of EINSUM_CASES) {
    await checkOp({ op: 'Einsum', attrs: { equation: A.string(eq) }, inputs: shapes.map((s, i) => randT(s, i + 1)) });
  }
});

test('Einsum: diagonal, and a clear error for a wrong term count', () => {
  const r = refOp({ op: 'Einsum', attrs: { equation: A.string('ii->i') }, inputs: [f32([2, 2], [1, 2, 3, 4])] });
  assert.deepEqual(toNums(r.out0), [1, 4]);
  assert.throws(
    () => refOp({ op: 'Einsum', attrs: { equation: A.string('ij,jk->ik') }, inputs: [f32([2, 2], [1, 2, 3, 4])] }),
    /Einsum equation 'ij,jk->ik' has 2 input terms but the node has 1 inputs/,
  );
});
