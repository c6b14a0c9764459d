//! The loader plan: plain data, validated fully by TypeScript (`src/native/plan.ts`) and handed
//! over once as JSON. This module re-checks types and ranges defensively (a bad plan must be an
//! error, never a panic); shape-dependent checks happen once the file is open (`dataset.rs` for
//! the columns, `batch.rs` for the plan against them).
use crate::error::{Error, Result};
use crate::json::{parse, Json};

/// One per-sample image transform. See `src/native/plan.ts` for the meaning of each parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Transform {
    RandomCrop { h: usize, w: usize, padding: usize, fill: f32 },
    RandomResizedCrop { h: usize, w: usize, scale: (f64, f64), ratio: (f64, f64) },
    HorizontalFlip { p: f64 },
    VerticalFlip { p: f64 },
    Rotation { degrees: f64, fill: f32 },
    ColorJitter { brightness: f64, contrast: f64, saturation: f64, hue: f64 },
    Grayscale { p: f64 },
    RandomErasing { p: f64, scale: (f64, f64), ratio: (f64, f64), value: f32 },
    Resize { h: usize, w: usize },
    ToFloat { scale: f32 },
    Normalize { mean: Vec<f32>, std: Vec<f32> },
}

/// A batch-level transform (needs one-hot labels).
#[derive(Debug, Clone, PartialEq)]
pub enum BatchTransform {
    Mixup { alpha: f64, p: f64 },
    Cutmix { alpha: f64, p: f64 },
}

#[derive(Debug, Clone, PartialEq)]
pub enum DataPlan {
    Image { column: String, nchw: bool, transforms: Vec<Transform> },
    Tabular { columns: Vec<String>, standardize: Option<(Vec<f32>, Vec<f32>)> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct LabelPlan {
    pub column: String,
    pub one_hot: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub path: String,
    pub data: DataPlan,
    pub label: Option<LabelPlan>,
    pub batch_transforms: Vec<BatchTransform>,
    pub batch_size: usize,
    pub shuffle: bool,
    pub seed: u32,
    pub drop_last: bool,
    pub shard_index: u32,
    pub shard_count: u32,
    pub threads: usize,
    pub prefetch: usize,
    pub epochs: Option<u32>,
    pub cursor_epoch: u32,
    pub cursor_position: u64,
    pub resident_bytes: u64,
    /// Dataset rows this loader reads (a split), in this order; None = every row.
    pub rows: Option<Vec<u32>>,
}

fn bad(path: &str, expected: &str, got: Option<&Json>) -> Error {
    let got = match got {
        None => "nothing".to_string(),
        Some(v) => format!("{v:?}"),
    };
    Error::plan(format!("expected {expected} for plan.{path} but got {got}"))
}

struct Obj<'a> {
    v: &'a Json,
    path: String,
}

impl<'a> Obj<'a> {
    fn new(v: &'a Json, path: &str) -> Result<Obj<'a>> {
        match v {
            Json::Obj(_) => Ok(Obj { v, path: path.to_string() }),
            _ => Err(bad(path, "an object", Some(v))),
        }
    }
    fn p(&self, k: &str) -> String {
        if self.path.is_empty() { k.to_string() } else { format!("{}.{k}", self.path) }
    }
    fn get(&self, k: &str) -> Option<&'a Json> {
        self.v.get(k)
    }
    fn obj(&self, k: &str) -> Result<Obj<'a>> {
        let v = self.get(k).ok_or_else(|| bad(&self.p(k), "an object", None))?;
        Obj::new(v, &self.p(k))
    }
    fn num(&self, k: &str, lo: f64, hi: f64) -> Result<f64> {
        match self.get(k) {
            Some(Json::Num(n)) if *n >= lo && *n <= hi => Ok(*n),
            v => Err(bad(&self.p(k), &format!("a number in [{lo}, {hi}]"), v)),
        }
    }
    fn int(&self, k: &str, lo: u64, hi: u64) -> Result<u64> {
        match self.get(k) {
            Some(Json::Num(n)) if n.fract() == 0.0 && *n >= lo as f64 && *n <= hi as f64 => Ok(*n as u64),
            v => Err(bad(&self.p(k), &format!("an integer in [{lo}, {hi}]"), v)),
        }
    }
    fn bool(&self, k: &str) -> Result<bool> {
        match self.get(k) {
            Some(Json::Bool(b)) => Ok(*b),
            v => Err(bad(&self.p(k), "a boolean", v)),
        }
    }
    fn str(&self, k: &str) -> Result<String> {
        match self.get(k) {
            Some(Json::Str(s)) if !s.is_empty() => Ok(s.clone()),
            v => Err(bad(&self.p(k), "a non-empty string", v)),
        }
    }
    fn nums(&self, k: &str) -> Result<Vec<f64>> {
        match self.get(k) {
            Some(Json::Arr(a)) if !a.is_empty() => a.iter().map(|x| match x {
                Json::Num(n) => Ok(*n),
                _ => Err(bad(&self.p(k), "an array of numbers", Some(x))),
            }).collect(),
            v => Err(bad(&self.p(k), "a non-empty array of numbers", v)),
        }
    }
    fn pair(&self, k: &str, lo: f64, hi: f64) -> Result<(f64, f64)> {
        let v = self.nums(k)?;
        if v.len() != 2 || !(v[0] >= lo && v[0] <= v[1] && v[1] <= hi) {
            return Err(bad(&self.p(k), &format!("[min, max] with {lo} <= min <= max <= {hi}"), self.get(k)));
        }
        Ok((v[0], v[1]))
    }
    fn size(&self, k: &str) -> Result<(usize, usize)> {
        let v = self.nums(k)?;
        if v.len() != 2 || v.iter().any(|x| x.fract() != 0.0 || *x < 1.0 || *x > 65536.0) {
            return Err(bad(&self.p(k), "[height, width] of positive integers", self.get(k)));
        }
        Ok((v[0] as usize, v[1] as usize))
    }
    fn f32s(&self, k: &str) -> Result<Vec<f32>> {
        Ok(self.nums(k)?.into_iter().map(|x| x as f32).collect())
    }
}

fn transform(o: &Obj) -> Result<Transform> {
    let ty = o.str("type")?;
    let big = 1e9;
    Ok(match ty.as_str() {
        "randomCrop" => {
            let (h, w) = o.size("size")?;
            Transform::RandomCrop { h, w, padding: o.int("padding", 0, 4096)? as usize, fill: o.num("fill", -big, big)? as f32 }
        }
        "randomResizedCrop" => {
            let (h, w) = o.size("size")?;
            let ratio = o.pair("ratio", 1e-6, 1e6)?;
            Transform::RandomResizedCrop { h, w, scale: o.pair("scale", 1e-9, 1.0)?, ratio }
        }
        "horizontalFlip" => Transform::HorizontalFlip { p: o.num("p", 0.0, 1.0)? },
        "verticalFlip" => Transform::VerticalFlip { p: o.num("p", 0.0, 1.0)? },
        "rotation" => Transform::Rotation { degrees: o.num("degrees", 0.0, 360.0)?, fill: o.num("fill", -big, big)? as f32 },
        "colorJitter" => Transform::ColorJitter {
            brightness: o.num("brightness", 0.0, big)?,
            contrast: o.num("contrast", 0.0, big)?,
            saturation: o.num("saturation", 0.0, big)?,
            hue: o.num("hue", 0.0, 0.5)?,
        },
        "grayscale" => Transform::Grayscale { p: o.num("p", 0.0, 1.0)? },
        "randomErasing" => Transform::RandomErasing {
            p: o.num("p", 0.0, 1.0)?,
            scale: o.pair("scale", 0.0, 1.0)?,
            ratio: o.pair("ratio", 1e-6, 1e6)?,
            value: o.num("value", -big, big)? as f32,
        },
        "resize" => {
            let (h, w) = o.size("size")?;
            Transform::Resize { h, w }
        }
        "toFloat" => Transform::ToFloat { scale: o.num("scale", -big, big)? as f32 },
        "normalize" => {
            let (mean, std) = (o.f32s("mean")?, o.f32s("std")?);
            if mean.len() != std.len() || std.iter().any(|s| !(*s > 0.0)) {
                return Err(bad(&o.p("std"), "positive numbers, as many as mean", o.get("std")));
            }
            Transform::Normalize { mean, std }
        }
        other => return Err(Error::plan(format!("unknown transform '{other}' at plan.{}", o.path))),
    })
}

impl Plan {
    /// Parses and checks a normalized plan (the JSON that `src/native/plan.ts` produces).
    pub fn from_json(text: &str) -> Result<Plan> {
        let root = parse(text)?;
        let o = Obj::new(&root, "")?;
        let data = o.obj("data")?;
        let data = match data.str("kind")?.as_str() {
            "image" => {
                let mut transforms = Vec::new();
                match data.get("transforms") {
                    Some(Json::Arr(a)) => {
                        for (i, t) in a.iter().enumerate() {
                            transforms.push(transform(&Obj::new(t, &format!("data.transforms[{i}]"))?)?);
                        }
                    }
                    v => return Err(bad("data.transforms", "an array", v)),
                }
                let nchw = match data.str("layout")?.as_str() {
                    "NCHW" => true,
                    "NHWC" => false,
                    _ => return Err(bad("data.layout", "'NCHW' or 'NHWC'", data.get("layout"))),
                };
                DataPlan::Image { column: data.str("column")?, nchw, transforms }
            }
            "tabular" => {
                let columns = match data.get("columns") {
                    Some(Json::Arr(a)) if !a.is_empty() => a.iter().map(|c| match c {
                        Json::Str(s) => Ok(s.clone()),
                        _ => Err(bad("data.columns", "column names", Some(c))),
                    }).collect::<Result<Vec<_>>>()?,
                    v => return Err(bad("data.columns", "a non-empty array of column names", v)),
                };
                let standardize = match data.get("standardize") {
                    None | Some(Json::Null) => None,
                    Some(_) => {
                        let s = data.obj("standardize")?;
                        let (mean, std) = (s.f32s("mean")?, s.f32s("std")?);
                        if mean.len() != std.len() || std.iter().any(|x| !(*x > 0.0)) {
                            return Err(bad("data.standardize.std", "positive numbers, as many as mean", s.get("std")));
                        }
                        Some((mean, std))
                    }
                };
                DataPlan::Tabular { columns, standardize }
            }
            _ => return Err(bad("data.kind", "'image' or 'tabular'", data.get("kind"))),
        };
        let label = match o.get("label") {
            None | Some(Json::Null) => None,
            Some(_) => {
                let l = o.obj("label")?;
                let one_hot = match l.get("oneHot") {
                    None | Some(Json::Null) => None,
                    Some(_) => Some(l.int("oneHot", 1, 1 << 20)? as usize),
                };
                Some(LabelPlan { column: l.str("column")?, one_hot })
            }
        };
        let mut batch_transforms = Vec::new();
        match o.get("batchTransforms") {
            Some(Json::Arr(a)) => {
                for (i, t) in a.iter().enumerate() {
                    let t = Obj::new(t, &format!("batchTransforms[{i}]"))?;
                    let (alpha, p) = (t.num("alpha", 1e-6, 1e6)?, t.num("p", 0.0, 1.0)?);
                    batch_transforms.push(match t.str("type")?.as_str() {
                        "mixup" => BatchTransform::Mixup { alpha, p },
                        "cutmix" => BatchTransform::Cutmix { alpha, p },
                        other => return Err(Error::plan(format!("unknown batch transform '{other}' at plan.batchTransforms[{i}]"))),
                    });
                }
            }
            v => return Err(bad("batchTransforms", "an array", v)),
        }
        if !batch_transforms.is_empty() && label.as_ref().and_then(|l| l.one_hot).is_none() {
            return Err(Error::plan("mixup/cutmix produce soft labels: set plan.label.oneHot to the number of classes"));
        }
        if batch_transforms.iter().any(|t| matches!(t, BatchTransform::Cutmix { .. })) && !matches!(data, DataPlan::Image { .. }) {
            return Err(Error::plan("cutmix needs image data; use mixup for tabular data"));
        }
        let shard = o.obj("shard")?;
        let shard_count = shard.int("count", 1, u32::MAX as u64)? as u32;
        let shard_index = shard.int("index", 0, shard_count as u64 - 1)? as u32;
        let cursor = o.obj("cursor")?;
        let rows = match o.get("rows") {
            None | Some(Json::Null) => None,
            Some(Json::Arr(a)) => {
                let mut v = Vec::with_capacity(a.len());
                for (i, x) in a.iter().enumerate() {
                    match x {
                        Json::Num(n) if n.fract() == 0.0 && *n >= 0.0 && *n <= u32::MAX as f64 => v.push(*n as u32),
                        _ => return Err(Error::plan(format!("plan.rows[{i}] must be a row index (an integer >= 0)"))),
                    }
                }
                if v.is_empty() {
                    return Err(Error::plan("plan.rows is empty: select at least one row, or leave rows out to read them all"));
                }
                Some(v)
            }
            v => return Err(bad("rows", "an array of row indices", v)),
        };
        let epochs = match o.get("epochs") {
            None | Some(Json::Null) => None,
            Some(_) => Some(o.int("epochs", 1, u32::MAX as u64)? as u32),
        };
        Ok(Plan {
            path: o.str("path")?,
            data,
            label,
            batch_transforms,
            batch_size: o.int("batchSize", 1, 1 << 24)? as usize,
            shuffle: o.bool("shuffle")?,
            seed: o.int("seed", 0, u32::MAX as u64)? as u32,
            drop_last: o.bool("dropLast")?,
            shard_index,
            shard_count,
            threads: o.int("threads", 1, 256)? as usize,
            prefetch: o.int("prefetch", 1, 1024)? as usize,
            epochs,
            cursor_epoch: cursor.int("epoch", 0, u32::MAX as u64)? as u32,
            cursor_position: cursor.int("position", 0, u32::MAX as u64)?,
            resident_bytes: o.int("residentBytes", 1 << 20, 1 << 50)?,
            rows,
        })
    }
}
