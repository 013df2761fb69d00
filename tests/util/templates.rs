//! Random nginx and Apache templates and lines written in them, with each line's truth: what
//! tests/templates.rs counts on every executor and tests/reference.rs checks the oracle by.

use proptest::prelude::*;

/// One field of a random template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Peer,
    Forwarded,
    Time,
    Status,
    Bytes,
    Request,
    Agent,
    Duration,
}

impl Field {
    /// The variable as each syntax writes it, and whether it is written in quotes.
    fn variable(self, nginx: bool) -> (&'static str, bool) {
        match (self, nginx) {
            (Field::Peer, true) => ("$remote_addr", false),
            (Field::Peer, false) => ("%h", false),
            (Field::Forwarded, true) => ("$http_x_forwarded_for", true),
            (Field::Forwarded, false) => ("%{X-Forwarded-For}i", true),
            (Field::Time, true) => ("[$time_local]", false),
            (Field::Time, false) => ("%t", false),
            (Field::Status, true) => ("$status", false),
            (Field::Status, false) => ("%>s", false),
            (Field::Bytes, true) => ("$body_bytes_sent", false),
            (Field::Bytes, false) => ("%b", false),
            (Field::Request, true) => ("$request", true),
            (Field::Request, false) => ("%r", true),
            (Field::Agent, true) => ("${http_user_agent}", true),
            (Field::Agent, false) => ("%{User-Agent}i", true),
            (Field::Duration, true) => ("$request_time", false),
            (Field::Duration, false) => ("%D", false),
        }
    }
}

/// A random template: its fields in order, its syntax and the separators between fields.
#[derive(Clone, Debug)]
pub struct Template {
    pub nginx: bool,
    pub fields: Vec<Field>,
    pub separators: Vec<&'static str>,
}

impl Template {
    pub fn text(&self) -> String {
        let mut t = String::new();
        for (i, f) in self.fields.iter().enumerate() {
            if i > 0 {
                t.push_str(self.separators[i - 1]);
            }
            let (var, quoted) = f.variable(self.nginx);
            // Apache templates are written as in a configuration: quotes escaped.
            let quote = if self.nginx { "\"" } else { "\\\"" };
            if quoted {
                t.push_str(quote);
            }
            t.push_str(var);
            if quoted {
                t.push_str(quote);
            }
        }
        t
    }
}

const SEPARATORS: &[&str] = &[" ", " - ", " | ", "\t", " :: "];

pub fn template() -> impl Strategy<Value = Template> {
    let others = proptest::sample::subsequence(
        vec![
            Field::Forwarded,
            Field::Time,
            Field::Status,
            Field::Bytes,
            Field::Request,
            Field::Agent,
            Field::Duration,
        ],
        1..=7,
    );
    (
        any::<bool>(),
        others,
        any::<usize>(),
        proptest::collection::vec(proptest::sample::select(SEPARATORS), 8),
    )
        .prop_map(|(nginx, mut others, at, separators)| {
            let at = at % (others.len() + 1);
            others.insert(at, Field::Peer);
            Template {
                nginx,
                fields: others,
                separators,
            }
        })
}

const CLIENTS: &[&str] = &[
    "203.0.113.9",
    "198.51.100.7",
    "192.0.2.44",
    "2001:db8::1",
    "2a02:c7f::2",
    "-",
    "unknown",
    "01.2.3.4",
];
pub const PROXIES: &[&str] = &["10.0.1.10", "10.0.1.11", "10.9.9.9"];

/// One line's values.
#[derive(Clone, Debug)]
pub struct Values {
    peer: &'static str,
    forwarded: Vec<&'static str>,
    day: u32,
    status: &'static str,
    agent: &'static str,
    /// A garbage line, or a line whose status is no status: malformed.
    broken: u8,
}

pub fn values() -> impl Strategy<Value = Values> {
    let any_address = proptest::sample::select([CLIENTS, PROXIES].concat());
    // A header of only `-` is no entry at all: `-` stands in lists of two or more.
    let entries = proptest::collection::vec(any_address.clone(), 0..4)
        .prop_filter("a lone `-`", |e| e != &["-"]);
    (
        any_address,
        entries,
        1u32..28,
        proptest::sample::select(vec!["200", "404", "304"]),
        proptest::sample::select(vec![
            "curl/8.5.0",
            "Mozilla/5.0 (X11; Linux)",
            "a \\\"quoted\\\" agent",
            "",
        ]),
        0u8..12,
    )
        .prop_map(|(peer, forwarded, day, status, agent, broken)| Values {
            peer,
            forwarded,
            day,
            status,
            agent,
            broken,
        })
}

/// A line of `t` with `v`, and what it is: `None` malformed, else its client (`None`: no
/// client), found by walking the chain by hand when `trusted`.
pub fn line(t: &Template, v: &Values, trusted: bool) -> (String, Option<Option<String>>) {
    if v.broken == 0 {
        return ("garbage".into(), None);
    }
    let mut s = String::new();
    for (i, f) in t.fields.iter().enumerate() {
        if i > 0 {
            s.push_str(t.separators[i - 1]);
        }
        let value = match f {
            Field::Peer => v.peer.to_string(),
            Field::Forwarded if v.forwarded.is_empty() => "\"-\"".into(),
            Field::Forwarded => format!("\"{}\"", v.forwarded.join(", ")),
            Field::Time => format!("[{:02}/Nov/2026:10:01:02 +0100]", v.day),
            Field::Status if v.broken == 1 => "2x0".into(),
            Field::Status => v.status.into(),
            Field::Bytes => "512".into(),
            Field::Request => "\"GET /a?b=c HTTP/1.1\"".into(),
            Field::Agent => format!("\"{}\"", v.agent),
            Field::Duration => "1234".into(),
        };
        s.push_str(&value);
    }
    if v.broken == 1 && t.fields.contains(&Field::Status) {
        return (s, None);
    }
    // The chain: the header's entries, then the peer; walked right to left past trusted ones.
    let client = if trusted && t.fields.contains(&Field::Forwarded) {
        let mut chain: Vec<&str> = v.forwarded.clone();
        chain.push(v.peer);
        chain
            .iter()
            .rev()
            .find(|e| !PROXIES.contains(e))
            .or(chain.first())
            .map(|c| c.to_string())
    } else {
        Some(v.peer.to_string())
    };
    (s, Some(client.filter(|c| c != "-")))
}
