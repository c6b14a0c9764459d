//! The per-sample image pipeline: validation against the file's shape, and execution.
//!
//! Execution fuses what it can without changing a single bit of the result: a leading run of
//! integer geometric transforms (at most one `randomCrop`, any flips) becomes a coordinate map
//! read straight from the mapped uint8 pixels, and a trailing run of pointwise transforms
//! (`toFloat`, `normalize`) is applied while writing the output in its final layout. Everything in
//! between runs on a float32 HWC scratch image, one transform at a time.
pub mod ops;

use crate::error::{Error, Result};
use crate::plan::Transform;
use crate::rng::Rng;
use ops::Img;

/// Per-thread scratch buffers.
#[derive(Default)]
pub struct Scratch {
    a: Img,
    b: Img,
}

/// A coordinate map from output pixel to source pixel: src = a*out + b, `fill` outside.
#[derive(Clone, Copy)]
struct Geo {
    oh: usize,
    ow: usize,
    ay: i64,
    by: i64,
    ax: i64,
    bx: i64,
    fill: f32,
}

enum Pointwise {
    Scale(f32),
    Norm(Vec<f32>, Vec<f32>),
}

/// A validated image pipeline for one input shape.
pub struct ImagePipeline {
    pub in_shape: (usize, usize, usize),
    /// Output (h, w, c).
    pub out_shape: (usize, usize, usize),
    pub nchw: bool,
    transforms: Vec<Transform>,
    /// Value range bound for each transform's input (used by colorJitter's clamp).
    max_before: Vec<f32>,
    prefix_end: usize,
    suffix_start: usize,
    suffix: Vec<Pointwise>,
}

impl ImagePipeline {
    /// Checks `transforms` against an input of shape (h, w, c); `path` names the file in errors.
    pub fn new(path: &str, (h, w, c): (usize, usize, usize), transforms: &[Transform], nchw: bool) -> Result<ImagePipeline> {
        let (mut ch, mut cw) = (h, w);
        let mut max: Option<f32> = Some(255.0);
        let mut max_before = Vec::new();
        let mut transforms = transforms.to_vec();
        for (i, t) in transforms.iter_mut().enumerate() {
            let tname = name(t);
            let at = |msg: String| Error::plan(format!("plan.data.transforms[{i}] ({tname}) on '{path}' with images {h}x{w}x{c}: {msg}"));
            max_before.push(max.unwrap_or(f32::NAN));
            match t {
                Transform::RandomCrop { h: th, w: tw, padding, .. } => {
                    if *th > ch + 2 * *padding || *tw > cw + 2 * *padding {
                        return Err(at(format!("crop {th}x{tw} is larger than the padded image {}x{}; lower size or raise padding", ch + 2 * *padding, cw + 2 * *padding)));
                    }
                    (ch, cw) = (*th, *tw);
                }
                Transform::RandomResizedCrop { h: th, w: tw, .. } | Transform::Resize { h: th, w: tw } => (ch, cw) = (*th, *tw),
                Transform::ColorJitter { saturation, hue, .. } => {
                    if (*saturation > 0.0 || *hue > 0.0) && c != 3 {
                        return Err(at(format!("saturation and hue need 3 channels, the images have {c}")));
                    }
                    match max {
                        Some(m) if m > 0.0 => {}
                        _ => return Err(at("colorJitter must come before normalize (it clamps to the pixel range) and after a positive toFloat scale".into())),
                    }
                }
                Transform::Grayscale { .. } if c != 3 => return Err(at(format!("grayscale needs 3 channels, the images have {c}"))),
                Transform::ToFloat { scale } => max = max.map(|m| m * *scale),
                Transform::Normalize { mean, std } => {
                    if mean.len() == 1 && c > 1 {
                        *mean = vec![mean[0]; c];
                        *std = vec![std[0]; c];
                    }
                    if mean.len() != c {
                        return Err(at(format!("mean/std have {} values but the images have {c} channels; give one value or one per channel", mean.len())));
                    }
                    max = None;
                }
                _ => {}
            }
        }
        let mut prefix_end = 0;
        let mut crops = 0;
        for t in &transforms {
            match t {
                Transform::RandomCrop { .. } if crops == 0 => crops += 1,
                Transform::HorizontalFlip { .. } | Transform::VerticalFlip { .. } => {}
                _ => break,
            }
            prefix_end += 1;
        }
        let mut suffix_start = transforms.len();
        while suffix_start > prefix_end && matches!(transforms[suffix_start - 1], Transform::ToFloat { .. } | Transform::Normalize { .. }) {
            suffix_start -= 1;
        }
        let suffix = transforms[suffix_start..].iter().map(|t| match t {
            Transform::ToFloat { scale } => Pointwise::Scale(*scale),
            Transform::Normalize { mean, std } => Pointwise::Norm(mean.clone(), std.clone()),
            _ => unreachable!(),
        }).collect();
        Ok(ImagePipeline { in_shape: (h, w, c), out_shape: (ch, cw, c), nchw, transforms, max_before, prefix_end, suffix_start, suffix })
    }

    /// Number of f32 values per output sample.
    pub fn sample_len(&self) -> usize {
        self.out_shape.0 * self.out_shape.1 * self.out_shape.2
    }

    /// Runs the pipeline on one HWC uint8 image, writing the result to `out` (sample_len values).
    pub fn run(&self, src: &[u8], seed: u32, epoch: u32, row: u32, out: &mut [f32], scratch: &mut Scratch) {
        let (h, w, c) = self.in_shape;
        let mut geo = Geo { oh: h, ow: w, ay: 1, by: 0, ax: 1, bx: 0, fill: 0.0 };
        for (i, t) in self.transforms[..self.prefix_end].iter().enumerate() {
            let mut rng = Rng::new(seed, epoch, row, i as u32);
            match t {
                Transform::RandomCrop { h: th, w: tw, padding, fill } => {
                    let p = *padding;
                    let (top, left) = ops::crop_offsets(&mut rng, geo.oh + 2 * p, geo.ow + 2 * p, *th, *tw);
                    geo.by += geo.ay * (top as i64 - p as i64);
                    geo.bx += geo.ax * (left as i64 - p as i64);
                    geo.oh = *th;
                    geo.ow = *tw;
                    geo.fill = *fill;
                }
                Transform::HorizontalFlip { p } => {
                    if rng.coin(*p) {
                        geo.bx += geo.ax * (geo.ow as i64 - 1);
                        geo.ax = -geo.ax;
                    }
                }
                Transform::VerticalFlip { p } => {
                    if rng.coin(*p) {
                        geo.by += geo.ay * (geo.oh as i64 - 1);
                        geo.ay = -geo.ay;
                    }
                }
                _ => unreachable!(),
            }
        }
        if self.prefix_end == self.suffix_start {
            self.write_from_u8(src, &geo, out);
            return;
        }
        let Scratch { a, b } = scratch;
        materialize(src, (h, w, c), &geo, a);
        for (i, t) in self.transforms.iter().enumerate().take(self.suffix_start).skip(self.prefix_end) {
            let mut rng = Rng::new(seed, epoch, row, i as u32);
            match t {
                Transform::RandomCrop { h: th, w: tw, padding, fill } => {
                    let p = *padding;
                    let (top, left) = ops::crop_offsets(&mut rng, a.h + 2 * p, a.w + 2 * p, *th, *tw);
                    let g = Geo { oh: *th, ow: *tw, ay: 1, by: top as i64 - p as i64, ax: 1, bx: left as i64 - p as i64, fill: *fill };
                    remap(a, &g, b);
                    std::mem::swap(a, b);
                }
                Transform::HorizontalFlip { p } => {
                    if rng.coin(*p) {
                        let g = Geo { oh: a.h, ow: a.w, ay: 1, by: 0, ax: -1, bx: a.w as i64 - 1, fill: 0.0 };
                        remap(a, &g, b);
                        std::mem::swap(a, b);
                    }
                }
                Transform::VerticalFlip { p } => {
                    if rng.coin(*p) {
                        let g = Geo { oh: a.h, ow: a.w, ay: -1, by: a.h as i64 - 1, ax: 1, bx: 0, fill: 0.0 };
                        remap(a, &g, b);
                        std::mem::swap(a, b);
                    }
                }
                Transform::RandomResizedCrop { h: th, w: tw, scale, ratio } => {
                    let (top, left, rh, rw) = ops::rrc_region(&mut rng, a.h, a.w, *scale, *ratio);
                    ops::resize_region(a, top, left, rh, rw, *th, *tw, b);
                    std::mem::swap(a, b);
                }
                Transform::Resize { h: th, w: tw } => {
                    ops::resize_region(a, 0, 0, a.h, a.w, *th, *tw, b);
                    std::mem::swap(a, b);
                }
                Transform::Rotation { degrees, fill } => {
                    ops::rotate(&mut rng, a, *degrees, *fill, b);
                    std::mem::swap(a, b);
                }
                Transform::ColorJitter { brightness, contrast, saturation, hue } => {
                    ops::color_jitter(&mut rng, a, *brightness, *contrast, *saturation, *hue, self.max_before[i]);
                }
                Transform::Grayscale { p } => ops::grayscale(&mut rng, a, *p),
                Transform::RandomErasing { p, scale, ratio, value } => ops::random_erasing(&mut rng, a, *p, *scale, *ratio, *value),
                Transform::ToFloat { scale } => a.data.iter_mut().for_each(|v| *v = *v * *scale),
                Transform::Normalize { mean, std } => {
                    for px in a.data.chunks_exact_mut(c) {
                        for ch in 0..c {
                            px[ch] = (px[ch] - mean[ch]) / std[ch];
                        }
                    }
                }
            }
        }
        self.write_from_f32(a, out);
    }

    #[inline]
    fn pointwise(&self, mut v: f32, ch: usize) -> f32 {
        for op in &self.suffix {
            v = match op {
                Pointwise::Scale(s) => v * *s,
                Pointwise::Norm(m, s) => (v - m[ch]) / s[ch],
            };
        }
        v
    }

    #[inline]
    fn out_index(&self, y: usize, x: usize, ch: usize) -> usize {
        let (oh, ow, c) = self.out_shape;
        if self.nchw { (ch * oh + y) * ow + x } else { (y * ow + x) * c + ch }
    }

    fn write_from_u8(&self, src: &[u8], g: &Geo, out: &mut [f32]) {
        let (h, w, c) = self.in_shape;
        // Per-channel lookup table of the pointwise suffix for every byte value and the fill.
        let mut lut = vec![0f32; 256 * c];
        for ch in 0..c {
            for v in 0..256 {
                lut[ch * 256 + v] = self.pointwise(v as f32, ch);
            }
        }
        let fills: Vec<f32> = (0..c).map(|ch| self.pointwise(g.fill, ch)).collect();
        for y in 0..g.oh {
            let sy = g.ay * y as i64 + g.by;
            let row_in = sy >= 0 && sy < h as i64;
            for x in 0..g.ow {
                let sx = g.ax * x as i64 + g.bx;
                if row_in && sx >= 0 && sx < w as i64 {
                    let base = (sy as usize * w + sx as usize) * c;
                    for ch in 0..c {
                        out[self.out_index(y, x, ch)] = lut[ch * 256 + src[base + ch] as usize];
                    }
                } else {
                    for ch in 0..c {
                        out[self.out_index(y, x, ch)] = fills[ch];
                    }
                }
            }
        }
    }

    fn write_from_f32(&self, img: &Img, out: &mut [f32]) {
        let c = img.c;
        for y in 0..img.h {
            for x in 0..img.w {
                for ch in 0..c {
                    out[self.out_index(y, x, ch)] = self.pointwise(img.data[(y * img.w + x) * c + ch], ch);
                }
            }
        }
    }
}

fn materialize(src: &[u8], (h, w, c): (usize, usize, usize), g: &Geo, out: &mut Img) {
    out.reset(g.oh, g.ow, c);
    for y in 0..g.oh {
        let sy = g.ay * y as i64 + g.by;
        for x in 0..g.ow {
            let sx = g.ax * x as i64 + g.bx;
            let o = (y * g.ow + x) * c;
            if sy >= 0 && sy < h as i64 && sx >= 0 && sx < w as i64 {
                let base = (sy as usize * w + sx as usize) * c;
                for ch in 0..c {
                    out.data[o + ch] = src[base + ch] as f32;
                }
            } else {
                out.data[o..o + c].fill(g.fill);
            }
        }
    }
}

fn remap(src: &Img, g: &Geo, out: &mut Img) {
    let c = src.c;
    out.reset(g.oh, g.ow, c);
    for y in 0..g.oh {
        let sy = g.ay * y as i64 + g.by;
        for x in 0..g.ow {
            let sx = g.ax * x as i64 + g.bx;
            let o = (y * g.ow + x) * c;
            if sy >= 0 && sy < src.h as i64 && sx >= 0 && sx < src.w as i64 {
                let base = (sy as usize * src.w + sx as usize) * c;
                out.data[o..o + c].copy_from_slice(&src.data[base..base + c]);
            } else {
                out.data[o..o + c].fill(g.fill);
            }
        }
    }
}

fn name(t: &Transform) -> &'static str {
    match t {
        Transform::RandomCrop { .. } => "randomCrop",
        Transform::RandomResizedCrop { .. } => "randomResizedCrop",
        Transform::HorizontalFlip { .. } => "horizontalFlip",
        Transform::VerticalFlip { .. } => "verticalFlip",
        Transform::Rotation { .. } => "rotation",
        Transform::ColorJitter { .. } => "colorJitter",
        Transform::Grayscale { .. } => "grayscale",
        Transform::RandomErasing { .. } => "randomErasing",
        Transform::Resize { .. } => "resize",
        Transform::ToFloat { .. } => "toFloat",
        Transform::Normalize { .. } => "normalize",
    }
}
