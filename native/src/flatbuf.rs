//! A minimal, fully bounds-checked FlatBuffers reader: just what the Arrow IPC footer, schema and
//! record-batch messages need. Every offset read from the buffer is checked before use, so a
//! corrupt buffer yields an `Error`, never an out-of-bounds access or a panic.
use crate::error::{Error, Result};

fn corrupt(what: &str) -> Error {
    Error::arrow(format!("corrupt flatbuffer metadata ({what}); the file is truncated or not an Arrow IPC file"))
}

/// Reads a little-endian integer of N bytes at `pos`.
fn read<const N: usize>(buf: &[u8], pos: usize, what: &str) -> Result<[u8; N]> {
    let end = pos.checked_add(N).ok_or_else(|| corrupt(what))?;
    let s = buf.get(pos..end).ok_or_else(|| corrupt(what))?;
    let mut out = [0u8; N];
    out.copy_from_slice(s);
    Ok(out)
}

pub fn u16_at(buf: &[u8], pos: usize) -> Result<u16> {
    Ok(u16::from_le_bytes(read::<2>(buf, pos, "u16")?))
}
pub fn u32_at(buf: &[u8], pos: usize) -> Result<u32> {
    Ok(u32::from_le_bytes(read::<4>(buf, pos, "u32")?))
}
pub fn i32_at(buf: &[u8], pos: usize) -> Result<i32> {
    Ok(i32::from_le_bytes(read::<4>(buf, pos, "i32")?))
}
pub fn i64_at(buf: &[u8], pos: usize) -> Result<i64> {
    Ok(i64::from_le_bytes(read::<8>(buf, pos, "i64")?))
}

/// A table inside a flatbuffer.
#[derive(Clone, Copy)]
pub struct Table<'a> {
    buf: &'a [u8],
    pos: usize,
    vtable: usize,
    vtable_len: usize,
}

/// A vector inside a flatbuffer: `len` elements starting at `start`.
#[derive(Clone, Copy)]
pub struct Vector<'a> {
    buf: &'a [u8],
    start: usize,
    pub len: usize,
}

impl<'a> Table<'a> {
    /// The root table of a flatbuffer (its first 4 bytes are the root offset).
    pub fn root(buf: &'a [u8]) -> Result<Table<'a>> {
        let off = u32_at(buf, 0)? as usize;
        Table::at(buf, off)
    }

    /// The table at absolute position `pos`.
    pub fn at(buf: &'a [u8], pos: usize) -> Result<Table<'a>> {
        let soff = i32_at(buf, pos)? as i64;
        let vtable = (pos as i64).checked_sub(soff).ok_or_else(|| corrupt("vtable offset"))?;
        if vtable < 0 || vtable as usize >= buf.len() {
            return Err(corrupt("vtable outside buffer"));
        }
        let vtable = vtable as usize;
        let vtable_len = u16_at(buf, vtable)? as usize;
        if vtable_len < 4 || vtable_len % 2 != 0 || vtable + vtable_len > buf.len() {
            return Err(corrupt("vtable length"));
        }
        Ok(Table { buf, pos, vtable, vtable_len })
    }

    /// Absolute position of field `id`, or None when absent (default value).
    fn field(&self, id: usize) -> Result<Option<usize>> {
        let slot = 4 + 2 * id;
        if slot + 2 > self.vtable_len {
            return Ok(None);
        }
        let off = u16_at(self.buf, self.vtable + slot)? as usize;
        if off == 0 {
            return Ok(None);
        }
        let p = self.pos.checked_add(off).ok_or_else(|| corrupt("field offset"))?;
        if p >= self.buf.len() {
            return Err(corrupt("field outside buffer"));
        }
        Ok(Some(p))
    }

    pub fn u8(&self, id: usize, default: u8) -> Result<u8> {
        match self.field(id)? {
            Some(p) => Ok(read::<1>(self.buf, p, "u8")?[0]),
            None => Ok(default),
        }
    }
    pub fn bool(&self, id: usize) -> Result<bool> {
        Ok(self.u8(id, 0)? != 0)
    }
    pub fn i16(&self, id: usize, default: i16) -> Result<i16> {
        match self.field(id)? {
            Some(p) => Ok(i16::from_le_bytes(read::<2>(self.buf, p, "i16")?)),
            None => Ok(default),
        }
    }
    pub fn i32(&self, id: usize, default: i32) -> Result<i32> {
        match self.field(id)? {
            Some(p) => i32_at(self.buf, p),
            None => Ok(default),
        }
    }
    pub fn i64(&self, id: usize, default: i64) -> Result<i64> {
        match self.field(id)? {
            Some(p) => i64_at(self.buf, p),
            None => Ok(default),
        }
    }

    /// Follows an offset field (tables, vectors, strings are stored as uoffset_t).
    fn indirect(&self, id: usize) -> Result<Option<usize>> {
        match self.field(id)? {
            Some(p) => {
                let off = u32_at(self.buf, p)? as usize;
                let target = p.checked_add(off).ok_or_else(|| corrupt("offset"))?;
                if target >= self.buf.len() {
                    return Err(corrupt("offset outside buffer"));
                }
                Ok(Some(target))
            }
            None => Ok(None),
        }
    }

    pub fn table(&self, id: usize) -> Result<Option<Table<'a>>> {
        match self.indirect(id)? {
            Some(p) => Ok(Some(Table::at(self.buf, p)?)),
            None => Ok(None),
        }
    }

    pub fn str(&self, id: usize) -> Result<Option<&'a str>> {
        match self.indirect(id)? {
            Some(p) => {
                let len = u32_at(self.buf, p)? as usize;
                let start = p + 4;
                let end = start.checked_add(len).ok_or_else(|| corrupt("string length"))?;
                let bytes = self.buf.get(start..end).ok_or_else(|| corrupt("string outside buffer"))?;
                std::str::from_utf8(bytes).map(Some).map_err(|_| corrupt("string is not UTF-8"))
            }
            None => Ok(None),
        }
    }

    /// A vector field whose elements are `elem_size` bytes each (4 for offsets to tables).
    pub fn vector(&self, id: usize, elem_size: usize) -> Result<Option<Vector<'a>>> {
        match self.indirect(id)? {
            Some(p) => {
                let len = u32_at(self.buf, p)? as usize;
                let start = p + 4;
                let bytes = len.checked_mul(elem_size).ok_or_else(|| corrupt("vector length"))?;
                let end = start.checked_add(bytes).ok_or_else(|| corrupt("vector length"))?;
                if end > self.buf.len() {
                    return Err(corrupt("vector outside buffer"));
                }
                Ok(Some(Vector { buf: self.buf, start, len }))
            }
            None => Ok(None),
        }
    }
}

impl<'a> Vector<'a> {
    /// Element `i` of a vector of tables.
    pub fn table(&self, i: usize) -> Result<Table<'a>> {
        if i >= self.len {
            return Err(corrupt("vector index"));
        }
        let p = self.start + 4 * i;
        let off = u32_at(self.buf, p)? as usize;
        Table::at(self.buf, p.checked_add(off).ok_or_else(|| corrupt("vector element offset"))?)
    }
    /// Raw bytes of struct element `i` (struct size `size`).
    pub fn struct_at(&self, i: usize, size: usize) -> Result<&'a [u8]> {
        if i >= self.len {
            return Err(corrupt("vector index"));
        }
        let p = self.start + size * i;
        self.buf.get(p..p + size).ok_or_else(|| corrupt("struct outside buffer"))
    }
}
