//! Compiling: the parsed literals and variables into the steps a line is matched by, the
//! client (the peer, or the variable `--client-field` names), X-Forwarded-For and the time
//! picked out.

use super::matcher::{Check, Lit, Slot, Step};
use super::parse::{apache_directive, parse_apache, parse_nginx, Kind, Token, Var};
use super::{error, Syntax, Template, TemplateError};

// ---------------------------------------------------------------------------------------------
// --client-field: which variable a name given on the command line means.

/// `name`, `$name` or `${name}` as a bare name.
fn bare_name(field: &str) -> &str {
    let f = field.strip_prefix('$').unwrap_or(field);
    f.strip_prefix('{')
        .and_then(|f| f.strip_suffix('}'))
        .unwrap_or(f)
}

/// An HTTP header name as nginx spells its variable's suffix: lowercase, `-` as `_`.
fn nginx_header(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'-' => '_',
            b => b.to_ascii_lowercase() as char,
        })
        .collect()
}

fn names(syntax: Syntax, var: &Var, field: &str) -> bool {
    match syntax {
        Syntax::Nginx => var.key == bare_name(field),
        Syntax::Apache if field.starts_with('%') => {
            let Ok((letter, arg, end)) = apache_directive(field, 0) else {
                return false;
            };
            if end != field.len() || letter != var.key {
                return false;
            }
            match (arg.as_deref(), var.arg.as_deref()) {
                (Some(a), Some(b)) if letter == "i" || letter == "o" => a.eq_ignore_ascii_case(b),
                (a, b) => a == b,
            }
        }
        Syntax::Apache => match (bare_name(field).strip_prefix("http_"), var.arg.as_deref()) {
            (Some(header), Some(arg)) if var.key == "i" => nginx_header(arg) == header,
            _ => false,
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Compiling.

impl Template {
    /// Compiles `text`, which may start with `nginx:` or `apache:` naming its syntax; otherwise
    /// its first `$` or `%` tells. `client_field` names the variable to count as the client
    /// instead of the peer address.
    #[cfg(test)]
    pub(crate) fn compile(
        text: &str,
        client_field: Option<&str>,
    ) -> Result<Template, TemplateError> {
        let (syntax, body, tag) = if let Some(rest) = text.strip_prefix("nginx:") {
            (Syntax::Nginx, rest, 6)
        } else if let Some(rest) = text.strip_prefix("apache:") {
            (Syntax::Apache, rest, 7)
        } else {
            let syntax = match text.bytes().find(|&b| b == b'$' || b == b'%') {
                Some(b'$') => Syntax::Nginx,
                Some(_) => Syntax::Apache,
                None => {
                    return Err(error(
                        0,
                        "a template needs at least one `$variable` or `%directive`",
                    ))
                }
            };
            (syntax, text, 0)
        };
        Template::compile_as(syntax, body, client_field).map_err(|mut e| {
            e.at += tag;
            e
        })
    }

    /// Compiles `text` in `syntax` (no tag).
    pub(crate) fn compile_as(
        syntax: Syntax,
        text: &str,
        client_field: Option<&str>,
    ) -> Result<Template, TemplateError> {
        let mut tokens = match syntax {
            Syntax::Nginx => parse_nginx(text)?,
            Syntax::Apache => parse_apache(text)?,
        };
        // The template's own trailing whitespace (lines' is trimmed too).
        if let Some(Token::Lit(last)) = tokens.last_mut() {
            while last.last().is_some_and(|&b| super::super::is_space(b)) {
                last.pop();
            }
            if last.is_empty() {
                tokens.pop();
            }
        }
        let vars: Vec<(usize, &Var)> = tokens
            .iter()
            .enumerate()
            .filter_map(|(i, t)| match t {
                Token::Var(v) => Some((i, v)),
                Token::Lit(_) => None,
            })
            .collect();

        // The client: the named variable, else the preferred peer variable (first occurrence).
        let client = match client_field {
            Some(field) => *vars
                .iter()
                .find(|(_, v)| names(syntax, v, field))
                .ok_or_else(|| error(0, format!("no variable `{field}` in the template")))?,
            None => vars
                .iter()
                .filter_map(|(i, v)| match v.kind {
                    Kind::Peer(rank) => Some((rank, *i, *v)),
                    _ => None,
                })
                .min_by_key(|&(rank, i, _)| (rank, i))
                .map(|(_, i, v)| (i, v))
                .ok_or_else(|| {
                    error(
                        0,
                        match syntax {
                            Syntax::Nginx => {
                                "the template has no client address (`$remote_addr` or \
                                 `$realip_remote_addr`; name another variable with \
                                 --client-field)"
                            }
                            Syntax::Apache => {
                                "the template has no client address (`%a`, `%h` or `%{c}a`; \
                                 name another directive with --client-field)"
                            }
                        },
                    )
                })?,
        };
        let peer = matches!(client.1.kind, Kind::Peer(_));
        let forwarded = if peer {
            vars.iter()
                .find(|(i, v)| *i != client.0 && v.kind == Kind::Forwarded)
                .map(|(i, _)| *i)
        } else {
            None
        };
        let time = vars
            .iter()
            .find(|(i, v)| *i != client.0 && matches!(v.kind, Kind::Time(Some(_))))
            .map(|&(i, v)| match &v.kind {
                Kind::Time(Some(read)) => (i, read.clone()),
                _ => unreachable!("a time variable"),
            });
        let client_name = client.1.name.clone();
        let client_index = client.0;

        let mut head = Vec::new();
        let mut steps = Vec::new();
        // A variable waiting for the literal that ends it: (check, slot, name).
        let mut pending: Option<(Check, Slot, &str)> = None;
        let mut any_var = false;
        for (i, token) in tokens.iter().enumerate() {
            match token {
                Token::Lit(bytes) => match pending.take() {
                    Some((check, slot, _)) => steps.push(Step {
                        check,
                        slot,
                        lit: Some(Lit::new(bytes)),
                    }),
                    None => head.extend_from_slice(bytes),
                },
                Token::Var(v) => {
                    any_var = true;
                    let (check, slot) = if i == client_index {
                        (if peer { Check::Peer } else { Check::Any }, Slot::Client)
                    } else if Some(i) == forwarded {
                        (Check::Any, Slot::Forwarded)
                    } else if time.as_ref().is_some_and(|t| t.0 == i) {
                        (Check::Any, Slot::Time)
                    } else {
                        let check = match v.kind {
                            Kind::Status => Check::Status,
                            Kind::Bytes => Check::Bytes,
                            _ => Check::Any,
                        };
                        (check, Slot::None)
                    };
                    pending = match pending {
                        None => Some((check, slot, &v.name)),
                        Some((_, Slot::None, _)) if slot == Slot::None => {
                            Some((Check::Any, Slot::None, &v.name))
                        }
                        Some((_, _, before)) => {
                            return Err(error(
                                v.at,
                                format!(
                                    "`{before}` and `{}` have no text between them: where one \
                                     ends cannot be told",
                                    v.name
                                ),
                            ))
                        }
                    };
                }
            }
        }
        debug_assert!(any_var, "a client was found");
        if let Some((check, slot, _)) = pending {
            steps.push(Step {
                check,
                slot,
                lit: None,
            });
        }
        let leads_with_peer = head.is_empty()
            && steps.first().is_some_and(|s| {
                s.slot == Slot::Client && s.check == Check::Peer && s.lit.is_some()
            });
        Ok(Template {
            #[cfg(test)]
            syntax,
            #[cfg(test)]
            source: text.to_string(),
            client_name,
            head: head.into_boxed_slice(),
            steps: steps.into_boxed_slice(),
            time: time.map(|(_, read)| read),
            #[cfg(test)]
            has_forwarded: forwarded.is_some(),
            leads_with_peer,
        })
    }
}
