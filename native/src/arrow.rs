//! Arrow IPC *file* format reader (footer, schema, record-batch messages), hand-parsed.
//!
//! Layout: `ARROW1\0\0`, encapsulated messages, footer flatbuffer, i32 footer length, `ARROW1`.
//! Only the metadata is parsed here; column data stays in the mapped file and is read zero-copy
//! by `dataset.rs`. Every offset and length is checked against the file size.
use crate::error::{Error, Result};
use crate::flatbuf::{i32_at, i64_at, u32_at, Table};

const MAGIC: &[u8; 6] = b"ARROW1";
const MAX_DEPTH: usize = 64;

/// Arrow logical types the engine distinguishes (everything else is `Other` and only skipped).
#[derive(Debug, Clone, PartialEq)]
pub enum ArrowType {
    Null,
    Int { bits: u32, signed: bool },
    Float { bits: u32 },
    FixedSizeBinary(usize),
    FixedSizeList(usize),
    Struct,
    List,
    Union { dense: bool },
    RunEnd,
    /// A type with a fixed number of buffers and no special meaning to us.
    Other { name: &'static str, buffers: usize },
    /// A type whose buffer layout the reader does not know (views etc.).
    Unsupported(u8),
}

impl ArrowType {
    pub fn describe(&self) -> String {
        match self {
            ArrowType::Null => "Null".into(),
            ArrowType::Int { bits, signed } => format!("{}{}", if *signed { "Int" } else { "UInt" }, bits),
            ArrowType::Float { bits } => format!("Float{bits}"),
            ArrowType::FixedSizeBinary(w) => format!("FixedSizeBinary({w})"),
            ArrowType::FixedSizeList(n) => format!("FixedSizeList({n})"),
            ArrowType::Struct => "Struct".into(),
            ArrowType::List => "List".into(),
            ArrowType::Union { .. } => "Union".into(),
            ArrowType::RunEnd => "RunEndEncoded".into(),
            ArrowType::Other { name, .. } => (*name).into(),
            ArrowType::Unsupported(t) => format!("unsupported type id {t}"),
        }
    }
    /// Number of IPC buffers this type contributes (children not included).
    fn buffers(&self) -> Option<usize> {
        Some(match self {
            ArrowType::Null | ArrowType::RunEnd => 0,
            ArrowType::Int { .. } | ArrowType::Float { .. } | ArrowType::FixedSizeBinary(_) | ArrowType::List => 2,
            ArrowType::Struct | ArrowType::FixedSizeList(_) => 1,
            ArrowType::Union { dense } => if *dense { 2 } else { 1 },
            ArrowType::Other { buffers, .. } => *buffers,
            ArrowType::Unsupported(_) => return None,
        })
    }
}

/// One schema field, with its position in the flattened node/buffer layout.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub ty: ArrowType,
    pub dictionary: bool,
    pub metadata: Vec<(String, String)>,
    pub children: Vec<Field>,
    /// Index of this field's FieldNode in a record batch.
    pub node: usize,
    /// Index of this field's first buffer (None when a preceding type has an unknown layout).
    pub buffer: Option<usize>,
}

impl Field {
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.metadata.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// Metadata of one record batch: its row count and the absolute byte ranges of its buffers.
#[derive(Debug, Clone)]
pub struct RecordBatchMeta {
    pub length: u64,
    /// (length, null_count) per flattened field.
    pub nodes: Vec<(i64, i64)>,
    /// Absolute (start, len) in the file per buffer.
    pub buffers: Vec<(usize, usize)>,
}

/// Parsed metadata of an Arrow IPC file.
#[derive(Debug, Clone)]
pub struct FileMeta {
    pub fields: Vec<Field>,
    pub batches: Vec<RecordBatchMeta>,
}

fn err(path: &str, what: impl std::fmt::Display) -> Error {
    Error::arrow(format!("Arrow file '{path}': {what}"))
}

fn need<'a>(t: Option<Table<'a>>) -> Result<Table<'a>> {
    t.ok_or_else(|| Error::arrow("field type table missing"))
}

fn parse_type(t_type: u8, t: Option<Table>) -> Result<ArrowType> {
    Ok(match t_type {
        1 => ArrowType::Null,
        2 => {
            let t = need(t)?;
            ArrowType::Int { bits: t.i32(0, 0)? as u32, signed: t.bool(1)? }
        }
        3 => {
            let t = need(t)?;
            ArrowType::Float { bits: match t.i16(0, 0)? { 0 => 16, 1 => 32, 2 => 64, p => return Err(Error::arrow(format!("invalid float precision {p}"))) } }
        }
        4 => ArrowType::Other { name: "Binary", buffers: 3 },
        5 => ArrowType::Other { name: "Utf8", buffers: 3 },
        6 => ArrowType::Other { name: "Bool", buffers: 2 },
        7 => ArrowType::Other { name: "Decimal", buffers: 2 },
        8 => ArrowType::Other { name: "Date", buffers: 2 },
        9 => ArrowType::Other { name: "Time", buffers: 2 },
        10 => ArrowType::Other { name: "Timestamp", buffers: 2 },
        11 => ArrowType::Other { name: "Interval", buffers: 2 },
        12 | 21 => ArrowType::List,
        13 => ArrowType::Struct,
        14 => ArrowType::Union { dense: need(t)?.i16(0, 0)? == 1 },
        15 => {
            let w = need(t)?.i32(0, 0)?;
            if w < 0 {
                return Err(Error::arrow(format!("negative FixedSizeBinary width {w}")));
            }
            ArrowType::FixedSizeBinary(w as usize)
        }
        16 => {
            let n = need(t)?.i32(0, 0)?;
            if n < 0 {
                return Err(Error::arrow(format!("negative FixedSizeList size {n}")));
            }
            ArrowType::FixedSizeList(n as usize)
        }
        17 => ArrowType::List, // Map: validity + offsets + child struct
        18 => ArrowType::Other { name: "Duration", buffers: 2 },
        19 => ArrowType::Other { name: "LargeBinary", buffers: 3 },
        20 => ArrowType::Other { name: "LargeUtf8", buffers: 3 },
        22 => ArrowType::RunEnd,
        other => ArrowType::Unsupported(other),
    })
}

/// Parses a Field table; assigns node/buffer indices in pre-order.
fn parse_field(t: Table, depth: usize, node: &mut usize, buffer: &mut Option<usize>) -> Result<Field> {
    if depth > MAX_DEPTH {
        return Err(Error::arrow("schema nesting deeper than 64 levels (corrupt schema?)"));
    }
    let name = t.str(0)?.unwrap_or("").to_string();
    let ty = parse_type(t.u8(2, 0)?, t.table(3)?)?;
    let dictionary = t.table(4)?.is_some();
    let mut metadata = Vec::new();
    if let Some(v) = t.vector(6, 4)? {
        for i in 0..v.len {
            let kv = v.table(i)?;
            metadata.push((kv.str(0)?.unwrap_or("").to_string(), kv.str(1)?.unwrap_or("").to_string()));
        }
    }
    let my_node = *node;
    *node += 1;
    if *node > 100_000 {
        return Err(Error::arrow("schema has more than 100000 fields (corrupt schema?)"));
    }
    let my_buffer = *buffer;
    *buffer = match (ty.buffers(), *buffer) {
        (Some(n), Some(b)) => Some(b + n),
        _ => None,
    };
    let mut children = Vec::new();
    if let Some(v) = t.vector(5, 4)? {
        if v.len > 1 << 16 {
            return Err(Error::arrow("field has an implausible number of children (corrupt schema?)"));
        }
        for i in 0..v.len {
            children.push(parse_field(v.table(i)?, depth + 1, node, buffer)?);
        }
    }
    Ok(Field { name, ty, dictionary, metadata, children, node: my_node, buffer: my_buffer })
}

/// Parses the footer and every record-batch message of an Arrow IPC file held in `data`.
pub fn parse_file(path: &str, data: &[u8]) -> Result<FileMeta> {
    let len = data.len();
    if len < 8 + 4 + 6 || &data[..6] != MAGIC {
        return Err(err(path, "not an Arrow IPC file (missing leading ARROW1 magic). If it is an Arrow *stream*, rewrite it in the file format (apache-arrow: tableToIPC(table, 'file'))"));
    }
    if &data[len - 6..] != MAGIC {
        return Err(err(path, "trailing ARROW1 magic missing; the file is truncated or still being written"));
    }
    let footer_len = i32_at(data, len - 10)?;
    if footer_len <= 0 || footer_len as usize > len - 10 - 8 {
        return Err(err(path, format!("footer length {footer_len} does not fit in a {len}-byte file; the file is truncated or corrupt")));
    }
    let footer_start = len - 10 - footer_len as usize;
    let footer_buf = &data[footer_start..len - 10];
    let footer = Table::root(footer_buf).map_err(|e| err(path, format!("footer: {}", e.message)))?;
    let schema = footer.table(1)?.ok_or_else(|| err(path, "footer has no schema"))?;
    if schema.i16(0, 0)? != 0 {
        return Err(err(path, "big-endian Arrow files are not supported; write the file on a little-endian machine"));
    }
    let mut fields = Vec::new();
    let (mut node, mut buffer) = (0usize, Some(0usize));
    if let Some(v) = schema.vector(1, 4)? {
        for i in 0..v.len {
            fields.push(parse_field(v.table(i)?, 0, &mut node, &mut buffer).map_err(|e| err(path, format!("schema: {}", e.message)))?);
        }
    }
    let n_nodes = node;
    let mut batches = Vec::new();
    if let Some(blocks) = footer.vector(3, 24)? {
        for b in 0..blocks.len {
            let s = blocks.struct_at(b, 24)?;
            let offset = i64_at(s, 0)?;
            let meta_len = i32_at(s, 8)?;
            let body_len = i64_at(s, 16)?;
            let batch = parse_batch(data, footer_start, offset, meta_len, body_len, n_nodes)
                .map_err(|e| err(path, format!("record batch {b}: {}", e.message)))?;
            batches.push(batch);
        }
    }
    Ok(FileMeta { fields, batches })
}

fn parse_batch(data: &[u8], limit: usize, offset: i64, meta_len: i32, body_len: i64, n_nodes: usize) -> Result<RecordBatchMeta> {
    let bad = |what: &str| Error::arrow(format!("{what}; the file is truncated or corrupt"));
    if offset < 8 || meta_len < 8 || body_len < 0 {
        return Err(bad("invalid block offset or length in footer"));
    }
    let (offset, meta_len, body_len) = (offset as usize, meta_len as usize, body_len as usize);
    let body_start = offset.checked_add(meta_len).ok_or_else(|| bad("block overflows"))?;
    let body_end = body_start.checked_add(body_len).ok_or_else(|| bad("block overflows"))?;
    if body_end > limit {
        return Err(bad(&format!("block [{offset}, {body_end}) extends past the data region ({limit} bytes)")));
    }
    // Encapsulated message: optional 0xFFFFFFFF continuation, i32 length, flatbuffer.
    let (fb_len, fb_start) = if u32_at(data, offset)? == 0xFFFF_FFFF {
        (i32_at(data, offset + 4)?, offset + 8)
    } else {
        (i32_at(data, offset)?, offset + 4)
    };
    if fb_len <= 0 || fb_start + fb_len as usize > body_start {
        return Err(bad("message metadata length does not fit its block"));
    }
    let msg = Table::root(&data[fb_start..fb_start + fb_len as usize])?;
    let header_type = msg.u8(1, 0)?;
    if header_type != 3 {
        return Err(Error::arrow(format!("expected a RecordBatch message, found header type {header_type}")));
    }
    let rb = msg.table(2)?.ok_or_else(|| bad("message has no header"))?;
    if rb.table(3)?.is_some() {
        return Err(Error::arrow("body compression (LZ4/ZSTD) is not supported; write the file uncompressed"));
    }
    let length = rb.i64(0, 0)?;
    if length < 0 {
        return Err(bad("negative row count"));
    }
    let mut nodes = Vec::new();
    if let Some(v) = rb.vector(1, 16)? {
        for i in 0..v.len {
            let s = v.struct_at(i, 16)?;
            nodes.push((i64_at(s, 0)?, i64_at(s, 8)?));
        }
    }
    if nodes.len() < n_nodes {
        return Err(bad(&format!("{} field nodes for a schema with {n_nodes}", nodes.len())));
    }
    let mut buffers = Vec::new();
    if let Some(v) = rb.vector(2, 16)? {
        for i in 0..v.len {
            let s = v.struct_at(i, 16)?;
            let (o, l) = (i64_at(s, 0)?, i64_at(s, 8)?);
            if o < 0 || l < 0 || (o as u64).checked_add(l as u64).map_or(true, |e| e > body_len as u64) {
                return Err(bad(&format!("buffer {i} [{o}, +{l}) lies outside the {body_len}-byte body")));
            }
            buffers.push((body_start + o as usize, l as usize));
        }
    }
    Ok(RecordBatchMeta { length: length as u64, nodes, buffers })
}
