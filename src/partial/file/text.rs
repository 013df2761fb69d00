//! The text form of a partial (`--text`): a header line `logcount-partial v6 slice I/N` (or
//! `bucket B/K`, or `plan`), then the binary form in base64, 76 characters a line. The header
//! line must agree with what the binary form holds.

use base64::Engine as _;

use super::{corrupt, PartialFileError, MAGIC, VERSION};

/// The start of a text partial's header line.
pub(super) const TEXT_TAG: &str = "logcount-partial";
/// Base64 characters a line.
pub(super) const TEXT_WIDTH: usize = 76;

/// The text form of the binary partial `binary`, which is a `label` (`slice 2/4`).
pub(super) fn encode(label: &str, binary: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(binary);
    let mut out = String::with_capacity(b64.len() + b64.len() / TEXT_WIDTH + 64);
    out.push_str(&format!("{TEXT_TAG} v{VERSION} {label}\n"));
    for line in b64.as_bytes().chunks(TEXT_WIDTH) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out
}

/// One text partial, its base64 decoded: a binary partial, not yet read.
#[derive(Debug)]
pub(super) struct Decoded {
    /// The header line, trimmed (for messages).
    pub(crate) header: String,
    /// What the header line says the partial is (`slice 2/4`).
    pub(crate) label: String,
    /// The binary form (it starts with [`MAGIC`]).
    pub(crate) binary: Vec<u8>,
    /// The bytes of text it took.
    pub(crate) used: usize,
}

/// The text partial at the front of `bytes`: its header line and the base64 lines up to the
/// next header (text or binary) or the end.
pub(super) fn decode(bytes: &[u8]) -> Result<Decoded, PartialFileError> {
    let mut lines = bytes.split_inclusive(|&b| b == b'\n');
    let header = lines.next().unwrap_or_default();
    let mut used = header.len();
    let header = String::from_utf8_lossy(header.trim_ascii()).into_owned();
    let version = header
        .strip_prefix(TEXT_TAG)
        .and_then(|h| h.trim_start().strip_prefix('v'))
        .and_then(|h| h.split_whitespace().next())
        .ok_or(PartialFileError::NotPartial)?;
    match version.parse::<u16>() {
        Ok(VERSION) => {}
        Ok(v) => return Err(PartialFileError::Version(v)),
        Err(_) => return Err(corrupt(format!("bad header line `{header}`"))),
    }
    let mut b64 = Vec::new();
    for line in lines {
        let text = line.trim_ascii();
        if text.starts_with(TEXT_TAG.as_bytes()) || line.starts_with(&MAGIC[..7]) {
            break; // the next partial
        }
        b64.extend_from_slice(text);
        used += line.len();
    }
    let binary = base64::engine::general_purpose::STANDARD
        .decode(&b64)
        .map_err(|e| match e {
            base64::DecodeError::InvalidLength(_) | base64::DecodeError::InvalidPadding => {
                PartialFileError::Truncated(format!("base64 text cut short: {e}"))
            }
            _ => corrupt(format!("bad base64: {e}")),
        })?;
    if !binary.starts_with(&MAGIC) {
        return Err(corrupt("text partial does not hold a binary partial"));
    }
    let label = header
        .split_whitespace()
        .skip(2)
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Decoded {
        header,
        label,
        binary,
        used,
    })
}
