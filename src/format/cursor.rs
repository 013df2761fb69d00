//! A cursor over one line's bytes, for the format parsers: every step either consumes what it
//! expects or fails, and none reads past the line.

#[derive(Clone, Copy, Debug)]
pub(crate) struct Cursor<'a> {
    pub(crate) s: &'a [u8],
    pub(crate) i: usize,
}

/// Where `b` first is in `s`, for what is usually near: a plain loop over the first bytes
/// (most fields are a few bytes long, where `memchr`'s setup costs more than it saves), then
/// `memchr` for the rest.
#[inline]
fn find_near(b: u8, s: &[u8]) -> Option<usize> {
    const NEAR: usize = 32;
    let head = &s[..s.len().min(NEAR)];
    match head.iter().position(|&x| x == b) {
        Some(n) => Some(n),
        None if s.len() > NEAR => memchr::memchr(b, &s[NEAR..]).map(|n| n + NEAR),
        None => None,
    }
}

impl<'a> Cursor<'a> {
    #[inline]
    pub(crate) fn new(s: &'a [u8]) -> Cursor<'a> {
        Cursor { s, i: 0 }
    }

    /// What is left.
    #[inline]
    pub(crate) fn rest(&self) -> &'a [u8] {
        &self.s[self.i..]
    }

    #[inline]
    pub(crate) fn at_end(&self) -> bool {
        self.i >= self.s.len()
    }

    #[inline]
    pub(crate) fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    /// Consumes `b`.
    #[inline]
    pub(crate) fn byte(&mut self, b: u8) -> Option<()> {
        if self.peek() == Some(b) {
            self.i += 1;
            Some(())
        } else {
            None
        }
    }

    /// Consumes `bytes`.
    #[inline]
    pub(crate) fn literal(&mut self, bytes: &[u8]) -> Option<()> {
        if self.rest().starts_with(bytes) {
            self.i += bytes.len();
            Some(())
        } else {
            None
        }
    }

    /// A non-empty run of bytes up to (not including) the next `sep`, or up to the end of the
    /// line when `to_end` allows it.
    #[inline]
    pub(crate) fn field(&mut self, sep: u8, to_end: bool) -> Option<&'a [u8]> {
        let rest = self.rest();
        let len = match memchr::memchr(sep, rest) {
            Some(n) => n,
            None if to_end => rest.len(),
            None => return None,
        };
        if len == 0 {
            return None;
        }
        self.i += len;
        Some(&rest[..len])
    }

    /// A non-empty token ended by a space (not consumed).
    #[inline]
    pub(crate) fn token(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest();
        let len = find_near(b' ', rest)?;
        if len == 0 {
            return None;
        }
        self.i += len;
        Some(&rest[..len])
    }

    /// The bytes up to the next `end` (consumed, not returned), which must come.
    #[inline]
    pub(crate) fn until(&mut self, end: u8) -> Option<&'a [u8]> {
        let rest = self.rest();
        let n = find_near(end, rest)?;
        self.i += n + 1;
        Some(&rest[..n])
    }

    /// A bracketed time's text: the non-empty bytes up to the next `]` (consumed, not
    /// returned), after a `[` already consumed.
    #[inline]
    pub(crate) fn bracketed(&mut self) -> Option<&'a [u8]> {
        let text = self.until(b']')?;
        (!text.is_empty()).then_some(text)
    }

    /// A `"`-quoted string whose closing quote is not escaped by a backslash; returns what is
    /// inside.
    #[inline]
    pub(crate) fn quoted(&mut self) -> Option<&'a [u8]> {
        self.byte(b'"')?;
        let start = self.i;
        let mut from = start;
        loop {
            let q = from + memchr::memchr(b'"', &self.s[from..])?;
            let backslashes = self.s[start..q]
                .iter()
                .rev()
                .take_while(|&&b| b == b'\\')
                .count();
            if backslashes % 2 == 0 {
                self.i = q + 1;
                return Some(&self.s[start..q]);
            }
            from = q + 1;
        }
    }

    /// A date, `YYYY-MM-DD` (digits only; ranges are not checked).
    #[inline]
    pub(crate) fn date(&mut self) -> Option<()> {
        self.digits(4)?;
        self.byte(b'-')?;
        self.digits(2)?;
        self.byte(b'-')?;
        self.digits(2)?;
        Some(())
    }

    /// A time of day, `HH:MM:SS`, then with `fraction` an optional `.` and digits.
    #[inline]
    pub(crate) fn clock(&mut self, fraction: bool) -> Option<()> {
        self.digits(2)?;
        self.byte(b':')?;
        self.digits(2)?;
        self.byte(b':')?;
        self.digits(2)?;
        if fraction && self.byte(b'.').is_some() {
            self.number()?;
        }
        Some(())
    }

    /// Exactly `n` ASCII digits.
    #[inline]
    pub(crate) fn digits(&mut self, n: usize) -> Option<&'a [u8]> {
        let d = self.s.get(self.i..self.i + n)?;
        if !d.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.i += n;
        Some(d)
    }

    /// One or more ASCII digits.
    #[inline]
    pub(crate) fn number(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest();
        let n = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        self.i += n;
        Some(&rest[..n])
    }

    /// A count as servers write one: one or more ASCII digits, or `-` where there is none
    /// (NCSA's byte count, S3's, Envoy's timings).
    #[inline]
    pub(crate) fn count(&mut self) -> Option<()> {
        if self.byte(b'-').is_none() {
            self.number()?;
        }
        Some(())
    }

    /// The end of the line, or a space (consumed) before more fields.
    #[inline]
    pub(crate) fn end_or_space(&mut self) -> Option<()> {
        if self.at_end() {
            Some(())
        } else {
            self.byte(b' ')
        }
    }
}

/// The length of an ISO 8601 timestamp at the start of `s`: `YYYY-MM-DDTHH:MM:SS`, an optional
/// fraction, and an optional zone (`Z`, `+HH:MM`, `-HHMM`).
pub(crate) fn iso_timestamp(s: &[u8]) -> Option<usize> {
    let mut c = Cursor::new(s);
    c.date()?;
    c.byte(b'T')?;
    c.clock(true)?;
    match c.peek() {
        Some(b'Z') => c.i += 1,
        Some(b'+' | b'-') => {
            c.i += 1;
            c.digits(2)?;
            let _ = c.byte(b':');
            c.digits(2)?;
        }
        _ => {}
    }
    Some(c.i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_strings_end_at_an_unescaped_quote() {
        let mut c = Cursor::new(br#""GET /a\"b HTTP/1.1" 200"#);
        assert_eq!(c.quoted(), Some(&br#"GET /a\"b HTTP/1.1"#[..]));
        assert_eq!(c.rest(), b" 200");
        let mut c = Cursor::new(br#""ends with \\" x"#);
        assert_eq!(c.quoted(), Some(&br"ends with \\"[..]));
        assert_eq!(Cursor::new(br#""never closed \""#).quoted(), None);
    }

    #[test]
    fn timestamps() {
        assert_eq!(iso_timestamp(b"2018-07-02T22:23:00.186641Z x"), Some(27));
        assert_eq!(iso_timestamp(b"2023-10-06T00:17:09.669794202Z"), Some(30));
        assert_eq!(iso_timestamp(b"2003-08-24T05:14:15.000003-07:00"), Some(32));
        assert_eq!(iso_timestamp(b"2003-08-24T05:14:15"), Some(19));
        assert_eq!(iso_timestamp(b"2003-08-24 05:14:15"), None);
        assert_eq!(iso_timestamp(b"2003-08-24T05:14"), None);
    }

    #[test]
    fn fields_and_tokens() {
        let mut c = Cursor::new(b"a b\tc");
        assert_eq!(c.token(), Some(&b"a"[..]));
        assert_eq!(c.byte(b' '), Some(()));
        assert_eq!(c.token(), None, "no space after b: not a token");
        assert_eq!(c.field(b'\t', false), Some(&b"b"[..]));
        c.byte(b'\t').unwrap();
        assert_eq!(c.field(b'\t', true), Some(&b"c"[..]));
        assert!(c.at_end());
    }
}
