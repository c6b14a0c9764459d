//! A validated view of an Arrow IPC file: one image column (HWC uint8) or float32 feature
//! columns, plus an optional label column, addressed by global row index, read zero-copy.
//!
//! Schema contract (see native/README.md):
//! - image column: `FixedSizeBinary(H*W*C)` or `FixedSizeList<UInt8>[H*W*C]`, with field metadata
//!   `gymnos.shape` = JSON `[H,W,C]` (HWC, C = 1 or 3 for the colour transforms);
//! - features: one `FixedSizeList<Float32>[F]` column, or several `Float32` columns;
//! - label: Int8..Int64, UInt8..UInt64, Float32 or Float64;
//! - no nulls in the selected columns, no dictionary encoding, no compression.
use crate::arrow::{parse_file, ArrowType, Field, FileMeta};
use crate::error::{Error, Result};
use crate::mmap::Mmap;

/// Field metadata key holding the HWC shape of an image column, e.g. `[32,32,3]`.
pub const SHAPE_KEY: &str = "gymnos.shape";

/// Where the bytes live.
pub enum Source {
    Mapped(Mmap),
    Owned(Vec<u8>),
}

impl Source {
    pub fn bytes(&self) -> &[u8] {
        match self {
            Source::Mapped(m) => m.bytes(),
            Source::Owned(v) => v,
        }
    }
}

/// Which columns to read.
#[derive(Debug, Clone)]
pub enum Selection {
    Image { column: String },
    Features { columns: Vec<String> },
}

/// The label column's physical type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LabelType {
    Int { bytes: usize, signed: bool },
    Float { bytes: usize },
}

/// A label value as read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LabelValue {
    Int(i64),
    Float(f64),
}

/// What a sample is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SampleKind {
    Image { h: usize, w: usize, c: usize },
    Features { n: usize },
}

struct Chunk {
    row_start: u64,
    rows: u64,
    /// Absolute data offsets of the x columns (one for image/list, n for scalar features).
    x: Vec<usize>,
    label: Option<usize>,
}

/// An opened, validated dataset.
pub struct Dataset {
    pub path: String,
    source: Source,
    pub kind: SampleKind,
    pub label_type: Option<LabelType>,
    pub rows: u64,
    chunks: Vec<Chunk>,
}

fn find<'a>(path: &str, fields: &'a [Field], name: &str) -> Result<&'a Field> {
    fields.iter().find(|f| f.name == name).ok_or_else(|| {
        let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
        Error::plan(format!("Arrow file '{path}' has no column '{name}'; its columns are {names:?}"))
    })
}

fn parse_shape(path: &str, f: &Field, width: usize) -> Result<(usize, usize, usize)> {
    let raw = f.meta(SHAPE_KEY).ok_or_else(|| Error::arrow(format!(
        "image column '{}' in '{path}' has no '{SHAPE_KEY}' field metadata; write the field with metadata {{\"{SHAPE_KEY}\": \"[H,W,C]\"}}", f.name)))?;
    let dims: Vec<usize> = raw.trim().trim_start_matches('[').trim_end_matches(']').split(',')
        .map(|s| s.trim().parse::<usize>()).collect::<std::result::Result<_, _>>()
        .map_err(|_| Error::arrow(format!("column '{}' in '{path}': '{SHAPE_KEY}' is '{raw}', expected a JSON array [H,W,C] of positive integers", f.name)))?;
    if dims.len() != 3 || dims.iter().any(|&d| d == 0) || dims[0].checked_mul(dims[1]).and_then(|x| x.checked_mul(dims[2])) != Some(width) {
        return Err(Error::arrow(format!("column '{}' in '{path}': '{SHAPE_KEY}' is '{raw}' but each value holds {width} bytes; expected [H,W,C] with H*W*C = {width}", f.name)));
    }
    Ok((dims[0], dims[1], dims[2]))
}

impl Dataset {
    /// Maps and validates `path`.
    pub fn open(path: &str, sel: &Selection, label: Option<&str>) -> Result<Dataset> {
        let map = Mmap::open(path)?;
        Dataset::from_source(path, Source::Mapped(map), sel, label)
    }

    /// Validates an in-memory file (used by tests and fuzzing).
    pub fn from_source(path: &str, source: Source, sel: &Selection, label: Option<&str>) -> Result<Dataset> {
        let meta = parse_file(path, source.bytes())?;
        let (kind, x_fields) = select_x(path, &meta, sel)?;
        let (label_type, label_field) = match label {
            Some(name) => {
                let f = find(path, &meta.fields, name)?;
                (Some(label_type(path, f)?), Some(f))
            }
            None => (None, None),
        };
        let mut chunks = Vec::new();
        let mut rows = 0u64;
        for (bi, b) in meta.batches.iter().enumerate() {
            let mut x = Vec::new();
            for (f, bytes_per_row, elems) in &x_fields {
                let off = column_data(path, bi, b, f, b.length, *bytes_per_row, *elems)?;
                if *bytes_per_row > 0 {
                    x.push(off);
                }
            }
            let label = match (label_field, label_type) {
                (Some(f), Some(t)) => Some(column_data(path, bi, b, f, b.length, t.bytes(), 1)?),
                _ => None,
            };
            if b.length > 0 {
                chunks.push(Chunk { row_start: rows, rows: b.length, x, label });
            }
            rows = rows.checked_add(b.length).ok_or_else(|| Error::arrow("row count overflow"))?;
        }
        if rows > u32::MAX as u64 {
            return Err(Error::arrow(format!("'{path}' has {rows} rows; at most 2^32-1 are supported")));
        }
        Ok(Dataset { path: path.to_string(), source, kind, label_type, rows, chunks })
    }

    fn locate(&self, row: u64) -> (&Chunk, usize) {
        let i = self.chunks.partition_point(|c| c.row_start + c.rows <= row);
        let c = &self.chunks[i];
        (c, (row - c.row_start) as usize)
    }

    /// The HWC bytes of image `row` (zero-copy). Panics if row >= rows (callers check).
    pub fn image(&self, row: u64) -> &[u8] {
        let SampleKind::Image { h, w, c } = self.kind else { unreachable!("not an image dataset") };
        let n = h * w * c;
        let (ch, r) = self.locate(row);
        let start = ch.x[0] + r * n;
        &self.source.bytes()[start..start + n]
    }

    /// Writes the features of `row` into `out` (length n).
    pub fn features(&self, row: u64, out: &mut [f32]) {
        let (ch, r) = self.locate(row);
        let bytes = self.source.bytes();
        if ch.x.len() == 1 {
            let start = ch.x[0] + r * 4 * out.len();
            for (i, o) in out.iter_mut().enumerate() {
                let p = start + 4 * i;
                *o = f32::from_le_bytes([bytes[p], bytes[p + 1], bytes[p + 2], bytes[p + 3]]);
            }
        } else {
            for (o, &col) in out.iter_mut().zip(&ch.x) {
                let p = col + 4 * r;
                *o = f32::from_le_bytes([bytes[p], bytes[p + 1], bytes[p + 2], bytes[p + 3]]);
            }
        }
    }

    /// The label of `row`, if a label column was selected.
    pub fn label(&self, row: u64) -> Option<LabelValue> {
        let t = self.label_type?;
        let (ch, r) = self.locate(row);
        let n = t.bytes();
        let p = ch.label? + r * n;
        let b = &self.source.bytes()[p..p + n];
        let mut raw = [0u8; 8];
        raw[..n].copy_from_slice(b);
        Some(match t {
            LabelType::Int { bytes, signed } => {
                let u = u64::from_le_bytes(raw);
                if signed && bytes < 8 {
                    let shift = 64 - 8 * bytes as u32;
                    LabelValue::Int(((u << shift) as i64) >> shift)
                } else if !signed && bytes == 8 && u > i64::MAX as u64 {
                    LabelValue::Float(u as f64)
                } else {
                    LabelValue::Int(u as i64)
                }
            }
            LabelType::Float { bytes: 4 } => LabelValue::Float(f32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]) as f64),
            LabelType::Float { .. } => LabelValue::Float(f64::from_le_bytes(raw)),
        })
    }

    /// Drops the mapped pages from the resident set (streaming very large files).
    pub fn release_resident(&self) {
        if let Source::Mapped(m) = &self.source {
            m.release_resident();
        }
    }

    /// Size of the underlying file in bytes.
    pub fn file_bytes(&self) -> usize {
        self.source.bytes().len()
    }
}

impl LabelType {
    pub fn bytes(&self) -> usize {
        match self {
            LabelType::Int { bytes, .. } | LabelType::Float { bytes } => *bytes,
        }
    }
    pub fn is_int(&self) -> bool {
        matches!(self, LabelType::Int { .. })
    }
}

fn label_type(path: &str, f: &Field) -> Result<LabelType> {
    if f.dictionary {
        return Err(Error::arrow(format!("label column '{}' in '{path}' is dictionary-encoded; store plain integer class ids", f.name)));
    }
    match f.ty {
        ArrowType::Int { bits, signed } if matches!(bits, 8 | 16 | 32 | 64) => Ok(LabelType::Int { bytes: bits as usize / 8, signed }),
        ArrowType::Float { bits } if bits == 32 || bits == 64 => Ok(LabelType::Float { bytes: bits as usize / 8 }),
        ref t => Err(Error::arrow(format!("label column '{}' in '{path}' has type {}; expected an integer (Int8..Int64, UInt8..UInt64) or Float32/Float64 column", f.name, t.describe()))),
    }
}

/// Resolves the x columns: returns the sample kind and (data field, bytes per row) per column.
fn select_x<'a>(path: &str, meta: &'a FileMeta, sel: &Selection) -> Result<(SampleKind, Vec<(&'a Field, usize, usize)>)> {
    match sel {
        Selection::Image { column } => {
            let f = find(path, &meta.fields, column)?;
            let expected = "expected FixedSizeBinary(H*W*C) or FixedSizeList<UInt8>[H*W*C] with metadata gymnos.shape";
            if f.dictionary {
                return Err(Error::arrow(format!("image column '{column}' in '{path}' is dictionary-encoded; {expected}")));
            }
            let (data_field, width, elems) = match &f.ty {
                ArrowType::FixedSizeBinary(w) => (f, *w, 1),
                ArrowType::FixedSizeList(n) => match f.children.first() {
                    Some(c) if c.ty == (ArrowType::Int { bits: 8, signed: false }) => (c, *n, *n),
                    Some(c) => return Err(Error::arrow(format!("image column '{column}' in '{path}' is FixedSizeList<{}>; {expected}", c.ty.describe()))),
                    None => return Err(Error::arrow(format!("image column '{column}' in '{path}' is a FixedSizeList without a child field (corrupt schema)"))),
                },
                t => return Err(Error::arrow(format!("image column '{column}' in '{path}' has type {}; {expected}", t.describe()))),
            };
            let (h, w, c) = parse_shape(path, f, width)?;
            // The list's own node must also be checked for nulls: record it as a zero-width column.
            let mut cols = vec![(data_field, width, elems)];
            if !std::ptr::eq(data_field, f) {
                cols.push((f, 0, 1));
            }
            Ok((SampleKind::Image { h, w, c }, cols))
        }
        Selection::Features { columns } => {
            if columns.is_empty() {
                return Err(Error::plan("tabular data needs at least one feature column"));
            }
            if columns.len() == 1 {
                let f = find(path, &meta.fields, &columns[0])?;
                if let ArrowType::FixedSizeList(n) = f.ty {
                    return match f.children.first() {
                        Some(c) if c.ty == (ArrowType::Float { bits: 32 }) && n > 0 => Ok((SampleKind::Features { n }, vec![(c, 4 * n, n), (f, 0, 1)])),
                        _ => Err(Error::arrow(format!("feature column '{}' in '{path}' is a FixedSizeList but not of Float32; expected FixedSizeList<Float32> or Float32 columns", f.name))),
                    };
                }
            }
            let mut cols = Vec::new();
            for name in columns {
                let f = find(path, &meta.fields, name)?;
                if f.ty != (ArrowType::Float { bits: 32 }) || f.dictionary {
                    return Err(Error::arrow(format!("feature column '{name}' in '{path}' has type {}; expected Float32 (cast features to float32 when writing the file)", f.ty.describe())));
                }
                cols.push((f, 4, 1));
            }
            Ok((SampleKind::Features { n: columns.len() }, cols))
        }
    }
}

/// Checks the node and data buffer of `f` in batch `bi`; returns the absolute data offset.
/// `elems` is the number of values per row in this node (list size for a list's child).
fn column_data(path: &str, bi: usize, b: &crate::arrow::RecordBatchMeta, f: &Field, rows: u64, bytes_per_row: usize, elems: usize) -> Result<usize> {
    let at = |what: String| Error::arrow(format!("Arrow file '{path}', record batch {bi}, column '{}': {what}", f.name));
    let (len, nulls) = *b.nodes.get(f.node).ok_or_else(|| at("field node missing (corrupt file)".into()))?;
    let want = (rows as u128) * (elems as u128);
    if len < 0 || len as u128 != want {
        return Err(at(format!("node length {len} but the batch's {rows} rows need {want} values (corrupt file)")));
    }
    if nulls != 0 {
        return Err(at(format!("{nulls} null values; the selected columns must not contain nulls (fill or drop them when writing the file)")));
    }
    if bytes_per_row == 0 {
        return Ok(0);
    }
    let first = f.buffer.ok_or_else(|| at("a preceding column has a type whose buffer layout is not supported".into()))?;
    let (start, blen) = *b.buffers.get(first + 1).ok_or_else(|| at("data buffer missing (corrupt file)".into()))?;
    let need = (rows as u128) * (bytes_per_row as u128);
    if (blen as u128) < need {
        return Err(at(format!("data buffer holds {blen} bytes but {rows} rows need {need}; the file is truncated or corrupt")));
    }
    Ok(start)
}
