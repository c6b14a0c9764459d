//! The loader core without threads: epoch schedules (shuffle, shard, batches) and batch assembly
//! (per-sample pipeline, labels, mixup/cutmix). `build_batch` is a pure function of
//! (plan, file, epoch, batch index), which is what makes the output independent of threads.
use crate::dataset::{Dataset, LabelValue, SampleKind, Selection};
use crate::error::{Error, Result};
use crate::image::{ImagePipeline, Scratch};
use crate::plan::{BatchTransform, DataPlan, Plan};
use crate::rng::{permutation, Rng, STAGE_BATCH};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Labels of one batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Labels {
    None,
    Int(Vec<i32>),
    Float(Vec<f32>),
    /// Row-major [n, classes] one-hot or soft labels.
    Soft { classes: usize, values: Vec<f32> },
}

/// One output batch, owned by Rust until handed to JavaScript.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub epoch: u32,
    pub index: u64,
    pub size: usize,
    pub data: Vec<f32>,
    pub labels: Labels,
    /// Dataset rows in this batch, in order.
    pub rows: Vec<u32>,
}

/// An opened loader: dataset, validated pipeline, schedule. Shared read-only by the workers.
pub struct Core {
    pub plan: Plan,
    pub dataset: Dataset,
    pub image: Option<ImagePipeline>,
    /// Values per sample in the output.
    pub sample_len: usize,
    /// Output shape per sample: [C,H,W], [H,W,C] or [F].
    pub sample_shape: Vec<usize>,
    pub shard_len: u64,
    pub batches_per_epoch: u64,
    perms: Mutex<Vec<(u32, Arc<Vec<u32>>)>>,
    touched: AtomicU64,
}

impl Core {
    /// Opens the file named by `plan` and validates the plan against it.
    pub fn open(plan: Plan) -> Result<Core> {
        let sel = match &plan.data {
            DataPlan::Image { column, .. } => Selection::Image { column: column.clone() },
            DataPlan::Tabular { columns, .. } => Selection::Features { columns: columns.clone() },
        };
        let dataset = Dataset::open(&plan.path, &sel, plan.label.as_ref().map(|l| l.column.as_str()))?;
        Core::with_dataset(plan, dataset)
    }

    pub fn with_dataset(plan: Plan, dataset: Dataset) -> Result<Core> {
        let path = plan.path.clone();
        let (image, sample_len, sample_shape) = match (&plan.data, dataset.kind) {
            (DataPlan::Image { transforms, nchw, .. }, SampleKind::Image { h, w, c }) => {
                let p = ImagePipeline::new(&path, (h, w, c), transforms, *nchw)?;
                let (oh, ow, oc) = p.out_shape;
                let shape = if *nchw { vec![oc, oh, ow] } else { vec![oh, ow, oc] };
                let n = p.sample_len();
                (Some(p), n, shape)
            }
            (DataPlan::Tabular { standardize, .. }, SampleKind::Features { n }) => {
                if let Some((m, _)) = standardize {
                    if m.len() != n {
                        return Err(Error::plan(format!("plan.data.standardize has {} means but '{path}' has {n} features; fit the statistics on this file's columns (fitStandardize)", m.len())));
                    }
                }
                (None, n, vec![n])
            }
            _ => return Err(Error::plan("plan.data.kind does not match the selected columns")),
        };
        if let (Some(l), Some(t)) = (&plan.label, dataset.label_type) {
            if l.one_hot.is_some() && !t.is_int() {
                return Err(Error::plan(format!("plan.label.oneHot needs an integer label column; '{}' in '{path}' is floating point", l.column)));
            }
        }
        if let Some(sel) = &plan.rows {
            if let Some((i, r)) = sel.iter().enumerate().find(|(_, &r)| r as u64 >= dataset.rows) {
                return Err(Error::plan(format!("plan.rows[{i}] is {r} but '{path}' has {} rows (0..{})", dataset.rows, dataset.rows.saturating_sub(1))));
            }
        }
        let rows = plan.rows.as_ref().map_or(dataset.rows, |r| r.len() as u64);
        let (si, sc) = (plan.shard_index as u64, plan.shard_count as u64);
        let shard_len = if rows > si { (rows - si + sc - 1) / sc } else { 0 };
        let b = plan.batch_size as u64;
        let batches_per_epoch = if plan.drop_last { shard_len / b } else { (shard_len + b - 1) / b };
        if batches_per_epoch == 0 {
            return Err(Error::plan(format!("'{path}' has {rows} rows, shard {si}/{sc} gets {shard_len}: no batch of {b} can be formed{}; lower batchSize or use fewer shards",
                if plan.drop_last { " with dropLast" } else { "" })));
        }
        if plan.cursor_position > batches_per_epoch {
            return Err(Error::plan(format!("plan.cursor.position is {} but an epoch has only {batches_per_epoch} batches", plan.cursor_position)));
        }
        if let Some(e) = plan.epochs {
            if plan.cursor_epoch > e {
                return Err(Error::plan(format!("plan.cursor.epoch is {} but plan.epochs is {e}", plan.cursor_epoch)));
            }
        }
        Ok(Core { plan, dataset, image, sample_len, sample_shape, shard_len, batches_per_epoch, perms: Mutex::new(Vec::new()), touched: AtomicU64::new(0) })
    }

    /// Absolute batch number of the first batch this loader yields.
    pub fn first_batch(&self) -> u64 {
        self.plan.cursor_epoch as u64 * self.batches_per_epoch + self.plan.cursor_position
    }

    /// Number of batches this loader yields, None if unbounded.
    pub fn total_batches(&self) -> Option<u64> {
        self.plan.epochs.map(|e| (e as u64 * self.batches_per_epoch).saturating_sub(self.first_batch()))
    }

    /// (epoch, index) of the `seq`-th batch this loader yields.
    pub fn locate(&self, seq: u64) -> (u32, u64) {
        let abs = self.first_batch() + seq;
        ((abs / self.batches_per_epoch) as u32, abs % self.batches_per_epoch)
    }

    fn perm(&self, epoch: u32) -> Arc<Vec<u32>> {
        let mut cache = self.perms.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, p)) = cache.iter().find(|(e, _)| *e == epoch) {
            return p.clone();
        }
        let n = self.plan.rows.as_ref().map_or(self.dataset.rows, |r| r.len() as u64);
        let p = Arc::new(permutation(self.plan.seed, epoch, n as u32));
        cache.push((epoch, p.clone()));
        if cache.len() > 3 {
            cache.remove(0);
        }
        p
    }

    /// Dataset rows of batch `index` of `epoch`.
    pub fn batch_rows(&self, epoch: u32, index: u64) -> Vec<u32> {
        let b = self.plan.batch_size as u64;
        let start = index * b;
        let end = (start + b).min(self.shard_len);
        let (si, sc) = (self.plan.shard_index as u64, self.plan.shard_count as u64);
        let perm = if self.plan.shuffle { Some(self.perm(epoch)) } else { None };
        (start..end).map(|k| {
            let pos = si + k * sc;
            let i = match &perm {
                Some(p) => p[pos as usize],
                None => pos as u32,
            };
            // a row selection maps schedule positions to dataset rows
            self.plan.rows.as_ref().map_or(i, |sel| sel[i as usize])
        }).collect()
    }

    /// Builds batch `index` of `epoch`. `cancel` is polled between samples.
    pub fn build_batch(&self, epoch: u32, index: u64, cancel: &AtomicBool, scratch: &mut Scratch) -> Result<Batch> {
        let rows = self.batch_rows(epoch, index);
        let n = rows.len();
        let l = self.sample_len;
        let mut data = vec![0f32; n * l];
        let seed = self.plan.seed;
        for (k, &row) in rows.iter().enumerate() {
            if cancel.load(Ordering::Relaxed) {
                return Err(Error::closed());
            }
            let out = &mut data[k * l..(k + 1) * l];
            match (&self.image, &self.plan.data) {
                (Some(p), _) => p.run(self.dataset.image(row as u64), seed, epoch, row, out, scratch),
                (None, DataPlan::Tabular { standardize, .. }) => {
                    self.dataset.features(row as u64, out);
                    if let Some((m, s)) = standardize {
                        for j in 0..l {
                            out[j] = (out[j] - m[j]) / s[j];
                        }
                    }
                }
                _ => unreachable!(),
            }
        }
        // Resident-set accounting for the mapped file. A page fault maps up to 64 KiB around the
        // faulting address (the kernel's fault-around), so a shuffled read of a small row can
        // make 64 KiB resident; sequential reads make resident about what they read.
        let row = self.dataset_row_bytes();
        let per_row = if self.plan.shuffle { row.max(64 * 1024) } else { row };
        let bytes = (n * per_row) as u64;
        let t = self.touched.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if t > self.plan.resident_bytes && self.dataset.file_bytes() as u64 > self.plan.resident_bytes {
            self.touched.store(0, Ordering::Relaxed);
            self.dataset.release_resident();
        }
        let mut labels = self.labels(&rows)?;
        for (k, bt) in self.plan.batch_transforms.iter().enumerate() {
            let mut rng = Rng::new(seed, epoch, index as u32, STAGE_BATCH + k as u32);
            match bt {
                BatchTransform::Mixup { alpha, p } => mixup(&mut rng, *alpha, *p, n, l, &mut data, &mut labels),
                BatchTransform::Cutmix { alpha, p } => {
                    let (c, h, w, nchw) = self.chw();
                    cutmix(&mut rng, *alpha, *p, n, (c, h, w, nchw), &mut data, &mut labels)
                }
            }
        }
        Ok(Batch { epoch, index, size: n, data, labels, rows })
    }

    fn dataset_row_bytes(&self) -> usize {
        match self.dataset.kind {
            SampleKind::Image { h, w, c } => h * w * c,
            SampleKind::Features { n } => 4 * n,
        }
    }

    fn chw(&self) -> (usize, usize, usize, bool) {
        let p = self.image.as_ref().expect("cutmix is validated to need images");
        let (h, w, c) = p.out_shape;
        (c, h, w, p.nchw)
    }

    fn labels(&self, rows: &[u32]) -> Result<Labels> {
        let (Some(lp), Some(t)) = (&self.plan.label, self.dataset.label_type) else { return Ok(Labels::None) };
        let col = &lp.column;
        let path = &self.plan.path;
        let value = |row: u32| self.dataset.label(row as u64).expect("label column selected");
        if let Some(k) = lp.one_hot {
            let mut values = vec![0f32; rows.len() * k];
            for (i, &row) in rows.iter().enumerate() {
                match value(row) {
                    LabelValue::Int(v) if v >= 0 && (v as u64) < k as u64 => values[i * k + v as usize] = 1.0,
                    v => return Err(Error::data(format!("label {v:?} at row {row} of column '{col}' in '{path}' is outside [0, {k}) for oneHot; set plan.label.oneHot to the number of classes"))),
                }
            }
            return Ok(Labels::Soft { classes: k, values });
        }
        if t.is_int() {
            rows.iter().map(|&row| match value(row) {
                LabelValue::Int(v) if v >= i32::MIN as i64 && v <= i32::MAX as i64 => Ok(v as i32),
                v => Err(Error::data(format!("label {v:?} at row {row} of column '{col}' in '{path}' does not fit in int32"))),
            }).collect::<Result<Vec<_>>>().map(Labels::Int)
        } else {
            Ok(Labels::Float(rows.iter().map(|&row| match value(row) {
                LabelValue::Float(v) => v as f32,
                LabelValue::Int(v) => v as f32,
            }).collect()))
        }
    }
}

/// Mixup with the batch rolled by one: x_i = lam*x_i + (1-lam)*x_{i-1}; same for soft labels.
pub fn mixup(rng: &mut Rng, alpha: f64, p: f64, n: usize, l: usize, data: &mut [f32], labels: &mut Labels) {
    if !rng.coin(p) {
        return;
    }
    let lam = rng.beta_sym(alpha) as f32;
    let oml = 1.0f32 - lam;
    let src = data.to_vec();
    for i in 0..n {
        let j = (i + n - 1) % n;
        for k in 0..l {
            data[i * l + k] = lam * src[i * l + k] + oml * src[j * l + k];
        }
    }
    mix_labels(labels, n, lam);
}

fn mix_labels(labels: &mut Labels, n: usize, lam: f32) {
    if let Labels::Soft { classes, values } = labels {
        let k = *classes;
        let src = values.clone();
        let oml = 1.0f32 - lam;
        for i in 0..n {
            let j = (i + n - 1) % n;
            for c in 0..k {
                values[i * k + c] = lam * src[i * k + c] + oml * src[j * k + c];
            }
        }
    }
}

/// CutMix with the batch rolled by one: one box per batch, labels weighted by the kept area.
pub fn cutmix(rng: &mut Rng, alpha: f64, p: f64, n: usize, (c, h, w, nchw): (usize, usize, usize, bool), data: &mut [f32], labels: &mut Labels) {
    if !rng.coin(p) {
        return;
    }
    let lam = rng.beta_sym(alpha);
    let rx = rng.below(w as u64) as i64;
    let ry = rng.below(h as u64) as i64;
    let r = 0.5 * (1.0 - lam).sqrt();
    let rw = (r * w as f64).floor() as i64;
    let rh = (r * h as f64).floor() as i64;
    let (x1, x2) = ((rx - rw).max(0) as usize, ((rx + rw).min(w as i64)) as usize);
    let (y1, y2) = ((ry - rh).max(0) as usize, ((ry + rh).min(h as i64)) as usize);
    let lam_adj = (1.0 - ((x2 - x1) * (y2 - y1)) as f64 / (w * h) as f64) as f32;
    let l = c * h * w;
    let src = data.to_vec();
    for i in 0..n {
        let j = (i + n - 1) % n;
        for y in y1..y2 {
            for x in x1..x2 {
                for ch in 0..c {
                    let o = if nchw { (ch * h + y) * w + x } else { (y * w + x) * c + ch };
                    data[i * l + o] = src[j * l + o];
                }
            }
        }
    }
    mix_labels(labels, n, lam_adj);
}
