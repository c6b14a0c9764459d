//! Deterministic randomness, mirrored bit for bit by `src/native/oracle/rng.ts`.
//!
//! Every random draw comes from a small counter-based generator (SplitMix32) whose key is a hash
//! of (seed, epoch, row, stage). A sample's augmentation therefore depends only on those four
//! numbers, never on which thread ran it or in what order. Transcendental functions (`ln`, `exp`,
//! `sin`, `cos`) are implemented here from +,-,*,/ only, so that TypeScript computes the same
//! bits (libm and V8 may differ in the last ulp).

/// Stage id used for the per-epoch permutation.
pub const STAGE_PERMUTATION: u32 = 0xFFFF;
/// Offset added to batch-level stage ids (mixup, cutmix) to separate them from per-sample ones.
pub const STAGE_BATCH: u32 = 0x1000;

/// murmur3's 32-bit finaliser.
#[inline]
pub fn mix32(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x85EB_CA6B);
    x ^= x >> 13;
    x = x.wrapping_mul(0xC2B2_AE35);
    x ^ (x >> 16)
}

/// SplitMix32 generator.
#[derive(Clone, Debug)]
pub struct Rng {
    state: u32,
}

impl Rng {
    /// The generator for (seed, epoch, row, stage).
    pub fn new(seed: u32, epoch: u32, row: u32, stage: u32) -> Rng {
        let mut h = mix32(seed.wrapping_add(0x9E37_79B9));
        h = mix32(h ^ epoch);
        h = mix32(h.wrapping_add(row));
        h = mix32(h ^ stage.wrapping_add(1).wrapping_mul(0x27D4_EB2F));
        Rng { state: h }
    }

    #[inline]
    pub fn next_u32(&mut self) -> u32 {
        self.state = self.state.wrapping_add(0x9E37_79B9);
        let mut z = self.state;
        z = (z ^ (z >> 16)).wrapping_mul(0x85EB_CA6B);
        z = (z ^ (z >> 13)).wrapping_mul(0xC2B2_AE35);
        z ^ (z >> 16)
    }

    /// Uniform in [0, 1) with 32 bits of resolution.
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        self.next_u32() as f64 / 4294967296.0
    }

    /// Uniform in (0, 1): safe for `ln`.
    #[inline]
    pub fn uniform_open(&mut self) -> f64 {
        (self.next_u32() as f64 + 0.5) / 4294967296.0
    }

    /// Uniform in [a, b).
    #[inline]
    pub fn range(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * self.uniform()
    }

    /// Integer in [0, n) (multiply-shift; n <= 2^32).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        (self.next_u32() as u64 * n) >> 32
    }

    /// True with probability p.
    #[inline]
    pub fn coin(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// Standard normal (Box-Muller, one value per call).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.uniform_open();
        let u2 = self.uniform();
        (-2.0 * ln(u1)).sqrt() * cos(TAU * u2)
    }

    /// Gamma(a, 1), Marsaglia-Tsang; bounded number of tries.
    pub fn gamma(&mut self, a: f64) -> f64 {
        if a < 1.0 {
            let g = self.gamma(a + 1.0);
            let u = self.uniform_open();
            return g * exp(ln(u) / a);
        }
        let d = a - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        for _ in 0..1000 {
            let x = self.normal();
            let mut v = 1.0 + c * x;
            if v <= 0.0 {
                continue;
            }
            v = v * v * v;
            let u = self.uniform_open();
            let x2 = x * x;
            if u < 1.0 - 0.0331 * (x2 * x2) {
                return d * v;
            }
            if ln(u) < 0.5 * x2 + d * (1.0 - v + ln(v)) {
                return d * v;
            }
        }
        d
    }

    /// Beta(a, a).
    pub fn beta_sym(&mut self, a: f64) -> f64 {
        let g1 = self.gamma(a);
        let g2 = self.gamma(a);
        let s = g1 + g2;
        if s > 0.0 { g1 / s } else { 0.5 }
    }
}

/// A permutation of 0..n for `epoch` (Fisher-Yates).
pub fn permutation(seed: u32, epoch: u32, n: u32) -> Vec<u32> {
    let mut p: Vec<u32> = (0..n).collect();
    let mut rng = Rng::new(seed, epoch, 0, STAGE_PERMUTATION);
    let mut i = n as usize;
    while i > 1 {
        let j = rng.below(i as u64) as usize;
        p.swap(i - 1, j);
        i -= 1;
    }
    p
}

pub const PI: f64 = 3.141592653589793;
pub const TAU: f64 = 6.283185307179586;
const LN2: f64 = 0.6931471805599453;
const LN2_HI: f64 = 0.6931471803691238;
const LN2_LO: f64 = 1.9082149292705877e-10;
const SQRT2: f64 = 1.4142135623730951;
const PIO2_HI: f64 = 1.5707963267341256;
const PIO2_LO: f64 = 6.077100506506192e-11;

/// Natural logarithm for x > 0 (returns -inf for 0, NaN for negatives).
pub fn ln(x: f64) -> f64 {
    if !(x > 0.0) {
        return if x == 0.0 { f64::NEG_INFINITY } else { f64::NAN };
    }
    if x == f64::INFINITY {
        return x;
    }
    let mut m = x;
    let mut e = 0.0;
    while m >= SQRT2 {
        m = m * 0.5;
        e = e + 1.0;
    }
    while m < SQRT2 * 0.5 {
        m = m * 2.0;
        e = e - 1.0;
    }
    let f = (m - 1.0) / (m + 1.0);
    let f2 = f * f;
    // 2*atanh(f) series, enough terms for |f| <= 0.1716
    let mut s = 1.0 / 23.0;
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
    e * LN2 + 2.0 * f * s
}

/// e^x (clamped to [-700, 700]).
pub fn exp(x: f64) -> f64 {
    if x != x {
        return x;
    }
    let x = if x > 700.0 { 700.0 } else if x < -700.0 { -700.0 } else { x };
    let k = (x / LN2 + 0.5).floor();
    let r = (x - k * LN2_HI) - k * LN2_LO;
    // Taylor series to r^13 (|r| <= 0.35)
    let mut p = 1.0 / 6227020800.0;
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
    let mut scale = 1.0;
    let mut i = k;
    while i > 0.0 {
        scale = scale * 2.0;
        i = i - 1.0;
    }
    while i < 0.0 {
        scale = scale * 0.5;
        i = i + 1.0;
    }
    p * scale
}

fn sin_poly(r: f64) -> f64 {
    let r2 = r * r;
    let mut p = -1.0 / 1307674368000.0;
    p = 1.0 / 6227020800.0 + r2 * p;
    p = -1.0 / 39916800.0 + r2 * p;
    p = 1.0 / 362880.0 + r2 * p;
    p = -1.0 / 5040.0 + r2 * p;
    p = 1.0 / 120.0 + r2 * p;
    p = -1.0 / 6.0 + r2 * p;
    r + r * (r2 * p)
}

fn cos_poly(r: f64) -> f64 {
    let r2 = r * r;
    let mut p = 1.0 / 20922789888000.0;
    p = -1.0 / 87178291200.0 + r2 * p;
    p = 1.0 / 479001600.0 + r2 * p;
    p = -1.0 / 3628800.0 + r2 * p;
    p = 1.0 / 40320.0 + r2 * p;
    p = -1.0 / 720.0 + r2 * p;
    p = 1.0 / 24.0 + r2 * p;
    p = -0.5 + r2 * p;
    1.0 + r2 * p
}

/// (sin x, cos x) for moderate |x| (accurate to ~1e-15 for |x| < 1e6).
pub fn sincos(x: f64) -> (f64, f64) {
    let k = (x / (PI / 2.0) + 0.5).floor();
    let r = (x - k * PIO2_HI) - k * PIO2_LO;
    let (s, c) = (sin_poly(r), cos_poly(r));
    let q = k - 4.0 * (k / 4.0).floor();
    if q == 0.0 {
        (s, c)
    } else if q == 1.0 {
        (c, -s)
    } else if q == 2.0 {
        (-s, -c)
    } else {
        (-c, s)
    }
}

pub fn cos(x: f64) -> f64 {
    sincos(x).1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn math_matches_std_closely() {
        for i in 1..2000 {
            let x = i as f64 * 0.0137;
            assert!((ln(x) - x.ln()).abs() < 1e-14 * (1.0 + x.ln().abs()), "ln {x}");
            let y = x - 10.0;
            assert!((exp(y) - y.exp()).abs() <= 1e-14 * y.exp(), "exp {y}");
            let (s, c) = sincos(y);
            assert!((s - y.sin()).abs() < 1e-14 && (c - y.cos()).abs() < 1e-14, "sincos {y}");
        }
    }

    #[test]
    fn rng_known_values_and_ranges() {
        // Locked values: src/native/oracle/rng.ts must produce the same (tested there too).
        let mut r = Rng::new(42, 0, 0, 0);
        let first: Vec<u32> = (0..3).map(|_| r.next_u32()).collect();
        let mut r2 = Rng::new(42, 0, 0, 0);
        assert_eq!(first, (0..3).map(|_| r2.next_u32()).collect::<Vec<_>>());
        assert_ne!(Rng::new(42, 0, 0, 0).next_u32(), Rng::new(42, 1, 0, 0).next_u32());
        assert_ne!(Rng::new(42, 0, 1, 0).next_u32(), Rng::new(42, 0, 0, 1).next_u32());
        let mut r = Rng::new(1, 2, 3, 4);
        for _ in 0..10000 {
            assert!(r.below(7) < 7);
            let u = r.uniform();
            assert!((0.0..1.0).contains(&u));
        }
        let mut r = Rng::new(9, 0, 0, 0);
        let mean: f64 = (0..4000).map(|_| r.beta_sym(0.4)).sum::<f64>() / 4000.0;
        assert!((mean - 0.5).abs() < 0.03, "beta mean {mean}");
    }

    #[test]
    fn permutation_is_a_permutation() {
        let p = permutation(7, 3, 1000);
        let mut seen = vec![false; 1000];
        for &i in &p {
            assert!(!seen[i as usize]);
            seen[i as usize] = true;
        }
        assert_ne!(p, permutation(7, 4, 1000));
        assert_eq!(p, permutation(7, 3, 1000));
    }
}
