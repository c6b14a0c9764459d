/**
 * Plain TypeScript implementation of every image transform: the oracle the native engine is
 * tested against, and the benchmark's baseline. Straightforward stage-by-stage code on float32
 * HWC images; each float operation is rounded to float32 (`f = Math.fround`) in the same order as
 * native/src/image/ops.rs, which makes the results bit-identical.
 */
import type { NormalizedTransform } from '../../../src/native/plan.js';
import { Rng, exp, ln, sincos, PI } from './rng.js';

const f = Math.fround;

/** A float32 HWC image. */
export interface Img {
  h: number;
  w: number;
  c: number;
  data: Float32Array;
}

const img = (h: number, w: number, c: number): Img => ({ h, w, c, data: new Float32Array(h * w * c) });
const clamp = (v: number, hi: number) => (v < 0 ? 0 : v > hi ? hi : v);
const G299 = f(0.299);
const G587 = f(0.587);
const G114 = f(0.114);
const gray = (r: number, g: number, b: number) => f(f(f(G299 * r) + f(G587 * g)) + f(G114 * b));

/** Pads with `fill` and crops th x tw at a random offset. */
export function randomCrop(rng: Rng, src: Img, th: number, tw: number, pad: number, fill: number): Img {
  const top = rng.below(src.h + 2 * pad - th + 1);
  const left = rng.below(src.w + 2 * pad - tw + 1);
  const out = img(th, tw, src.c);
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const sy = y + top - pad;
      const sx = x + left - pad;
      for (let ch = 0; ch < src.c; ch++) {
        out.data[(y * tw + x) * src.c + ch] =
          sy >= 0 && sy < src.h && sx >= 0 && sx < src.w ? src.data[(sy * src.w + sx) * src.c + ch] : fill;
      }
    }
  }
  return out;
}

/** Mirrors with probability p (horizontal: left-right). */
export function flip(rng: Rng, src: Img, p: number, horizontal: boolean): Img {
  if (!rng.coin(p)) return src;
  const out = img(src.h, src.w, src.c);
  for (let y = 0; y < src.h; y++) {
    for (let x = 0; x < src.w; x++) {
      const sy = horizontal ? y : src.h - 1 - y;
      const sx = horizontal ? src.w - 1 - x : x;
      for (let ch = 0; ch < src.c; ch++)
        out.data[(y * src.w + x) * src.c + ch] = src.data[(sy * src.w + sx) * src.c + ch];
    }
  }
  return out;
}

/** Bilinear resize of a region (half-pixel centres, edge clamp). */
export function resizeRegion(src: Img, top: number, left: number, rh: number, rw: number, th: number, tw: number): Img {
  const out = img(th, tw, src.c);
  const c = src.c;
  const sh = f(rh / th);
  const sw = f(rw / tw);
  for (let y = 0; y < th; y++) {
    let fy = f(f(f(y + 0.5) * sh) - 0.5);
    if (fy < 0) fy = 0;
    let iy = Math.floor(fy);
    if (iy > rh - 1) iy = rh - 1;
    const iy1 = iy + 1 < rh ? iy + 1 : rh - 1;
    const wy = f(fy - iy);
    for (let x = 0; x < tw; x++) {
      let fx = f(f(f(x + 0.5) * sw) - 0.5);
      if (fx < 0) fx = 0;
      let ix = Math.floor(fx);
      if (ix > rw - 1) ix = rw - 1;
      const ix1 = ix + 1 < rw ? ix + 1 : rw - 1;
      const wx = f(fx - ix);
      for (let ch = 0; ch < c; ch++) {
        const p00 = src.data[((top + iy) * src.w + left + ix) * c + ch];
        const p01 = src.data[((top + iy) * src.w + left + ix1) * c + ch];
        const p10 = src.data[((top + iy1) * src.w + left + ix) * c + ch];
        const p11 = src.data[((top + iy1) * src.w + left + ix1) * c + ch];
        const t = f(p00 + f(f(p01 - p00) * wx));
        const b = f(p10 + f(f(p11 - p10) * wx));
        out.data[(y * tw + x) * c + ch] = f(t + f(f(b - t) * wy));
      }
    }
  }
  return out;
}

/** torchvision RandomResizedCrop region: [top, left, height, width]. */
export function rrcRegion(
  rng: Rng,
  h: number,
  w: number,
  scale: [number, number],
  ratio: [number, number],
): [number, number, number, number] {
  const area = h * w;
  const lr0 = ln(ratio[0]);
  const lr1 = ln(ratio[1]);
  for (let i = 0; i < 10; i++) {
    const target = area * rng.range(scale[0], scale[1]);
    const aspect = exp(rng.range(lr0, lr1));
    const cw = Math.floor(Math.sqrt(target * aspect) + 0.5);
    const ch = Math.floor(Math.sqrt(target / aspect) + 0.5);
    if (cw > 0 && ch > 0 && cw <= w && ch <= h) {
      const top = rng.below(h - ch + 1);
      const left = rng.below(w - cw + 1);
      return [top, left, ch, cw];
    }
  }
  const inRatio = w / h;
  const cl = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  let cw = w;
  let ch = h;
  if (inRatio < ratio[0]) ch = cl(Math.floor(w / ratio[0] + 0.5), 1, h);
  else if (inRatio > ratio[1]) cw = cl(Math.floor(h * ratio[1] + 0.5), 1, w);
  return [Math.floor((h - ch) / 2), Math.floor((w - cw) / 2), ch, cw];
}

/** Rotation by a uniform angle in [-degrees, degrees] about the centre, bilinear, fill outside. */
export function rotate(rng: Rng, src: Img, degrees: number, fill: number): Img {
  const angle = rng.range(-degrees, degrees);
  const [s, co] = sincos((angle * PI) / 180.0);
  const sf = f(s);
  const cf = f(co);
  const { h, w, c } = src;
  const out = img(h, w, c);
  const cx = f(f(w - 1) * 0.5);
  const cy = f(f(h - 1) * 0.5);
  const fetch = (yy: number, xx: number, ch: number) =>
    yy >= 0 && xx >= 0 && yy < h && xx < w ? src.data[(yy * w + xx) * c + ch] : fill;
  for (let y = 0; y < h; y++) {
    const dy = f(y - cy);
    for (let x = 0; x < w; x++) {
      const dx = f(x - cx);
      const sx = f(f(f(cf * dx) + f(sf * dy)) + cx);
      const sy = f(f(f(cf * dy) - f(sf * dx)) + cy);
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const wx = f(sx - x0);
      const wy = f(sy - y0);
      for (let ch = 0; ch < c; ch++) {
        const p00 = fetch(y0, x0, ch);
        const p01 = fetch(y0, x0 + 1, ch);
        const p10 = fetch(y0 + 1, x0, ch);
        const p11 = fetch(y0 + 1, x0 + 1, ch);
        const t = f(p00 + f(f(p01 - p00) * wx));
        const b = f(p10 + f(f(p11 - p10) * wx));
        out.data[(y * w + x) * c + ch] = f(t + f(f(b - t) * wy));
      }
    }
  }
  return out;
}

function rgbToHsv(r: number, g: number, b: number): [number, number, number] {
  const maxc = Math.max(Math.max(r, g), b);
  const minc = Math.min(Math.min(r, g), b);
  const eqc = maxc === minc;
  const cr = f(maxc - minc);
  const s = f(cr / (eqc ? 1 : maxc));
  const crd = eqc ? 1 : cr;
  const rc = f(f(maxc - r) / crd);
  const gc = f(f(maxc - g) / crd);
  const bc = f(f(maxc - b) / crd);
  const hr = maxc === r ? f(bc - gc) : 0;
  const hg = maxc === g && maxc !== r ? f(f(2 + rc) - bc) : 0;
  const hb = maxc !== g && maxc !== r ? f(f(4 + gc) - rc) : 0;
  let h = f(f(f(f(hr + hg) + hb) / 6) + 1);
  h = f(h - Math.floor(h));
  return [h, s, maxc];
}

function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const h6 = f(h * 6);
  const fi = Math.floor(h6);
  const fr = f(h6 - fi);
  const i = ((fi % 6) + 6) % 6;
  const c1 = (x: number) => (x < 0 ? 0 : x > 1 ? 1 : x);
  const p = c1(f(v * f(1 - s)));
  const q = c1(f(v * f(1 - f(s * fr))));
  const t = c1(f(v * f(1 - f(s * f(1 - fr)))));
  switch (i) {
    case 0:
      return [v, t, p];
    case 1:
      return [q, v, p];
    case 2:
      return [p, v, t];
    case 3:
      return [p, q, v];
    case 4:
      return [t, p, v];
    default:
      return [v, p, q];
  }
}

/** Brightness, contrast, saturation, hue (fixed order), clamped to [0, max]. Mutates. */
export function colorJitter(rng: Rng, im: Img, b: number, c: number, s: number, hue: number, max: number): void {
  const factor = (x: number) => (x > 0 ? f(rng.range(1 - x > 0 ? 1 - x : 0, 1 + x)) : null);
  const bf = factor(b);
  const cf = factor(c);
  const sf = factor(s);
  const hf = hue > 0 ? f(rng.range(-hue, hue)) : null;
  const d = im.data;
  const n = im.h * im.w;
  if (bf !== null) for (let i = 0; i < d.length; i++) d[i] = clamp(f(d[i] * bf), max);
  if (cf !== null) {
    let sum = 0;
    for (let p = 0; p < n; p++) sum += im.c === 3 ? gray(d[3 * p], d[3 * p + 1], d[3 * p + 2]) : d[p * im.c];
    const mean = f(sum / n);
    const omf = f(1 - cf);
    for (let i = 0; i < d.length; i++) d[i] = clamp(f(f(cf * d[i]) + f(omf * mean)), max);
  }
  if (sf !== null) {
    const omf = f(1 - sf);
    for (let p = 0; p < n; p++) {
      const g = gray(d[3 * p], d[3 * p + 1], d[3 * p + 2]);
      for (let k = 0; k < 3; k++) d[3 * p + k] = clamp(f(f(sf * d[3 * p + k]) + f(omf * g)), max);
    }
  }
  if (hf !== null) {
    for (let p = 0; p < n; p++) {
      const [h, sat, v] = rgbToHsv(f(d[3 * p] / max), f(d[3 * p + 1] / max), f(d[3 * p + 2] / max));
      let h2 = f(h + hf);
      h2 = f(h2 - Math.floor(h2));
      const [r, g, bl] = hsvToRgb(h2, sat, v);
      d[3 * p] = f(r * max);
      d[3 * p + 1] = f(g * max);
      d[3 * p + 2] = f(bl * max);
    }
  }
}

/** Luma in all three channels with probability p. Mutates. */
export function grayscale(rng: Rng, im: Img, p: number): void {
  if (!rng.coin(p)) return;
  const d = im.data;
  for (let i = 0; i < d.length; i += 3) {
    const g = gray(d[i], d[i + 1], d[i + 2]);
    d[i] = g;
    d[i + 1] = g;
    d[i + 2] = g;
  }
}

/** torchvision RandomErasing with a constant value. Mutates. */
export function randomErasing(
  rng: Rng,
  im: Img,
  p: number,
  scale: [number, number],
  ratio: [number, number],
  value: number,
): void {
  if (!rng.coin(p)) return;
  const { h, w, c } = im;
  const area = h * w;
  const lr0 = ln(ratio[0]);
  const lr1 = ln(ratio[1]);
  for (let a = 0; a < 10; a++) {
    const ea = area * rng.range(scale[0], scale[1]);
    const aspect = exp(rng.range(lr0, lr1));
    const eh = Math.floor(Math.sqrt(ea * aspect) + 0.5);
    const ew = Math.floor(Math.sqrt(ea / aspect) + 0.5);
    if (!(eh < h && ew < w)) continue;
    const i = rng.below(h - eh + 1);
    const j = rng.below(w - ew + 1);
    for (let y = i; y < i + eh; y++) im.data.fill(value, (y * w + j) * c, (y * w + j + ew) * c);
    return;
  }
}

/**
 * Runs `transforms` on one HWC uint8 image exactly as the native pipeline does for
 * (seed, epoch, row); returns the float32 HWC result.
 */
export function runImagePipeline(
  src: Uint8Array,
  shape: [number, number, number],
  transforms: NormalizedTransform[],
  seed: number,
  epoch: number,
  row: number,
): Img {
  let im: Img = { h: shape[0], w: shape[1], c: shape[2], data: Float32Array.from(src) };
  let max = 255;
  transforms.forEach((t, stage) => {
    const rng = new Rng(seed, epoch, row, stage);
    switch (t.type) {
      case 'randomCrop':
        im = randomCrop(rng, im, t.size[0], t.size[1], t.padding, f(t.fill));
        break;
      case 'horizontalFlip':
        im = flip(rng, im, t.p, true);
        break;
      case 'verticalFlip':
        im = flip(rng, im, t.p, false);
        break;
      case 'randomResizedCrop': {
        const [top, left, rh, rw] = rrcRegion(rng, im.h, im.w, t.scale, t.ratio);
        im = resizeRegion(im, top, left, rh, rw, t.size[0], t.size[1]);
        break;
      }
      case 'resize':
        im = resizeRegion(im, 0, 0, im.h, im.w, t.size[0], t.size[1]);
        break;
      case 'rotation':
        im = rotate(rng, im, t.degrees, f(t.fill));
        break;
      case 'colorJitter':
        colorJitter(rng, im, t.brightness, t.contrast, t.saturation, t.hue, max);
        break;
      case 'grayscale':
        grayscale(rng, im, t.p);
        break;
      case 'randomErasing':
        randomErasing(rng, im, t.p, t.scale, t.ratio, f(t.value));
        break;
      case 'toFloat': {
        const s = f(t.scale);
        for (let i = 0; i < im.data.length; i++) im.data[i] = f(im.data[i] * s);
        max = f(max * s);
        break;
      }
      case 'normalize': {
        const c = im.c;
        const mean = c > 1 && t.mean.length === 1 ? Array(c).fill(t.mean[0]) : t.mean;
        const std = c > 1 && t.std.length === 1 ? Array(c).fill(t.std[0]) : t.std;
        const m = mean.map(f);
        const s = std.map(f);
        for (let i = 0; i < im.data.length; i++) im.data[i] = f(f(im.data[i] - m[i % c]) / s[i % c]);
        break;
      }
    }
  });
  return im;
}

/** Writes an HWC image into `out` in NCHW (per-sample CHW) or NHWC order. */
export function writeLayout(im: Img, out: Float32Array, offset: number, nchw: boolean): void {
  const { h, w, c } = im;
  if (!nchw) {
    out.set(im.data, offset);
    return;
  }
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let ch = 0; ch < c; ch++) out[offset + (ch * h + y) * w + x] = im.data[(y * w + x) * c + ch];
}
