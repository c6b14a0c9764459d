/**
 * The loader plan's transforms: per-sample image transforms (crops, flips, rotation, colour jitter,
 * erasing, resize, scaling, normalization) and the batch-level mixup and cutmix, as a plan writes
 * them, as they cross to Rust (every parameter present), and the check that turns one into the other.
 */
import { isObj, type PlanChecker } from './plan-checker.js';

/** A `[height, width]` pair, or one number for a square. */
export type Size = number | [number, number];

/** Per-sample image transforms, applied in order to uint8 HWC images (values 0..255). */
export type ImageTransform =
  /** Pad by `padding` pixels of value `fill` on each side, then crop `size` at a random offset. */
  | { type: 'randomCrop'; size: Size; padding?: number; fill?: number }
  /** torchvision RandomResizedCrop: random area fraction `scale` and aspect `ratio`, bilinear resize to `size`. */
  | { type: 'randomResizedCrop'; size: Size; scale?: [number, number]; ratio?: [number, number] }
  /** Mirror left-right with probability `p` (default 0.5). */
  | { type: 'horizontalFlip'; p?: number }
  /** Mirror top-bottom with probability `p` (default 0.5). */
  | { type: 'verticalFlip'; p?: number }
  /** Rotate about the centre by a uniform angle in [-degrees, degrees], bilinear, `fill` outside. */
  | { type: 'rotation'; degrees: number; fill?: number }
  /**
   * Random brightness, contrast, saturation factors in [max(0,1-x), 1+x] and hue shift in [-hue, hue] (hue <= 0.5),
   * applied in that order.
   */
  | { type: 'colorJitter'; brightness?: number; contrast?: number; saturation?: number; hue?: number }
  /** Replace RGB by its luma (0.299, 0.587, 0.114) in all 3 channels with probability `p` (default 1). */
  | { type: 'grayscale'; p?: number }
  /** torchvision RandomErasing with a constant `value`. */
  | { type: 'randomErasing'; p?: number; scale?: [number, number]; ratio?: [number, number]; value?: number }
  /** Bilinear resize (half-pixel centres, no antialias). */
  | { type: 'resize'; size: Size }
  /** Multiply by `scale` (default 1/255): uint8 range to float [0, 1]. */
  | { type: 'toFloat'; scale?: number }
  /** (x - mean[c]) / std[c], one value or one per channel. */
  | { type: 'normalize'; mean: number[]; std: number[] };

/** Batch-level transforms; both need `label.oneHot` and produce soft labels. */
export type BatchTransform =
  /** Mix each sample with its predecessor in the batch: lam ~ Beta(alpha, alpha), applied with probability `p`. */
  | { type: 'mixup'; alpha?: number; p?: number }
  /** Paste a box from each sample's predecessor; labels weighted by area. Images only. */
  | { type: 'cutmix'; alpha?: number; p?: number };

/** A batch transform with all parameters present. */
export interface NormalizedBatchTransform {
  type: 'mixup' | 'cutmix';
  alpha: number;
  p: number;
}

/** A transform with all parameters present and sizes as pairs. */
export type NormalizedTransform =
  | { type: 'randomCrop'; size: [number, number]; padding: number; fill: number }
  | { type: 'randomResizedCrop'; size: [number, number]; scale: [number, number]; ratio: [number, number] }
  | { type: 'horizontalFlip'; p: number }
  | { type: 'verticalFlip'; p: number }
  | { type: 'rotation'; degrees: number; fill: number }
  | { type: 'colorJitter'; brightness: number; contrast: number; saturation: number; hue: number }
  | { type: 'grayscale'; p: number }
  | { type: 'randomErasing'; p: number; scale: [number, number]; ratio: [number, number]; value: number }
  | { type: 'resize'; size: [number, number] }
  | { type: 'toFloat'; scale: number }
  | { type: 'normalize'; mean: number[]; std: number[] };

const TRANSFORM_KEYS: Record<NormalizedTransform['type'], string[]> = {
  randomCrop: ['size', 'padding', 'fill'],
  randomResizedCrop: ['size', 'scale', 'ratio'],
  horizontalFlip: ['p'],
  verticalFlip: ['p'],
  rotation: ['degrees', 'fill'],
  colorJitter: ['brightness', 'contrast', 'saturation', 'hue'],
  grayscale: ['p'],
  randomErasing: ['p', 'scale', 'ratio', 'value'],
  resize: ['size'],
  toFloat: ['scale'],
  normalize: ['mean', 'std'],
};
const BIG = 1e9;

/**
 * Checks one image transform at plan path `path` and returns it with its defaults filled (null when
 * its type is unknown); `state` carries what earlier transforms did (colorJitter must precede normalize).
 */
export function imageTransform(
  c: PlanChecker,
  t: unknown,
  path: string,
  state: { normalized: boolean },
): NormalizedTransform | null {
  if (!isObj(t) || typeof t.type !== 'string' || !(t.type in TRANSFORM_KEYS)) {
    c.fail(`${path}.type`, `one of ${Object.keys(TRANSFORM_KEYS).join(', ')}`, isObj(t) ? t.type : t);
    return null;
  }
  const type = t.type as NormalizedTransform['type'];
  c.keys(t, path, ['type', ...TRANSFORM_KEYS[type]]);
  const p = (def: number) => c.num(t, 'p', path, def, 0, 1);
  switch (type) {
    case 'randomCrop':
      return {
        type,
        size: c.size(t, 'size', path),
        padding: c.num(t, 'padding', path, 0, 0, 4096, true),
        fill: c.num(t, 'fill', path, 0, -BIG, BIG),
      };
    case 'randomResizedCrop':
      return {
        type,
        size: c.size(t, 'size', path),
        scale: c.pair(t, 'scale', path, [0.08, 1], 1e-9, 1),
        ratio: c.pair(t, 'ratio', path, [3 / 4, 4 / 3], 1e-6, 1e6),
      };
    case 'horizontalFlip':
    case 'verticalFlip':
      return { type, p: p(0.5) };
    case 'rotation':
      return {
        type,
        degrees: c.num(t, 'degrees', path, undefined, 0, 360),
        fill: c.num(t, 'fill', path, 0, -BIG, BIG),
      };
    case 'colorJitter':
      if (state.normalized)
        c.issues.push(`plan.${path}: colorJitter must come before normalize (it clamps to the pixel range)`);
      return {
        type,
        brightness: c.num(t, 'brightness', path, 0, 0, BIG),
        contrast: c.num(t, 'contrast', path, 0, 0, BIG),
        saturation: c.num(t, 'saturation', path, 0, 0, BIG),
        hue: c.num(t, 'hue', path, 0, 0, 0.5),
      };
    case 'grayscale':
      return { type, p: p(1) };
    case 'randomErasing':
      return {
        type,
        p: p(0.5),
        scale: c.pair(t, 'scale', path, [0.02, 0.33], 0, 1),
        ratio: c.pair(t, 'ratio', path, [0.3, 3.3], 1e-6, 1e6),
        value: c.num(t, 'value', path, 0, -BIG, BIG),
      };
    case 'resize':
      return { type, size: c.size(t, 'size', path) };
    case 'toFloat':
      return { type, scale: c.num(t, 'scale', path, 1 / 255, 1e-30, BIG) };
    case 'normalize': {
      state.normalized = true;
      const mean = c.numbers(t, 'mean', path);
      const std = c.numbers(t, 'std', path, true);
      if (mean.length !== std.length)
        c.issues.push(`plan.${path}: mean has ${mean.length} values but std has ${std.length}; give one per channel`);
      return { type, mean, std };
    }
  }
}

/**
 * Checks one batch transform at plan path `path` and returns it with its defaults filled (null when
 * its type is unknown). Both produce soft labels, so the plan needs `oneHot` labels; cutmix needs images.
 */
export function batchTransform(
  c: PlanChecker,
  t: unknown,
  path: string,
  plan: { oneHot: boolean; image: boolean },
): NormalizedBatchTransform | null {
  if (!isObj(t) || (t.type !== 'mixup' && t.type !== 'cutmix')) {
    c.fail(`${path}.type`, "'mixup' or 'cutmix'", isObj(t) ? t.type : t);
    return null;
  }
  c.keys(t, path, ['type', 'alpha', 'p']);
  const n: NormalizedBatchTransform = {
    type: t.type,
    alpha: c.num(t, 'alpha', path, t.type === 'mixup' ? 0.2 : 1, 1e-6, 1e6),
    p: c.num(t, 'p', path, 1, 0, 1),
  };
  if (!plan.oneHot)
    c.issues.push(`plan.${path}: ${t.type} produces soft labels; set plan.label.oneHot to the number of classes`);
  if (t.type === 'cutmix' && !plan.image)
    c.issues.push(`plan.${path}: cutmix needs image data; use mixup for tabular data`);
  return n;
}
