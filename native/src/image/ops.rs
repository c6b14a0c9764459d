//! Image transforms on float32 HWC images. Each function mirrors `src/native/oracle/image.ts`
//! operation for operation (same f32 arithmetic order, same random draws), so the two agree bit
//! for bit; the tests assert exact equality for integer-valued transforms and document a
//! tolerance for the float ones.
use crate::rng::{exp, ln, sincos, Rng, PI};

/// A float32 HWC image.
#[derive(Debug, Clone, Default)]
pub struct Img {
    pub h: usize,
    pub w: usize,
    pub c: usize,
    pub data: Vec<f32>,
}

impl Img {
    pub fn reset(&mut self, h: usize, w: usize, c: usize) {
        self.h = h;
        self.w = w;
        self.c = c;
        self.data.clear();
        self.data.resize(h * w * c, 0.0);
    }
}

#[inline]
fn clamp(v: f32, hi: f32) -> f32 {
    if v < 0.0 { 0.0 } else if v > hi { hi } else { v }
}

/// Draws the (top, left) of a random crop of `th x tw` from a padded `ph x pw` image.
pub fn crop_offsets(rng: &mut Rng, ph: usize, pw: usize, th: usize, tw: usize) -> (usize, usize) {
    let top = rng.below((ph - th + 1) as u64) as usize;
    let left = rng.below((pw - tw + 1) as u64) as usize;
    (top, left)
}

/// Torchvision's RandomResizedCrop region: (top, left, height, width).
pub fn rrc_region(rng: &mut Rng, h: usize, w: usize, scale: (f64, f64), ratio: (f64, f64)) -> (usize, usize, usize, usize) {
    let area = (h * w) as f64;
    let (lr0, lr1) = (ln(ratio.0), ln(ratio.1));
    for _ in 0..10 {
        let target = area * rng.range(scale.0, scale.1);
        let aspect = exp(rng.range(lr0, lr1));
        let cw = ((target * aspect).sqrt() + 0.5).floor();
        let ch = ((target / aspect).sqrt() + 0.5).floor();
        if cw > 0.0 && ch > 0.0 && cw <= w as f64 && ch <= h as f64 {
            let (cw, ch) = (cw as usize, ch as usize);
            let top = rng.below((h - ch + 1) as u64) as usize;
            let left = rng.below((w - cw + 1) as u64) as usize;
            return (top, left, ch, cw);
        }
    }
    let in_ratio = w as f64 / h as f64;
    let (cw, ch) = if in_ratio < ratio.0 {
        (w, ((w as f64 / ratio.0 + 0.5).floor() as usize).clamp(1, h))
    } else if in_ratio > ratio.1 {
        (((h as f64 * ratio.1 + 0.5).floor() as usize).clamp(1, w), h)
    } else {
        (w, h)
    };
    ((h - ch) / 2, (w - cw) / 2, ch, cw)
}

/// Bilinear resize (half-pixel centres, edge clamp, no antialias) of a region of `src`.
pub fn resize_region(src: &Img, top: usize, left: usize, rh: usize, rw: usize, th: usize, tw: usize, out: &mut Img) {
    let c = src.c;
    out.reset(th, tw, c);
    let sh = rh as f32 / th as f32;
    let sw = rw as f32 / tw as f32;
    let mut xs = Vec::with_capacity(tw);
    for x in 0..tw {
        let mut fx = (x as f32 + 0.5) * sw - 0.5;
        if fx < 0.0 {
            fx = 0.0;
        }
        let mut ix = fx.floor() as usize;
        if ix > rw - 1 {
            ix = rw - 1;
        }
        let ix1 = if ix + 1 < rw { ix + 1 } else { rw - 1 };
        xs.push((left + ix, left + ix1, fx - ix as f32));
    }
    for y in 0..th {
        let mut fy = (y as f32 + 0.5) * sh - 0.5;
        if fy < 0.0 {
            fy = 0.0;
        }
        let mut iy = fy.floor() as usize;
        if iy > rh - 1 {
            iy = rh - 1;
        }
        let iy1 = if iy + 1 < rh { iy + 1 } else { rh - 1 };
        let wy = fy - iy as f32;
        let (r0, r1) = ((top + iy) * src.w, (top + iy1) * src.w);
        for (x, &(x0, x1, wx)) in xs.iter().enumerate() {
            for ch in 0..c {
                let p00 = src.data[(r0 + x0) * c + ch];
                let p01 = src.data[(r0 + x1) * c + ch];
                let p10 = src.data[(r1 + x0) * c + ch];
                let p11 = src.data[(r1 + x1) * c + ch];
                let t = p00 + (p01 - p00) * wx;
                let b = p10 + (p11 - p10) * wx;
                out.data[(y * tw + x) * c + ch] = t + (b - t) * wy;
            }
        }
    }
}

/// Rotation about the centre by a uniform angle in [-degrees, degrees], bilinear, `fill` outside.
pub fn rotate(rng: &mut Rng, src: &Img, degrees: f64, fill: f32, out: &mut Img) {
    let angle = rng.range(-degrees, degrees);
    let (s, c) = sincos(angle * PI / 180.0);
    let (sf, cf) = (s as f32, c as f32);
    let (h, w, nc) = (src.h, src.w, src.c);
    out.reset(h, w, nc);
    let cx = (w as f32 - 1.0) * 0.5;
    let cy = (h as f32 - 1.0) * 0.5;
    let fetch = |yy: f32, xx: f32, ch: usize| -> f32 {
        if yy >= 0.0 && xx >= 0.0 && yy < h as f32 && xx < w as f32 {
            src.data[((yy as usize) * w + xx as usize) * nc + ch]
        } else {
            fill
        }
    };
    for y in 0..h {
        let dy = y as f32 - cy;
        for x in 0..w {
            let dx = x as f32 - cx;
            let sx = (cf * dx + sf * dy) + cx;
            let sy = (cf * dy - sf * dx) + cy;
            let x0 = sx.floor();
            let y0 = sy.floor();
            let wx = sx - x0;
            let wy = sy - y0;
            for ch in 0..nc {
                let p00 = fetch(y0, x0, ch);
                let p01 = fetch(y0, x0 + 1.0, ch);
                let p10 = fetch(y0 + 1.0, x0, ch);
                let p11 = fetch(y0 + 1.0, x0 + 1.0, ch);
                let t = p00 + (p01 - p00) * wx;
                let b = p10 + (p11 - p10) * wx;
                out.data[(y * w + x) * nc + ch] = t + (b - t) * wy;
            }
        }
    }
}

#[inline]
fn gray(r: f32, g: f32, b: f32) -> f32 {
    0.299f32 * r + 0.587f32 * g + 0.114f32 * b
}

/// Brightness, contrast, saturation, hue (in that fixed order), values clamped to [0, max].
pub fn color_jitter(rng: &mut Rng, img: &mut Img, b: f64, c: f64, s: f64, hue: f64, max: f32) {
    let factor = |rng: &mut Rng, x: f64| if x > 0.0 { Some(rng.range(if 1.0 - x > 0.0 { 1.0 - x } else { 0.0 }, 1.0 + x) as f32) } else { None };
    let bf = factor(rng, b);
    let cf = factor(rng, c);
    let sf = factor(rng, s);
    let hf = if hue > 0.0 { Some(rng.range(-hue, hue) as f32) } else { None };
    let nc = img.c;
    if let Some(f) = bf {
        for v in img.data.iter_mut() {
            *v = clamp(*v * f, max);
        }
    }
    if let Some(f) = cf {
        let mut sum = 0.0f64;
        for px in img.data.chunks_exact(nc) {
            sum += (if nc == 3 { gray(px[0], px[1], px[2]) } else { px[0] }) as f64;
        }
        let mean = (sum / (img.h * img.w) as f64) as f32;
        let omf = 1.0f32 - f;
        for v in img.data.iter_mut() {
            *v = clamp(f * *v + omf * mean, max);
        }
    }
    if let Some(f) = sf {
        let omf = 1.0f32 - f;
        for px in img.data.chunks_exact_mut(3) {
            let g = gray(px[0], px[1], px[2]);
            for v in px.iter_mut() {
                *v = clamp(f * *v + omf * g, max);
            }
        }
    }
    if let Some(f) = hf {
        for px in img.data.chunks_exact_mut(3) {
            let (r, g, b) = (px[0] / max, px[1] / max, px[2] / max);
            let (h, s, v) = rgb_to_hsv(r, g, b);
            let mut h2 = h + f;
            h2 = h2 - h2.floor();
            let (r, g, b) = hsv_to_rgb(h2, s, v);
            px[0] = r * max;
            px[1] = g * max;
            px[2] = b * max;
        }
    }
}

fn rgb_to_hsv(r: f32, g: f32, b: f32) -> (f32, f32, f32) {
    let maxc = r.max(g).max(b);
    let minc = r.min(g).min(b);
    let eqc = maxc == minc;
    let cr = maxc - minc;
    let s = cr / if eqc { 1.0 } else { maxc };
    let crd = if eqc { 1.0 } else { cr };
    let rc = (maxc - r) / crd;
    let gc = (maxc - g) / crd;
    let bc = (maxc - b) / crd;
    let hr = if maxc == r { bc - gc } else { 0.0 };
    let hg = if maxc == g && maxc != r { 2.0 + rc - bc } else { 0.0 };
    let hb = if maxc != g && maxc != r { 4.0 + gc - rc } else { 0.0 };
    let mut h = (hr + hg + hb) / 6.0 + 1.0;
    h = h - h.floor();
    (h, s, maxc)
}

fn hsv_to_rgb(h: f32, s: f32, v: f32) -> (f32, f32, f32) {
    let h6 = h * 6.0;
    let fi = h6.floor();
    let f = h6 - fi;
    let i = (fi as i32).rem_euclid(6);
    let c1 = |x: f32| if x < 0.0 { 0.0 } else if x > 1.0 { 1.0 } else { x };
    let p = c1(v * (1.0 - s));
    let q = c1(v * (1.0 - s * f));
    let t = c1(v * (1.0 - s * (1.0 - f)));
    match i {
        0 => (v, t, p),
        1 => (q, v, p),
        2 => (p, v, t),
        3 => (p, q, v),
        4 => (t, p, v),
        _ => (v, p, q),
    }
}

/// Random grayscale (3 channels in, 3 identical channels out).
pub fn grayscale(rng: &mut Rng, img: &mut Img, p: f64) {
    if !rng.coin(p) {
        return;
    }
    for px in img.data.chunks_exact_mut(3) {
        let g = gray(px[0], px[1], px[2]);
        px[0] = g;
        px[1] = g;
        px[2] = g;
    }
}

/// Torchvision's RandomErasing with a constant value.
pub fn random_erasing(rng: &mut Rng, img: &mut Img, p: f64, scale: (f64, f64), ratio: (f64, f64), value: f32) {
    if !rng.coin(p) {
        return;
    }
    let (h, w, c) = (img.h, img.w, img.c);
    let area = (h * w) as f64;
    let (lr0, lr1) = (ln(ratio.0), ln(ratio.1));
    for _ in 0..10 {
        let ea = area * rng.range(scale.0, scale.1);
        let aspect = exp(rng.range(lr0, lr1));
        let eh = ((ea * aspect).sqrt() + 0.5).floor();
        let ew = ((ea / aspect).sqrt() + 0.5).floor();
        if !(eh < h as f64 && ew < w as f64) {
            continue;
        }
        let (eh, ew) = (eh as usize, ew as usize);
        let i = rng.below((h - eh + 1) as u64) as usize;
        let j = rng.below((w - ew + 1) as u64) as usize;
        for y in i..i + eh {
            let row = &mut img.data[(y * w + j) * c..(y * w + j + ew) * c];
            row.fill(value);
        }
        return;
    }
}
