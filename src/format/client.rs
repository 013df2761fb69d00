//! The bytes of a client address, and what formats add around one (docs/contract.md §1).

use crate::keys::parse_v4;

/// A request's client: a canonical dotted quad already parsed (the common case, which then
/// costs no second parse), the address's bytes, or none at all: a client field of `-` or
/// nothing (a unix-socket peer, HAProxy's `-:port`, an empty forwarded header) counts the
/// request and adds no client (docs/contract.md §1, "Requests without a client").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Client<'a> {
    V4(u32),
    Bytes(&'a [u8]),
    Absent,
}

impl Client<'_> {
    /// The client as bytes (for tests and messages).
    #[cfg(test)]
    pub(crate) fn to_vec(self) -> Vec<u8> {
        match self {
            Client::V4(v) => crate::keys::format_v4(v).into_bytes(),
            Client::Bytes(b) => b.to_vec(),
            Client::Absent => Vec::new(),
        }
    }
}

/// `[2001:db8::1]` → `2001:db8::1`; anything else as it is.
pub(crate) fn unbracket(field: &[u8]) -> &[u8] {
    match field {
        [b'[', inner @ .., b']'] => inner,
        other => other,
    }
}

/// An `ip:port` field (as load balancers and HAProxy write it) without its port:
/// `1.2.3.4:80` → `1.2.3.4`, `[2001:db8::1]:443` → `2001:db8::1`, `2001:db8::1:443` →
/// `2001:db8::1`. `None` when the field has no `:digits` port.
pub(crate) fn strip_port(field: &[u8]) -> Option<&[u8]> {
    // Fields are short: a plain scan beats `memrchr`'s setup.
    let colon = field.iter().rposition(|&b| b == b':')?;
    let (address, port) = (&field[..colon], &field[colon + 1..]);
    if port.is_empty() || !port.iter().all(u8::is_ascii_digit) || address.is_empty() {
        return None;
    }
    Some(unbracket(address))
}

/// A field that may or may not carry a port, cleaned only where the shape is unambiguous: a
/// dotted quad with `:port`, or a bracketed IPv6 address with or without one. A bare IPv6
/// address or a host name is left as it is (`2001:db8::1` has no port to take off).
pub(crate) fn clean_address(field: &[u8]) -> &[u8] {
    if field.first() == Some(&b'[') {
        if let Some(stripped) = strip_port(field) {
            return stripped;
        }
        return unbracket(field);
    }
    match strip_port(field) {
        Some(address) if parse_v4(address).is_some() => address,
        _ => field,
    }
}

/// The client of a field: parsed once as a dotted quad where it is one; none for `-` or
/// nothing.
#[inline]
pub(crate) fn client(bytes: &[u8]) -> Client<'_> {
    match parse_v4(bytes) {
        Some(v) => Client::V4(v),
        None if bytes.is_empty() || bytes == b"-" => Client::Absent,
        None => Client::Bytes(bytes),
    }
}

/// The client of a field as the teaching example keeps it (`classic`): `-` is an address too.
#[inline]
pub(crate) fn literal(bytes: &[u8]) -> Client<'_> {
    match parse_v4(bytes) {
        Some(v) => Client::V4(v),
        None => Client::Bytes(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_and_brackets_come_off_what_formats_add() {
        assert_eq!(strip_port(b"1.2.3.4:80"), Some(&b"1.2.3.4"[..]));
        assert_eq!(strip_port(b"[2001:db8::1]:443"), Some(&b"2001:db8::1"[..]));
        assert_eq!(strip_port(b"2001:db8::1:443"), Some(&b"2001:db8::1"[..]));
        assert_eq!(strip_port(b"1.2.3.4"), None);
        assert_eq!(strip_port(b"1.2.3.4:"), None);
        assert_eq!(strip_port(b":80"), None);
        assert_eq!(strip_port(b"host:x1"), None);
        assert_eq!(unbracket(b"[::1]"), b"::1");
        assert_eq!(unbracket(b"[::1"), b"[::1");
        assert_eq!(clean_address(b"10.0.0.1:5000"), b"10.0.0.1");
        assert_eq!(clean_address(b"[::1]:5000"), b"::1");
        assert_eq!(clean_address(b"[::1]"), b"::1");
        assert_eq!(clean_address(b"2001:db8::1"), b"2001:db8::1");
        assert_eq!(clean_address(b"example.com:8080"), b"example.com:8080");
        assert_eq!(client(b"1.2.3.4"), Client::V4(0x0102_0304));
        assert_eq!(client(b"01.2.3.4"), Client::Bytes(b"01.2.3.4"));
        assert_eq!(client(b"-"), Client::Absent);
        assert_eq!(client(b""), Client::Absent);
        assert_eq!(literal(b"-"), Client::Bytes(b"-"));
    }
}
