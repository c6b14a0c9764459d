/**
 * Dimension arithmetic with symbols. A symbolic dimension is a product of named factors and a
 * positive integer, written `N` or `4*N` or `N*T`; anything else is unknown (`null`).
 */
import type { Dim } from '../ir.js';

interface Monomial {
  c: number;
  s: string[];
}

function toMono(d: Dim): Monomial | null {
  if (d === null) return null;
  if (typeof d === 'number') return { c: d, s: [] };
  let c = 1;
  const s: string[] = [];
  for (const part of d.split('*')) {
    if (/^\d+$/.test(part)) c *= Number(part);
    else s.push(part);
  }
  return { c, s: s.sort() };
}

function fromMono(m: Monomial): Dim {
  if (m.s.length === 0) return m.c;
  if (m.c === 0) return 0;
  return m.c === 1 ? m.s.join('*') : `${m.c}*${m.s.join('*')}`;
}

/** Product of dims (null if any is unknown). */
export function mulDims(dims: readonly Dim[]): Dim {
  let acc: Monomial = { c: 1, s: [] };
  for (const d of dims) {
    const m = toMono(d);
    if (!m) return null;
    acc = { c: acc.c * m.c, s: [...acc.s, ...m.s].sort() };
  }
  return fromMono(acc);
}

/** a / b when it divides exactly (symbols cancel), else null. */
export function divDims(a: Dim, b: Dim): Dim {
  const ma = toMono(a);
  const mb = toMono(b);
  if (!ma || !mb || mb.c === 0 || ma.c % mb.c !== 0) return null;
  const rest = [...ma.s];
  for (const s of mb.s) {
    const i = rest.indexOf(s);
    if (i < 0) return null;
    rest.splice(i, 1);
  }
  return fromMono({ c: ma.c / mb.c, s: rest });
}

/** Equality of two dims when both are known. */
export function dimEq(a: Dim, b: Dim): boolean {
  if (a === null || b === null) return false;
  return String(a) === String(b) || fromMono(toMono(a)!) === fromMono(toMono(b)!);
}

/** Numpy-style broadcast of several shapes. Throws on static mismatch. */
export function broadcastShapes(shapes: Dim[][], where: string): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const k = i - (rank - s.length);
      if (k < 0) continue;
      const e = s[k];
      if (e === 1) continue;
      if (d === 1) {
        d = e;
        continue;
      }
      if (typeof d === 'number' && typeof e === 'number' && d !== e) {
        throw new Error(
          `${where}: shapes [${shapes.map((x) => x.join(',')).join('] and [')}] do not broadcast (axis ${i}: ${d} vs ${e})`,
        );
      }
      if (e === null) d = d ?? null;
      else if (d === null) d = e;
      else if (!dimEq(d, e)) d = typeof e === 'number' ? e : typeof d === 'number' ? d : null;
    }
    out.push(d);
  }
  return out;
}

/** Normalizes a possibly negative axis for a given rank, naming the node on error. */
export function normAxis(axis: number, rank: number, where: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`${where}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Output size of a pooling/convolution window along one axis. */
export function windowOut(
  input: Dim,
  k: number,
  stride: number,
  padBegin: number,
  padEnd: number,
  dilation: number,
  ceil: boolean,
): Dim {
  if (typeof input !== 'number') return null;
  const eff = (k - 1) * dilation + 1;
  const span = input + padBegin + padEnd - eff;
  let out = (ceil ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  // ceil_mode: the last window must start inside the input or left padding
  if (ceil && (out - 1) * stride >= input + padBegin) out--;
  return out;
}
