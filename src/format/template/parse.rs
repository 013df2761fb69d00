//! Parsing a template's text into literals and variables: nginx `log_format` and Apache
//! `LogFormat` syntax, and what each variable is.

use super::time_read::{compile_strftime, TimeRead};
use super::{error, TemplateError};

#[derive(Clone, Debug)]
pub(super) enum Token {
    Lit(Vec<u8>),
    Var(Var),
}

#[derive(Clone, Debug)]
pub(super) struct Var {
    /// As written: `$remote_addr`, `${status}`, `%>s`, `%{Referer}i`.
    pub(super) name: String,
    /// Byte offset of its start in the text (without any tag).
    pub(super) at: usize,
    pub(super) kind: Kind,
    /// nginx: the variable's name; Apache: the directive's letter (`a`, `^ti`).
    pub(super) key: String,
    /// Apache: the `{ARG}`.
    pub(super) arg: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// A peer address, with its preference (0 first).
    Peer(u8),
    Forwarded,
    /// A time variable (`None`: written as a time but carrying no full date).
    Time(Option<TimeRead>),
    Status,
    Bytes,
    Other,
}

fn push_lit(tokens: &mut Vec<Token>, bytes: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    if let Some(Token::Lit(last)) = tokens.last_mut() {
        last.extend_from_slice(bytes);
    } else {
        tokens.push(Token::Lit(bytes.to_vec()));
    }
}

fn is_name(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn nginx_kind(name: &str) -> Kind {
    match name {
        "remote_addr" => Kind::Peer(0),
        "realip_remote_addr" => Kind::Peer(1),
        "http_x_forwarded_for" | "proxy_add_x_forwarded_for" => Kind::Forwarded,
        "time_local" => Kind::Time(Some(TimeRead::Ncsa)),
        "time_iso8601" => Kind::Time(Some(TimeRead::Iso)),
        "msec" => Kind::Time(Some(TimeRead::Fraction)),
        "status" => Kind::Status,
        "body_bytes_sent" | "bytes_sent" | "request_length" | "connection_requests" => Kind::Bytes,
        _ => Kind::Other,
    }
}

pub(super) fn parse_nginx(text: &str) -> Result<Vec<Token>, TemplateError> {
    let b = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let Some(d) = memchr::memchr(b'$', &b[i..]) else {
            push_lit(&mut tokens, &b[i..]);
            break;
        };
        push_lit(&mut tokens, &b[i..i + d]);
        let at = i + d;
        let (name, end) = match b.get(at + 1) {
            Some(b'{') => {
                let Some(close) = memchr::memchr(b'}', &b[at + 2..]) else {
                    return Err(error(at, "`${` without its closing `}`"));
                };
                let name = &text[at + 2..at + 2 + close];
                if name.is_empty() || !name.bytes().all(is_name) {
                    return Err(error(
                        at + 2,
                        format!("`{name}` is not a variable name (letters, digits and `_`)"),
                    ));
                }
                (name, at + 3 + close)
            }
            Some(&c) if is_name(c) => {
                let n = b[at + 1..].iter().take_while(|&&c| is_name(c)).count();
                (&text[at + 1..at + 1 + n], at + 1 + n)
            }
            _ => {
                push_lit(&mut tokens, b"$");
                i = at + 1;
                continue;
            }
        };
        tokens.push(Token::Var(Var {
            name: text[at..end].to_string(),
            at,
            kind: nginx_kind(name),
            key: name.to_string(),
            arg: None,
        }));
        i = end;
    }
    Ok(tokens)
}

/// Apache's directive letters (`^ti`/`^to` apart).
const APACHE_LETTERS: &[u8] = b"aABbCDefhHiklLmnopPqrRstTuUvVXIOS";

/// One Apache directive at `at` (a `%`, not `%%`): its letter (`^ti`, `^to` or one), its
/// argument, and where it ends.
pub(super) fn apache_directive(
    text: &str,
    at: usize,
) -> Result<(String, Option<String>, usize), TemplateError> {
    let b = text.as_bytes();
    let mut j = at + 1;
    let mut arg = None;
    while let Some(&c) = b.get(j) {
        match c {
            b'<' | b'>' | b'!' | b',' | b'0'..=b'9' => j += 1,
            b'{' => {
                if arg.is_some() {
                    return Err(error(j, "a directive with two `{…}` arguments"));
                }
                let Some(close) = memchr::memchr(b'}', &b[j + 1..]) else {
                    return Err(error(j, "`{` without its closing `}`"));
                };
                arg = Some(text[j + 1..j + 1 + close].to_string());
                j += close + 2;
            }
            _ => break,
        }
    }
    match b.get(j) {
        None => Err(error(
            at,
            "a `%` at the end of the template (write `%%` for a literal `%`)",
        )),
        Some(b'^') => match b.get(j + 1..j + 3) {
            Some(b"ti") | Some(b"to") => Ok((text[j..j + 3].to_string(), arg, j + 3)),
            _ => Err(error(j, "unknown directive `%^` (only `%^ti` and `%^to`)")),
        },
        Some(c) if APACHE_LETTERS.contains(c) => Ok(((*c as char).to_string(), arg, j + 1)),
        // mod_ssl's `%{SSL_PROTOCOL}x` and `%{version}c` (Debian's default `ssl_request_log`).
        Some(c @ (b'x' | b'c')) if arg.is_some() => Ok(((*c as char).to_string(), arg, j + 1)),
        Some(_) => {
            let c = text[j..].chars().next().unwrap_or('?');
            Err(error(j, format!("unknown directive `%{c}`")))
        }
    }
}

/// What an Apache directive is; `%t` apart (its brackets are literal text).
fn apache_kind(letter: &str, arg: Option<&str>, arg_at: usize) -> Result<Kind, TemplateError> {
    Ok(match (letter, arg) {
        ("a", None) => Kind::Peer(0),
        ("h", None) => Kind::Peer(1),
        ("a", Some("c")) => Kind::Peer(2),
        ("i", Some(h)) if h.eq_ignore_ascii_case("x-forwarded-for") => Kind::Forwarded,
        ("s", _) => Kind::Status,
        ("b" | "B" | "I" | "O" | "S", _) => Kind::Bytes,
        ("t", None) => Kind::Time(Some(TimeRead::Ncsa)),
        ("t", Some(a)) => {
            let (a, skip) = if let Some(rest) = a.strip_prefix("begin:") {
                (rest, 6)
            } else if let Some(rest) = a.strip_prefix("end:") {
                (rest, 4)
            } else {
                (a, 0)
            };
            match a {
                "sec" => Kind::Time(Some(TimeRead::Unix(1))),
                "msec" => Kind::Time(Some(TimeRead::Unix(1_000))),
                "usec" => Kind::Time(Some(TimeRead::Unix(1_000_000))),
                "msec_frac" | "usec_frac" => Kind::Other,
                format => Kind::Time(compile_strftime(format, arg_at + skip)?),
            }
        }
        _ => Kind::Other,
    })
}

pub(super) fn parse_apache(text: &str) -> Result<Vec<Token>, TemplateError> {
    let b = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                let unescaped: &[u8] = match b.get(i + 1) {
                    Some(b'"') => b"\"",
                    Some(b'\\') => b"\\",
                    Some(b'n') => b"\n",
                    Some(b'r') => b"\r",
                    Some(b't') => b"\t",
                    // Any other `\x` stays as written (the next byte is copied on the next turn).
                    _ => {
                        push_lit(&mut tokens, b"\\");
                        i += 1;
                        continue;
                    }
                };
                push_lit(&mut tokens, unescaped);
                i += 2;
            }
            b'%' if b.get(i + 1) == Some(&b'%') => {
                push_lit(&mut tokens, b"%");
                i += 2;
            }
            b'%' => {
                let (letter, arg, end) = apache_directive(text, i)?;
                // The argument starts after the `{` (found again: modifiers may come first).
                let arg_at = text[i..end].find('{').map_or(i, |k| i + k + 1);
                let kind = apache_kind(&letter, arg.as_deref(), arg_at)?;
                let bracketed = letter == "t" && arg.is_none();
                if bracketed {
                    push_lit(&mut tokens, b"[");
                }
                tokens.push(Token::Var(Var {
                    name: text[i..end].to_string(),
                    at: i,
                    kind,
                    key: letter,
                    arg,
                }));
                if bracketed {
                    push_lit(&mut tokens, b"]");
                }
                i = end;
            }
            _ => {
                let n = b[i..]
                    .iter()
                    .position(|&c| c == b'\\' || c == b'%')
                    .unwrap_or(b.len() - i);
                push_lit(&mut tokens, &b[i..i + n]);
                i += n;
            }
        }
    }
    Ok(tokens)
}
