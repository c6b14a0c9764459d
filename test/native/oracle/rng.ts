/**
 * TypeScript mirror of native/src/rng.rs: the same keyed SplitMix32 generator and the same
 * +,-,*,/-only `ln`, `exp`, `sincos`, so every random draw matches the native engine bit for bit.
 */

/** Stage id of the per-epoch permutation. */
export const STAGE_PERMUTATION = 0xffff;
/** Offset of batch-level stage ids. */
export const STAGE_BATCH = 0x1000;

/** murmur3 fmix32. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** SplitMix32 keyed by (seed, epoch, row, stage). */
export class Rng {
  private state: number;
  constructor(seed: number, epoch: number, row: number, stage: number) {
    let h = mix32((seed + 0x9e3779b9) >>> 0);
    h = mix32((h ^ epoch) >>> 0);
    h = mix32((h + row) >>> 0);
    h = mix32((h ^ Math.imul((stage + 1) >>> 0, 0x27d4eb2f)) >>> 0);
    this.state = h;
  }
  nextU32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }
  uniform(): number {
    return this.nextU32() / 4294967296;
  }
  uniformOpen(): number {
    return (this.nextU32() + 0.5) / 4294967296;
  }
  range(a: number, b: number): number {
    return a + (b - a) * this.uniform();
  }
  /** floor(x * n / 2^32), computed exactly for n <= 2^32. */
  below(n: number): number {
    const x = this.nextU32();
    const a = (x >>> 16) * n;
    const b = (x & 0xffff) * n;
    return Math.floor((a + Math.floor(b / 65536)) / 65536);
  }
  coin(p: number): boolean {
    return this.uniform() < p;
  }
  normal(): number {
    const u1 = this.uniformOpen();
    const u2 = this.uniform();
    return Math.sqrt(-2.0 * ln(u1)) * cos(TAU * u2);
  }
  gamma(a: number): number {
    if (a < 1.0) {
      const g = this.gamma(a + 1.0);
      const u = this.uniformOpen();
      return g * exp(ln(u) / a);
    }
    const d = a - 1.0 / 3.0;
    const c = 1.0 / Math.sqrt(9.0 * d);
    for (let i = 0; i < 1000; i++) {
      const x = this.normal();
      let v = 1.0 + c * x;
      if (v <= 0.0) continue;
      v = v * v * v;
      const u = this.uniformOpen();
      const x2 = x * x;
      if (u < 1.0 - 0.0331 * (x2 * x2)) return d * v;
      if (ln(u) < 0.5 * x2 + d * (1.0 - v + ln(v))) return d * v;
    }
    return d;
  }
  betaSym(a: number): number {
    const g1 = this.gamma(a);
    const g2 = this.gamma(a);
    const s = g1 + g2;
    return s > 0 ? g1 / s : 0.5;
  }
}

/** Fisher-Yates permutation of 0..n for `epoch`. */
export function permutation(seed: number, epoch: number, n: number): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  const rng = new Rng(seed, epoch, 0, STAGE_PERMUTATION);
  for (let i = n; i > 1; i--) {
    const j = rng.below(i);
    const t = p[i - 1];
    p[i - 1] = p[j];
    p[j] = t;
  }
  return p;
}

export const PI = 3.141592653589793;
export const TAU = 6.283185307179586;
const LN2 = 0.6931471805599453;
const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;
const SQRT2 = 1.4142135623730951;
const PIO2_HI = 1.5707963267341256;
const PIO2_LO = 6.077100506506192e-11;

/** Natural log (mirrors rng.rs). */
export function ln(x: number): number {
  if (!(x > 0)) return x === 0 ? -Infinity : NaN;
  if (x === Infinity) return x;
  let m = x;
  let e = 0.0;
  while (m >= SQRT2) {
    m = m * 0.5;
    e = e + 1.0;
  }
  while (m < SQRT2 * 0.5) {
    m = m * 2.0;
    e = e - 1.0;
  }
  const f = (m - 1.0) / (m + 1.0);
  const f2 = f * f;
  let s = 1.0 / 23.0;
  s = 1.0 / 21.0 + f2 * s;
  s = 1.0 / 19.0 + f2 * s;
  s = 1.0 / 17.0 + f2 * s;
  s = 1.0 / 15.0 + f2 * s;
  s = 1.0 / 13.0 + f2 * s;
  s = 1.0 / 11.0 + f2 * s;
  s = 1.0 / 9.0 + f2 * s;
  s = 1.0 / 7.0 + f2 * s;
  s = 1.0 / 5.0 + f2 * s;
  s = 1.0 / 3.0 + f2 * s;
  s = 1.0 + f2 * s;
  return e * LN2 + 2.0 * f * s;
}

/** e^x (mirrors rng.rs). */
export function exp(x: number): number {
  if (x !== x) return x;
  x = x > 700 ? 700 : x < -700 ? -700 : x;
  const k = Math.floor(x / LN2 + 0.5);
  const r = x - k * LN2_HI - k * LN2_LO;
  let p = 1.0 / 6227020800.0;
  p = 1.0 / 479001600.0 + r * p;
  p = 1.0 / 39916800.0 + r * p;
  p = 1.0 / 3628800.0 + r * p;
  p = 1.0 / 362880.0 + r * p;
  p = 1.0 / 40320.0 + r * p;
  p = 1.0 / 5040.0 + r * p;
  p = 1.0 / 720.0 + r * p;
  p = 1.0 / 120.0 + r * p;
  p = 1.0 / 24.0 + r * p;
  p = 1.0 / 6.0 + r * p;
  p = 0.5 + r * p;
  p = 1.0 + r * p;
  p = 1.0 + r * p;
  let scale = 1.0;
  let i = k;
  while (i > 0) {
    scale = scale * 2.0;
    i = i - 1.0;
  }
  while (i < 0) {
    scale = scale * 0.5;
    i = i + 1.0;
  }
  return p * scale;
}

function sinPoly(r: number): number {
  const r2 = r * r;
  let p = -1.0 / 1307674368000.0;
  p = 1.0 / 6227020800.0 + r2 * p;
  p = -1.0 / 39916800.0 + r2 * p;
  p = 1.0 / 362880.0 + r2 * p;
  p = -1.0 / 5040.0 + r2 * p;
  p = 1.0 / 120.0 + r2 * p;
  p = -1.0 / 6.0 + r2 * p;
  return r + r * (r2 * p);
}

function cosPoly(r: number): number {
  const r2 = r * r;
  let p = 1.0 / 20922789888000.0;
  p = -1.0 / 87178291200.0 + r2 * p;
  p = 1.0 / 479001600.0 + r2 * p;
  p = -1.0 / 3628800.0 + r2 * p;
  p = 1.0 / 40320.0 + r2 * p;
  p = -1.0 / 720.0 + r2 * p;
  p = 1.0 / 24.0 + r2 * p;
  p = -0.5 + r2 * p;
  return 1.0 + r2 * p;
}

/** [sin x, cos x] (mirrors rng.rs). */
export function sincos(x: number): [number, number] {
  const k = Math.floor(x / (PI / 2.0) + 0.5);
  const r = x - k * PIO2_HI - k * PIO2_LO;
  const s = sinPoly(r);
  const c = cosPoly(r);
  const q = k - 4.0 * Math.floor(k / 4.0);
  if (q === 0) return [s, c];
  if (q === 1) return [c, -s];
  if (q === 2) return [-s, -c];
  return [-c, s];
}

export function cos(x: number): number {
  return sincos(x)[1];
}
