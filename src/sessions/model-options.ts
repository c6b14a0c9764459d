/**
 * Session settings a model asks for through its metadata, read without decoding the model: a walk
 * over the top-level fields of the ModelProto that skips the graph bytes. Gymnos's training graphs
 * with recomputed nodes carry `gymnos.disable_optimizers` (training.recompute), since ONNX
 * Runtime's common-subexpression elimination would merge each recomputed copy back into its
 * original and keep the activation alive after all.
 */

/** Model metadata key: comma-separated ONNX Runtime optimizers to disable for this model. */
export const DISABLE_OPTIMIZERS_KEY = 'gymnos.disable_optimizers';

function varint(b: Uint8Array, at: number): [number, number] {
  let v = 0;
  let mul = 1;
  for (let i = at; i < b.length; i++) {
    v += (b[i] & 0x7f) * mul;
    if (b[i] < 0x80) return [v, i + 1];
    mul *= 128;
  }
  throw new Error('truncated varint');
}

/** `metadata_props` (ModelProto field 14) of an encoded model; {} for bytes that are not a model. */
export function modelMetadata(bytes: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  const dec = new TextDecoder();
  try {
    for (let at = 0; at < bytes.length;) {
      const [key, p] = varint(bytes, at);
      const wire = key & 7;
      if (wire === 0) {
        at = varint(bytes, p)[1];
        continue;
      }
      if (wire === 1) {
        at = p + 8;
        continue;
      }
      if (wire === 5) {
        at = p + 4;
        continue;
      }
      if (wire !== 2) return out;
      const [len, start] = varint(bytes, p);
      const end = start + len;
      if (key >>> 3 === 14) {
        let k = '';
        let v = '';
        for (let q = start; q < end;) {
          const [ek, ep] = varint(bytes, q);
          const [el, es] = varint(bytes, ep);
          const s = dec.decode(bytes.subarray(es, es + el));
          if (ek >>> 3 === 1) k = s;
          else if (ek >>> 3 === 2) v = s;
          q = es + el;
        }
        out[k] = v;
      }
      at = end;
    }
  } catch {
    /* not a model we can read: no metadata */
  }
  return out;
}

/** ONNX Runtime optimizers the model asks to disable (empty when none). */
export function disabledOptimizers(bytes: Uint8Array): string[] {
  const v = modelMetadata(bytes)[DISABLE_OPTIMIZERS_KEY];
  return v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
}
