//! Formats a run defines from templates: `--log-format TEMPLATE` and the formats of
//! `--server-config` files (docs/contract.md §1, "Templates").
//!
//! A [`Custom`] format is a compiled [`Template`] and its name (`nginx:main`, `nginx:custom`).
//! Compiled formats are interned for the life of the process, so that a [`Format`](super::Format)
//! naming one stays a small `Copy` value that any thread can read: a run compiles a handful of
//! templates once (a procpool worker once per distinct template it is sent), and the same
//! template is never compiled twice. Wire messages and partial results carry a run's templates
//! as text ([`Spec`]) and name them by their place in the run's list ([`Customs`]).

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use super::template::{Syntax, Template, TemplateError};
use crate::bytes::{BadBytes, ByteReader, ByteWriter};

/// What a custom format is made from: everything that decides how it reads a line.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Spec {
    /// `nginx:main`; `nginx:custom` or `apache:custom` for `--log-format TEMPLATE`.
    pub name: String,
    pub syntax: Syntax,
    /// The template as the server's configuration writes it.
    pub text: String,
    /// `--client-field`, where it names one of the template's variables.
    pub client_field: Option<String>,
}

impl Spec {
    /// The spec's syntax as a byte, for wire messages and partials.
    fn syntax_code(&self) -> u8 {
        match self.syntax {
            Syntax::Nginx => 0,
            Syntax::Apache => 1,
        }
    }

    fn syntax_from_code(code: u8) -> Option<Syntax> {
        match code {
            0 => Some(Syntax::Nginx),
            1 => Some(Syntax::Apache),
            _ => None,
        }
    }
}

/// A compiled custom format.
#[derive(Debug)]
pub(crate) struct Custom {
    /// Its place in the process's table: what equality, order and hashing go by.
    id: u32,
    pub(crate) spec: Spec,
    pub(crate) template: Template,
    /// Whether the client is the peer (else a list variable `--client-field` names).
    peer: bool,
}

/// The template variables that hold the connection's peer address.
const PEERS: &[&str] = &["$remote_addr", "$realip_remote_addr", "%a", "%h", "%{c}a"];

/// A custom format, interned: copied freely, compared by identity (one per distinct [`Spec`]).
#[derive(Clone, Copy)]
pub struct CustomRef(&'static Custom);

impl CustomRef {
    /// The format for `spec`, compiled the first time it is asked for.
    pub fn intern(spec: Spec) -> Result<CustomRef, TemplateError> {
        static TABLE: Mutex<Vec<&'static Custom>> = Mutex::new(Vec::new());
        let mut table = TABLE.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = table.iter().find(|c| c.spec == spec) {
            return Ok(CustomRef(c));
        }
        let template = Template::compile_as(spec.syntax, &spec.text, spec.client_field.as_deref())?;
        let id = u32::try_from(table.len()).expect("fewer than 2^32 templates");
        // Leaked on purpose: a run interns a few templates, each for the life of the process.
        let peer = PEERS.contains(&template.client_name());
        let custom: &'static Custom = Box::leak(Box::new(Custom {
            id,
            spec,
            template,
            peer,
        }));
        table.push(custom);
        Ok(CustomRef(custom))
    }

    pub(crate) fn name(self) -> &'static str {
        &self.0.spec.name
    }

    pub fn spec(self) -> &'static Spec {
        &self.0.spec
    }

    #[inline]
    pub(crate) fn template(self) -> &'static Template {
        &self.0.template
    }

    /// Whether the client is the peer variable (else a list `--client-field` names).
    #[inline]
    pub(crate) fn client_is_peer(self) -> bool {
        self.0.peer
    }
}

impl PartialEq for CustomRef {
    fn eq(&self, other: &Self) -> bool {
        self.0.id == other.0.id
    }
}

impl Eq for CustomRef {}

impl Hash for CustomRef {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.id.hash(state);
    }
}

impl PartialOrd for CustomRef {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for CustomRef {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.id.cmp(&other.0.id)
    }
}

impl fmt::Debug for CustomRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CustomRef({:?})", self.0.spec.name)
    }
}

/// A run's custom formats, in order: the one `--log-format` names, or those of its server
/// configurations (which also join detection, in this order, ahead of the presets).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Customs(Arc<[CustomRef]>);

impl Customs {
    /// The most custom formats a run may have: each takes three of the one-byte codes a format
    /// has in wire messages and partials (none, `cri+`, `syslog+`), after the presets', and
    /// 255 is no format (72; it said 76, whose last codes overflowed a byte).
    pub(crate) const MAX: usize = u8::MAX as usize / 3 - super::PRESETS;

    pub fn new(formats: Vec<CustomRef>) -> Result<Customs, String> {
        if formats.len() > Self::MAX {
            return Err(format!(
                "{} log formats: at most {} in one run",
                formats.len(),
                Self::MAX
            ));
        }
        Ok(Customs(formats.into()))
    }

    /// Compiles and interns every spec, in order.
    pub(crate) fn from_specs(specs: impl IntoIterator<Item = Spec>) -> Result<Customs, String> {
        let formats = specs
            .into_iter()
            .map(|s| {
                let name = s.name.clone();
                CustomRef::intern(s).map_err(|e| format!("log format {name}: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Customs::new(formats)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = CustomRef> + '_ {
        self.0.iter().copied()
    }

    /// Where `custom` stands in the list.
    pub(crate) fn position(&self, custom: CustomRef) -> Option<usize> {
        self.0.iter().position(|&c| c == custom)
    }

    pub(crate) fn get(&self, index: usize) -> Option<CustomRef> {
        self.0.get(index).copied()
    }

    /// The specs, in order (what plans and wire messages carry).
    pub(crate) fn specs(&self) -> impl ExactSizeIterator<Item = &'static Spec> + '_ {
        self.0.iter().map(|c| c.spec())
    }
}

/// A run's own formats and its trusted proxies as bytes, as the process pool's workers and the
/// partial files receive them: a count and each spec (name, syntax, template, client field,
/// empty for none), a count and each proxy as written. [`read_specs`] reads it back.
pub(crate) fn put_specs<'a>(
    out: &mut Vec<u8>,
    specs: impl IntoIterator<Item = &'a Spec, IntoIter: ExactSizeIterator>,
    proxies: &[String],
) {
    let specs = specs.into_iter();
    out.put_u64(specs.len() as u64);
    for spec in specs {
        out.put_str(&spec.name);
        out.put_u8(spec.syntax_code());
        out.put_str(&spec.text);
        out.put_str(spec.client_field.as_deref().unwrap_or(""));
    }
    out.put_u64(proxies.len() as u64);
    for p in proxies {
        out.put_str(p);
    }
}

/// What [`put_specs`] wrote: the specs (not compiled) and the proxies (not parsed). A count
/// is checked against the bytes left before anything is allocated.
pub(crate) fn read_specs(r: &mut ByteReader<'_>) -> Result<(Vec<Spec>, Vec<String>), BadBytes> {
    let corrupt = |why| BadBytes::Corrupt {
        what: "log formats",
        why,
    };
    let text = |r: &mut ByteReader<'_>| {
        String::from_utf8(r.bytes()?.to_vec()).map_err(|_| corrupt("text is not UTF-8"))
    };
    // A spec takes at least 13 bytes (three lengths and the syntax); a proxy 4.
    let n = r.count(13)?;
    let mut specs = Vec::with_capacity(n);
    for _ in 0..n {
        let name = text(r)?;
        let syntax = Spec::syntax_from_code(r.u8()?).ok_or(corrupt("unknown syntax"))?;
        let template = text(r)?;
        let field = text(r)?;
        specs.push(Spec {
            name,
            syntax,
            text: template,
            client_field: (!field.is_empty()).then_some(field),
        });
    }
    let n = r.count(4)?;
    let proxies = (0..n).map(|_| text(r)).collect::<Result<_, _>>()?;
    Ok((specs, proxies))
}
