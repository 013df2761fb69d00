//! The fields partials (and frozen plans) are made of, beyond [`crate::bytes`]' numbers and
//! strings: optional numbers, the time and top options, templates and trusted proxies; and the
//! reader that never reads past its payload.

use std::sync::Arc;

use super::{corrupt, PartialFileError};
use crate::bytes::{ByteReader, ByteWriter};
use crate::format::{Query, Spec};

/// A byte 0 (none) or 1 and the number.
pub(super) fn put_opt_u64(out: &mut Vec<u8>, v: Option<u64>) {
    match v {
        Some(v) => {
            out.put_u8(1);
            out.put_u64(v);
        }
        None => out.put_u8(0),
    }
}

/// A partial's payload, read field by field.
pub(super) struct Reader<'a> {
    pub(super) fields: ByteReader<'a>,
    /// The buffer the payload lies in, at `base`, for key blocks to keep.
    pub(super) data: &'a Arc<Vec<u8>>,
    pub(super) base: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn pos(&self) -> usize {
        self.fields.pos()
    }

    pub(super) fn left(&self) -> usize {
        self.fields.left()
    }

    pub(super) fn u8(&mut self) -> Result<u8, PartialFileError> {
        Ok(self.fields.u8()?)
    }

    pub(super) fn u32(&mut self) -> Result<u32, PartialFileError> {
        Ok(self.fields.u32()?)
    }

    pub(super) fn u64(&mut self) -> Result<u64, PartialFileError> {
        Ok(self.fields.u64()?)
    }

    pub(super) fn u128(&mut self) -> Result<u128, PartialFileError> {
        Ok(self.fields.u128()?)
    }

    pub(super) fn opt_u64(&mut self) -> Result<Option<u64>, PartialFileError> {
        match self.u8()? {
            0 => Ok(None),
            1 => self.u64().map(Some),
            _ => Err(corrupt("bad optional number")),
        }
    }

    /// What [`ByteWriter::put_bytes`] wrote.
    pub(super) fn bytes(&mut self) -> Result<&'a [u8], PartialFileError> {
        Ok(self.fields.bytes()?)
    }

    /// The time and top options a plan was made with ([`Query::to_bytes`]).
    pub(super) fn query(&mut self) -> Result<Query, PartialFileError> {
        let bytes: [u8; Query::ENCODED] = self.fields.array()?;
        Query::from_bytes(&bytes).ok_or_else(|| corrupt("unknown time or top options"))
    }

    pub(super) fn string(&mut self) -> Result<String, PartialFileError> {
        String::from_utf8(self.bytes()?.to_vec()).map_err(|_| corrupt("text is not UTF-8"))
    }

    /// A count of items of at least `min_size` bytes each, checked against what is left so
    /// a corrupt count cannot make us allocate more than the payload could hold.
    pub(super) fn count(&mut self, min_size: usize) -> Result<usize, PartialFileError> {
        self.fields
            .count(min_size)
            .map_err(|_| corrupt("a count runs past the payload"))
    }
}

/// What only plans read: their templates and trusted proxies.
impl Reader<'_> {
    /// What [`put_specs`](crate::format::put_specs) wrote.
    pub(super) fn templates(&mut self) -> Result<(Vec<Spec>, Vec<String>), PartialFileError> {
        Ok(crate::format::read_specs(&mut self.fields)?)
    }
}
