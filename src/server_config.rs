//! Reading web-server configurations (`--server-config FILE`): the access-log formats an nginx or
//! Apache httpd configuration defines, and which log files it writes in which format.
//!
//! [`ServerConfig::read`] tells the dialect apart by the main file's content, follows its
//! includes (globs expanded in sorted order, loops refused) and returns the formats' template
//! text as the server would see it ([`NamedFormat::text`]; compiling it is another module's
//! work) and the configured log paths ([`LogTarget`]). [`LogTarget::rank`] says how well a file
//! the user named matches a configured log, rotated siblings (`access.log.1`, `access.log-20261207.gz`)
//! included.
//!
//! Paths are resolved the way the servers do, with one simplification for nginx: relative
//! `include` patterns and relative `access_log` paths are resolved against the main
//! configuration file's directory (nginx's default conf prefix; nginx itself resolves
//! `access_log` against its install prefix, which a configuration file does not tell). Apache
//! resolves both against `ServerRoot`, else the main file's directory. Parts of a log path that
//! cannot be known here (nginx variables, unknown Apache `${VAR}`s, rotatelogs' strftime
//! conversions) become `*`.
//!
//! This module imports nothing of the crate.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// Which server's configuration language a file is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Nginx,
    Apache,
}

/// A log format a configuration defines (or one built in that it uses).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedFormat {
    /// `nginx:NAME` (`nginx:stream:NAME` for a `stream {}` block's formats), `apache:NICK`, or
    /// `apache:FILE:LINE` for a format written inline in a `CustomLog` or an unnamed `LogFormat`.
    pub name: String,
    pub dialect: Dialect,
    /// The template text: nginx's string arguments concatenated after nginx's own quote and
    /// escape processing; Apache's text exactly as written between the quotes, backslash escapes
    /// (`\"`) left in.
    pub text: String,
    /// `FILE:LINE` of the definition, or `built in ...`.
    pub origin: String,
}

/// A log file a configuration writes, and the format it writes it in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogTarget {
    /// The configured path, made absolute where it can be; `*` stands for each part that cannot
    /// be known here (a variable, a strftime conversion).
    pub path: String,
    /// The [`NamedFormat::name`] it is written in.
    pub format: String,
    /// `FILE:LINE` of the directive.
    pub origin: String,
}

/// What a configuration says about access logs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerConfig {
    pub formats: Vec<NamedFormat>,
    pub logs: Vec<LogTarget>,
    /// Notes on what was left out: includes of the server's own files that are not on this
    /// machine (a configuration copied off its server).
    pub notes: Vec<String>,
}

/// A configuration that cannot be read: where, and why. `line` is 0 when the file itself
/// cannot be read (or is not a configuration); it then shows as `FILE: message`.
#[derive(Debug, thiserror::Error)]
#[error("{file}{}: {message}", line_suffix(*.line))]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

fn line_suffix(line: usize) -> String {
    if line == 0 {
        String::new()
    } else {
        format!(":{line}")
    }
}

impl ConfigError {
    fn new(file: &str, line: usize, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: file.to_string(),
            line,
            message: message.into(),
        }
    }
}

/// The environment lookup for Apache's `${VAR}`.
type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// nginx's predefined `combined` format.
const NGINX_COMBINED: &str = "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\"";

/// The nicknames Debian's and Ubuntu's apache2.conf define, used when a configuration names one
/// without defining it (a vhost file read alone).
const APACHE_FALLBACKS: &[(&str, &str)] = &[
    (
        "combined",
        r#"%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\""#,
    ),
    ("common", r#"%h %l %u %t \"%r\" %>s %O"#),
    (
        "vhost_combined",
        r#"%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\""#,
    ),
    ("referer", "%{Referer}i -> %U"),
    ("agent", "%{User-agent}i"),
];
const FALLBACK_ORIGIN: &str = "built in (Debian apache2.conf)";

/// What `TransferLog` writes when no unnamed `LogFormat` came before it: Apache's own default,
/// the Common Log Format.
const APACHE_CLF_NAME: &str = "apache:clf";
const APACHE_CLF: &str = r#"%h %l %u %t \"%r\" %>s %b"#;

/// The deepest nesting of includes followed (a guard beside the loop check).
const MAX_INCLUDE_DEPTH: usize = 64;

impl ServerConfig {
    /// Reads the configuration at `path`, following its includes; nginx or Apache told apart by
    /// content. Apache's `${VAR}`s are looked up in the process environment.
    pub fn read(path: &Path) -> Result<ServerConfig, ConfigError> {
        Self::read_with(path, &|name| std::env::var(name).ok())
    }

    /// [`ServerConfig::read`] with an explicit environment lookup for Apache's `${VAR}`.
    pub fn read_with(
        path: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ServerConfig, ConfigError> {
        let shown = path.display().to_string();
        let text = read_text(path, &shown)?;
        let dialect = detect(&text).ok_or_else(|| {
            ConfigError::new(&shown, 0, "neither an nginx nor an Apache configuration")
        })?;
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let dir = normalize(&std::path::absolute(&dir).unwrap_or(dir));
        let files = Files {
            stack: vec![canonical(path)],
        };
        match dialect {
            Dialect::Nginx => Nginx::new(dir, files).run(&shown, &text),
            Dialect::Apache => Apache::new(dir, files, env).run(&shown, &text),
        }
    }

    /// The dialect a configuration's main file is written in, by content (`None`: neither).
    pub fn detect(text: &str) -> Option<Dialect> {
        detect(text)
    }
}

fn read_text(path: &Path, shown: &str) -> Result<String, ConfigError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) => Err(ConfigError::new(shown, 0, format!("cannot read: {e}"))),
    }
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// `path` without `.` components (`..` kept: a symbolic link may stand before it).
fn normalize(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

/// The files being read, outermost first: an include of one of them is a loop.
struct Files {
    stack: Vec<PathBuf>,
}

impl Files {
    fn enter(&mut self, path: &Path, file: &str, line: usize) -> Result<(), ConfigError> {
        let real = canonical(path);
        if self.stack.contains(&real) {
            return Err(ConfigError::new(
                file,
                line,
                format!("include loop: {} is already being read", path.display()),
            ));
        }
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            return Err(ConfigError::new(
                file,
                line,
                format!("includes nested deeper than {MAX_INCLUDE_DEPTH}"),
            ));
        }
        self.stack.push(real);
        Ok(())
    }

    fn leave(&mut self) {
        self.stack.pop();
    }
}

// ---------------------------------------------------------------------------------------------
// Telling the dialects apart

fn detect(text: &str) -> Option<Dialect> {
    const APACHE: &[&str] = &[
        "logformat",
        "customlog",
        "transferlog",
        "serverroot",
        "include",
        "includeoptional",
        "loadmodule",
        "listen",
        "errorlog",
        "documentroot",
        "servername",
    ];
    const NGINX: &[&str] = &["log_format", "access_log", "worker_processes"];
    const NGINX_BLOCKS: &[&str] = &["http", "server", "events", "stream", "location"];
    let (mut apache, mut nginx) = (0usize, 0usize);
    let mut strong_nginx = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let lower = line.to_ascii_lowercase();
        let word: String = lower
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let rest = lower[word.len()..].trim_start();
        let statement_end = lower.ends_with(';') || lower.ends_with('{') || lower.ends_with('}');
        if NGINX.contains(&word.as_str())
            || NGINX_BLOCKS.contains(&word.as_str()) && rest.starts_with('{')
        {
            strong_nginx = true;
            nginx += 1;
        } else if ["<virtualhost", "<ifmodule", "<directory", "</"]
            .iter()
            .any(|c| lower.starts_with(c))
            || APACHE.contains(&word.as_str()) && !statement_end
        {
            apache += 1;
        } else if statement_end {
            nginx += 1;
        }
    }
    if strong_nginx && nginx >= apache {
        Some(Dialect::Nginx)
    } else if apache > 0 && apache >= nginx {
        Some(Dialect::Apache)
    } else if nginx > 0 {
        Some(Dialect::Nginx)
    } else {
        None
    }
}

// ---------------------------------------------------------------------------------------------
// Globs

fn has_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Where an include `pattern` is on this machine when it is not where the server would find it
/// (against `base`; `None`: there, or nowhere): for a configuration copied off its server (`/etc/nginx/conf.d/*.conf` read from
/// `./etc/nginx/nginx.conf`), the same trailing components below `home`, the main file's
/// directory (the longest such suffix that is there).
fn locate(base: &Path, home: &Path, pattern: &str) -> Option<PathBuf> {
    let full = normalize(&base.join(pattern));
    if anchor_exists(&full) {
        return None;
    }
    let parts: Vec<&std::ffi::OsStr> = full
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n),
            _ => None,
        })
        .collect();
    // A glob keeps the directory it searches (`modules-enabled/*.conf` is never `*.conf` in
    // the main file's own directory).
    let least = match parts.iter().position(|p| has_glob(&p.to_string_lossy())) {
        Some(g) => parts.len() - g.saturating_sub(1),
        None => 1,
    };
    for k in (least..parts.len()).rev() {
        let candidate: PathBuf = home.join(parts[parts.len() - k..].iter().collect::<PathBuf>());
        if anchor_exists(&candidate) {
            return Some(candidate);
        }
    }
    None
}

/// Whether `path`, or for a glob the directory before its first wildcard, exists.
fn anchor_exists(path: &Path) -> bool {
    let mut anchor = PathBuf::new();
    for c in path.components() {
        if has_glob(&c.as_os_str().to_string_lossy()) {
            return anchor.is_dir();
        }
        anchor.push(c);
    }
    anchor.exists()
}

/// The paths `pattern` matches, relative to `base` unless absolute (`base` itself taken
/// literally), component by component, sorted within each directory (so in byte order overall,
/// as glob(3) in the C locale). A wildcard matches a leading `.` only when the pattern's
/// component starts with one.
fn expand_glob(base: &Path, pattern: &Path) -> Result<Vec<PathBuf>, String> {
    let start = if pattern.is_absolute() {
        PathBuf::new()
    } else {
        base.to_path_buf()
    };
    let mut current = vec![start];
    for comp in pattern.components() {
        let name = comp.as_os_str().to_string_lossy();
        if comp == Component::CurDir {
            continue;
        }
        if !matches!(comp, Component::Normal(_)) || !has_glob(&name) {
            for p in &mut current {
                p.push(comp.as_os_str());
            }
            continue;
        }
        let glob = globset::GlobBuilder::new(&name)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .map_err(|e| format!("bad pattern {}: {e}", pattern.display()))?
            .compile_matcher();
        let dot_ok = name.starts_with('.');
        let mut next = Vec::new();
        for dir in &current {
            let listed = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir.as_path()
            };
            let Ok(entries) = std::fs::read_dir(listed) else {
                continue;
            };
            let mut names: Vec<_> = entries
                .filter_map(|e| e.ok().map(|e| e.file_name()))
                .filter(|n| {
                    (dot_ok || !n.to_string_lossy().starts_with('.')) && glob.is_match(Path::new(n))
                })
                .collect();
            names.sort();
            next.extend(names.into_iter().map(|n| dir.join(n)));
        }
        current = next;
    }
    Ok(current)
}

/// Whether `text` matches `pattern`, where `*` matches any run of bytes (and nothing else is
/// special).
fn wild_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&b| b == b'*')
}

/// Collapses runs of `*` into one.
fn collapse_stars(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !(c == '*' && out.ends_with('*')) {
            out.push(c);
        }
    }
    out
}

/// A log path made absolute against `base`, unless it is absolute already or starts with an
/// unknown part (`*`: a variable that may well hold an absolute directory).
fn resolve_log_path(path: &str, base: &Path) -> String {
    let p = Path::new(path);
    let joined = if p.is_absolute() || path.starts_with('*') {
        p.to_path_buf()
    } else {
        base.join(p)
    };
    normalize(&joined).to_string_lossy().into_owned()
}

// ---------------------------------------------------------------------------------------------
// Ranking files against configured logs

impl LogTarget {
    /// How well `file` (a path as the user gave it, canonicalized by the caller where it can be)
    /// matches this configured log: `None` when its name is neither the configured name nor a
    /// rotated sibling of it (`NAME.1`, `NAME.2.gz`, `NAME-20261207`, `NAME-2026120712.bz2`,
    /// `NAME.gz`, with `.gz`, `.bz2`, `.xz`, `.zst`); else `Some(n)`, the number of trailing
    /// path components that agree, the file name included (so `n >= 1`). A `*` in a configured
    /// component matches any run of bytes within it.
    pub fn rank(&self, file: &Path) -> Option<usize> {
        let conf = path_parts(&self.path);
        let file = file.to_string_lossy();
        let given = path_parts(&file);
        let (name_pattern, name) = (conf.last()?, given.last()?);
        if !rotated_stems(name)
            .iter()
            .any(|stem| wild_match(name_pattern, stem))
        {
            return None;
        }
        let agree = conf
            .iter()
            .rev()
            .skip(1)
            .zip(given.iter().rev().skip(1))
            .take_while(|(c, g)| wild_match(c, g))
            .count();
        Some(1 + agree)
    }
}

fn path_parts(path: &str) -> Vec<&str> {
    path.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect()
}

/// The names `name` may be a rotation of: itself, without a compression extension, without a
/// rotation suffix (`.N`, `-YYYYMMDD`, `-YYYYMMDDHH`, `-YYYYMMDD-SECONDS`), and without both.
fn rotated_stems(name: &str) -> Vec<&str> {
    let mut out = vec![name];
    let uncompressed = [".gz", ".bz2", ".xz", ".zst"]
        .iter()
        .find_map(|ext| name.strip_suffix(ext).filter(|s| !s.is_empty()));
    if let Some(u) = uncompressed {
        out.push(u);
    }
    for base in std::iter::once(name).chain(uncompressed) {
        strip_rotation(base, &mut out);
    }
    out
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Pushes what `name` is a rotation of, by its rotation suffix (if it has one).
fn strip_rotation<'n>(name: &'n str, out: &mut Vec<&'n str>) {
    if let Some((stem, n)) = name.rsplit_once('.') {
        if all_digits(n) && n.len() <= 6 && !stem.is_empty() {
            out.push(stem);
        }
    }
    let Some((stem, tail)) = name.rsplit_once('-') else {
        return;
    };
    if !all_digits(tail) || stem.is_empty() {
        return;
    }
    if matches!(tail.len(), 8 | 10) {
        out.push(stem);
    }
    // logrotate's `dateformat -%Y%m%d-%s`.
    if let Some((stem, date)) = stem.rsplit_once('-') {
        if all_digits(date) && date.len() == 8 && !stem.is_empty() {
            out.push(stem);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// nginx

/// A token of nginx's configuration language, after its escape processing.
struct Token {
    text: String,
    line: usize,
}

/// How a statement ended.
#[derive(PartialEq)]
enum End {
    Semicolon,
    Open,
    Close,
    Eof,
}

/// nginx's tokenizer (`ngx_conf_read_token`), one statement at a time.
struct Lexer<'t> {
    b: &'t [u8],
    pos: usize,
    line: usize,
    file: &'t str,
}

impl<'t> Lexer<'t> {
    fn new(text: &'t str, file: &'t str) -> Lexer<'t> {
        Lexer {
            b: text.as_bytes(),
            pos: 0,
            line: 1,
            file,
        }
    }

    fn err(&self, line: usize, message: impl Into<String>) -> ConfigError {
        ConfigError::new(self.file, line, message)
    }

    fn bump(&mut self) -> u8 {
        let c = self.b[self.pos];
        self.pos += 1;
        if c == b'\n' {
            self.line += 1;
        }
        c
    }

    /// The next statement's tokens and what ended it.
    fn statement(&mut self) -> Result<(Vec<Token>, End), ConfigError> {
        let mut args = Vec::new();
        loop {
            while self.pos < self.b.len() && self.b[self.pos].is_ascii_whitespace() {
                self.bump();
            }
            let Some(&c) = self.b.get(self.pos) else {
                if args.is_empty() {
                    return Ok((args, End::Eof));
                }
                return Err(self.err(
                    self.line,
                    "unexpected end of file, expecting \";\" or \"}\"",
                ));
            };
            match c {
                b'#' => {
                    while self.pos < self.b.len() && self.b[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                }
                b';' | b'{' => {
                    self.bump();
                    if args.is_empty() {
                        return Err(self.err(self.line, format!("unexpected \"{}\"", c as char)));
                    }
                    let end = if c == b';' { End::Semicolon } else { End::Open };
                    return Ok((args, end));
                }
                b'}' => {
                    self.bump();
                    if !args.is_empty() {
                        return Err(self.err(self.line, "unexpected \"}\""));
                    }
                    return Ok((args, End::Close));
                }
                b'"' | b'\'' => args.push(self.quoted(c)?),
                _ => args.push(self.word()),
            }
        }
    }

    fn quoted(&mut self, quote: u8) -> Result<Token, ConfigError> {
        let line = self.line;
        self.bump();
        let start = self.pos;
        loop {
            if self.pos >= self.b.len() {
                return Err(self.err(line, "unterminated quoted string"));
            }
            match self.bump() {
                b'\\' if self.pos < self.b.len() => {
                    self.bump();
                }
                c if c == quote => break,
                _ => {}
            }
        }
        let raw = &self.b[start..self.pos - 1];
        match self.b.get(self.pos) {
            None => {}
            Some(c) if c.is_ascii_whitespace() || matches!(c, b';' | b'{' | b')') => {}
            Some(&c) => return Err(self.err(self.line, format!("unexpected \"{}\"", c as char))),
        }
        Ok(Token {
            text: unescape_nginx(raw),
            line,
        })
    }

    fn word(&mut self) -> Token {
        let line = self.line;
        let start = self.pos;
        let mut variable = false;
        while let Some(&c) = self.b.get(self.pos) {
            if c == b'\\' {
                self.bump();
                if self.pos < self.b.len() {
                    self.bump();
                }
                variable = false;
                continue;
            }
            if c == b'{' && variable {
                self.bump();
                variable = false;
                continue;
            }
            if c.is_ascii_whitespace() || c == b';' || c == b'{' {
                break;
            }
            variable = c == b'$';
            self.bump();
        }
        Token {
            text: unescape_nginx(&self.b[start..self.pos]),
            line,
        }
    }
}

/// nginx's escapes: `\"`, `\'`, `\\`, `\t`, `\r`, `\n`; any other backslash stays.
fn unescape_nginx(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\\' && i + 1 < raw.len() {
            let e = match raw[i + 1] {
                c @ (b'"' | b'\'' | b'\\') => Some(c),
                b't' => Some(b'\t'),
                b'r' => Some(b'\r'),
                b'n' => Some(b'\n'),
                _ => None,
            };
            if let Some(e) = e {
                out.push(e);
                i += 2;
                continue;
            }
        }
        out.push(raw[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// nginx variables (`$host`, `${host}`, `$1`) as `*`.
fn nginx_vars_to_stars(path: &str) -> String {
    let b = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' {
            if b.get(i + 1) == Some(&b'{') {
                if let Some(close) = path[i..].find('}') {
                    out.push('*');
                    i += close + 1;
                    continue;
                }
            }
            let len = b[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .count();
            if len > 0 {
                out.push('*');
                i += 1 + len;
                continue;
            }
        }
        let ch = path[i..].chars().next().unwrap_or('$');
        out.push(ch);
        i += ch.len_utf8();
    }
    collapse_stars(&out)
}

struct Nginx {
    dir: PathBuf,
    files: Files,
    /// The enclosing blocks' names (`http`, `server`, `stream`, ...), across included files.
    blocks: Vec<String>,
    formats: Vec<NamedFormat>,
    logs: Vec<LogTarget>,
    /// Each log's format, checked once every file is read: `(log index, file, line)`.
    uses: Vec<(usize, String, usize)>,
    /// Includes that are not on this machine.
    skipped: Vec<String>,
}

impl Nginx {
    fn new(dir: PathBuf, files: Files) -> Nginx {
        Nginx {
            dir,
            files,
            blocks: Vec::new(),
            formats: vec![NamedFormat {
                name: "nginx:combined".into(),
                dialect: Dialect::Nginx,
                text: NGINX_COMBINED.into(),
                origin: "built in".into(),
            }],
            logs: Vec::new(),
            uses: Vec::new(),
            skipped: Vec::new(),
        }
    }

    fn run(mut self, shown: &str, text: &str) -> Result<ServerConfig, ConfigError> {
        self.file(shown, text)?;
        for (i, file, line) in &self.uses {
            let name = &self.logs[*i].format;
            if !self.formats.iter().any(|f| &f.name == name) {
                let bare = name.rsplit(':').next().unwrap_or(name);
                return Err(ConfigError::new(
                    file,
                    *line,
                    format!("unknown log format \"{bare}\""),
                ));
            }
        }
        Ok(ServerConfig {
            formats: self.formats,
            logs: self.logs,
            notes: self.skipped,
        })
    }

    fn file(&mut self, shown: &str, text: &str) -> Result<(), ConfigError> {
        let mut lexer = Lexer::new(text, shown);
        let depth = self.blocks.len();
        loop {
            let (args, end) = lexer.statement()?;
            match end {
                End::Eof => {
                    if self.blocks.len() > depth {
                        return Err(
                            lexer.err(lexer.line, "unexpected end of file, expecting \"}\"")
                        );
                    }
                    return Ok(());
                }
                End::Close => {
                    if self.blocks.len() == depth {
                        return Err(lexer.err(lexer.line, "unexpected \"}\""));
                    }
                    self.blocks.pop();
                }
                End::Open => self.blocks.push(args[0].text.clone()),
                End::Semicolon => self.directive(&args, shown)?,
            }
        }
    }

    fn in_stream(&self) -> bool {
        self.blocks.iter().any(|b| b == "stream")
    }

    fn format_name(&self, name: &str) -> String {
        if self.in_stream() {
            format!("nginx:stream:{name}")
        } else {
            format!("nginx:{name}")
        }
    }

    fn directive(&mut self, args: &[Token], file: &str) -> Result<(), ConfigError> {
        let line = args[0].line;
        let err = |m: String| ConfigError::new(file, line, m);
        let arity = || {
            err(format!(
                "invalid number of arguments in \"{}\" directive",
                args[0].text
            ))
        };
        match args[0].text.as_str() {
            "include" => {
                if args.len() != 2 {
                    return Err(arity());
                }
                self.include(&args[1].text, file, line)
            }
            "log_format" => {
                if args.len() < 3 {
                    return Err(arity());
                }
                let mut strings = &args[2..];
                if let Some(escape) = strings[0].text.strip_prefix("escape=") {
                    if !matches!(escape, "default" | "json" | "none") {
                        return Err(err(format!("unknown log format escaping \"{escape}\"")));
                    }
                    strings = &strings[1..];
                }
                if strings.is_empty() {
                    return Err(arity());
                }
                let name = self.format_name(&args[1].text);
                if self.formats.iter().any(|f| f.name == name) {
                    return Err(err(format!(
                        "duplicate \"log_format\" name \"{}\"",
                        args[1].text
                    )));
                }
                self.formats.push(NamedFormat {
                    name,
                    dialect: Dialect::Nginx,
                    text: strings.iter().map(|t| t.text.as_str()).collect(),
                    origin: format!("{file}:{line}"),
                });
                Ok(())
            }
            "access_log" => {
                if args.len() < 2 {
                    return Err(arity());
                }
                let path = &args[1].text;
                if path == "off" || path.starts_with("syslog:") {
                    return Ok(());
                }
                let format = match args.get(2) {
                    Some(f) => self.format_name(&f.text),
                    None if self.in_stream() => {
                        return Err(err("access_log in a stream block needs a format".into()))
                    }
                    None => "nginx:combined".into(),
                };
                let path = resolve_log_path(&nginx_vars_to_stars(path), &self.dir);
                self.uses.push((self.logs.len(), file.to_string(), line));
                self.logs.push(LogTarget {
                    path,
                    format,
                    origin: format!("{file}:{line}"),
                });
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn include(&mut self, pattern: &str, file: &str, line: usize) -> Result<(), ConfigError> {
        let moved = locate(&self.dir, &self.dir, pattern);
        let pattern = moved.as_deref().map_or(Path::new(pattern), |p| p);
        let full = normalize(&self.dir.join(pattern));
        let paths = if has_glob(&pattern.to_string_lossy()) {
            expand_glob(&self.dir, pattern)
                .map_err(|m| ConfigError::new(file, line, m))?
                .into_iter()
                .filter(|p| p.is_file())
                .collect()
        } else if !full.exists() && Path::new(pattern).is_absolute() {
            // A server's own file left behind with it (`/etc/nginx/mime.types`): what it
            // defines cannot matter here unless a log names a format only it defines, which
            // is then an error of its own.
            self.skipped.push(format!(
                "{file}:{line}: {} is not here; left out",
                pattern.display()
            ));
            Vec::new()
        } else {
            vec![full]
        };
        for path in paths {
            let shown = path.display().to_string();
            let text = std::fs::read(&path).map_err(|e| {
                ConfigError::new(file, line, format!("cannot open \"{shown}\": {e}"))
            })?;
            let text = String::from_utf8_lossy(&text);
            self.files.enter(&path, file, line)?;
            self.file(&shown, &text)?;
            self.files.leave();
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Apache httpd

/// An Apache argument: as written between its quotes (escapes kept) and unescaped.
struct Arg {
    raw: String,
    value: String,
}

/// Splits an Apache directive line into words (`ap_getword_conf`): whitespace-separated, `"` or
/// `'` quoting, a backslash escaping the quote or itself.
fn apache_words(line: &str) -> Result<Vec<Arg>, String> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() {
            return Ok(out);
        }
        let quote = matches!(b[i], b'"' | b'\'').then_some(b[i]);
        let start = if quote.is_some() { i + 1 } else { i };
        let mut j = start;
        loop {
            if j >= b.len() {
                if quote.is_some() {
                    return Err("unterminated quoted string".into());
                }
                break;
            }
            match (b[j], quote) {
                (b'\\', _) if j + 1 < b.len() => j += 2,
                (c, Some(q)) if c == q => break,
                (c, None) if c.is_ascii_whitespace() => break,
                _ => j += 1,
            }
        }
        let raw = &line[start..j];
        let mut value = String::with_capacity(raw.len());
        let mut chars = raw.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(&n) = chars.peek() {
                    if n == '\\' || quote.is_some_and(|q| n == q as char) {
                        value.push(n);
                        chars.next();
                        continue;
                    }
                }
            }
            value.push(c);
        }
        out.push(Arg {
            raw: raw.to_string(),
            value,
        });
        i = if quote.is_some() { j + 1 } else { j };
    }
}

/// `${VAR}`s replaced by `lookup`'s value; unknown ones left as written.
fn substitute(line: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        match after.find('}') {
            Some(close) => {
                match lookup(&after[..close]) {
                    Some(v) => out.push_str(&v),
                    None => out.push_str(&rest[at..at + 2 + close + 1]),
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[at..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Remaining (unknown) `${VAR}`s as `*`.
fn unknown_vars_to_stars(path: &str) -> String {
    collapse_stars(&substitute(path, &|_| Some("*".into())))
}

/// strftime conversions (`%Y`, `%-d`, `%Ey`) as `*`; `%%` as `%`.
fn strftime_to_stars(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push('%');
            continue;
        }
        while chars
            .peek()
            .is_some_and(|c| matches!(c, '-' | '_' | '0' | '^' | '#' | 'E' | 'O'))
        {
            chars.next();
        }
        chars.next();
        out.push('*');
    }
    collapse_stars(&out)
}

/// The log file a piped logger (`|/usr/bin/rotatelogs PATH 86400`, `||cronolog PATH`) writes,
/// strftime conversions as `*`; `None` for any other program.
fn piped_log_path(command: &str) -> Option<String> {
    let command = command.trim_start_matches('|').trim_start_matches('$');
    let mut words = command.split_whitespace();
    let mut program = words.next()?;
    if program == "exec" {
        program = words.next()?;
    }
    let base = program.rsplit('/').next().unwrap_or(program);
    let (takes_value, rotatelogs): (&[&str], bool) = if base.starts_with("rotatelogs") {
        (&["-L", "-p", "-n"], true)
    } else if base.starts_with("cronolog") {
        (&["-H", "-S", "-P", "-l", "-p", "-d", "-z", "-x"], false)
    } else {
        return None;
    };
    let mut numbered = false;
    while let Some(w) = words.next() {
        if w.starts_with('-') && w.len() > 1 {
            numbered |= w == "-n";
            if takes_value.contains(&w) {
                words.next();
            }
            continue;
        }
        let mut path = strftime_to_stars(w);
        // rotatelogs appends the rotation time in seconds to a name without conversions.
        if rotatelogs && !w.contains('%') && !numbered {
            path.push_str(".*");
        }
        return Some(path);
    }
    None
}

/// How a log names its format before every file is read.
enum FormatRef {
    /// A full name already in `formats`.
    Name(String),
    /// An Apache nickname, resolved at the end (defined, else a Debian fallback, else an error).
    Nick(String),
}

struct Apache<'e> {
    env: Env<'e>,
    dir: PathBuf,
    root: PathBuf,
    files: Files,
    defines: HashMap<String, String>,
    formats: Vec<NamedFormat>,
    /// The format unnamed `LogFormat`s set for `TransferLog`.
    default: Option<FormatRef>,
    logs: Vec<(LogTarget, FormatRef, String, usize)>,
    /// Includes that are not on this machine.
    skipped: Vec<String>,
}

impl<'e> Apache<'e> {
    fn new(dir: PathBuf, files: Files, env: Env<'e>) -> Apache<'e> {
        Apache {
            env,
            root: dir.clone(),
            dir,
            files,
            defines: HashMap::new(),
            formats: Vec::new(),
            default: None,
            logs: Vec::new(),
            skipped: Vec::new(),
        }
    }

    fn lookup(&self, name: &str) -> Option<String> {
        self.defines.get(name).cloned().or_else(|| (self.env)(name))
    }

    fn run(mut self, shown: &str, text: &str) -> Result<ServerConfig, ConfigError> {
        self.envvars();
        self.file(shown, text)?;
        let mut logs = Vec::with_capacity(self.logs.len());
        for (mut target, format, file, line) in std::mem::take(&mut self.logs) {
            target.format = match format {
                FormatRef::Name(name) => name,
                FormatRef::Nick(nick) => self.nick(&nick, &file, line)?,
            };
            logs.push(target);
        }
        Ok(ServerConfig {
            formats: self.formats,
            logs,
            notes: self.skipped,
        })
    }

    /// The full name of nickname `nick`, adding Debian's definition when none was read.
    fn nick(&mut self, nick: &str, file: &str, line: usize) -> Result<String, ConfigError> {
        let name = format!("apache:{nick}");
        if self.formats.iter().any(|f| f.name == name) {
            return Ok(name);
        }
        let Some((_, text)) = APACHE_FALLBACKS.iter().find(|(n, _)| *n == nick) else {
            return Err(ConfigError::new(
                file,
                line,
                format!("unknown log format nickname \"{nick}\" (no LogFormat defines it)"),
            ));
        };
        self.formats.push(NamedFormat {
            name: name.clone(),
            dialect: Dialect::Apache,
            text: text.to_string(),
            origin: FALLBACK_ORIGIN.into(),
        });
        Ok(name)
    }

    /// Debian's `envvars` beside the main file: its `export NAME=VALUE` lines as defines.
    fn envvars(&mut self) {
        let Ok(text) = std::fs::read_to_string(self.dir.join("envvars")) else {
            return;
        };
        for line in text.lines() {
            let Some(assign) = line.trim().strip_prefix("export ") else {
                continue;
            };
            let Some((name, value)) = assign.trim().split_once('=') else {
                continue;
            };
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(value);
            let value = self.shell_expand(value);
            self.defines.insert(name.trim().to_string(), value);
        }
    }

    /// `$NAME` and `${NAME}` replaced by known values, unknown ones (`$SUFFIX`) by nothing.
    fn shell_expand(&self, value: &str) -> String {
        let mut out = String::with_capacity(value.len());
        let mut rest = value;
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            let (name, next) = if let Some(braced) = after.strip_prefix('{') {
                match braced.find('}') {
                    Some(close) => (&braced[..close], &braced[close + 1..]),
                    None => (braced, ""),
                }
            } else {
                let len = after
                    .bytes()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
                    .count();
                if len == 0 {
                    out.push('$');
                    rest = after;
                    continue;
                }
                (&after[..len], &after[len..])
            };
            if let Some(v) = self.lookup(name) {
                out.push_str(&v);
            }
            rest = next;
        }
        out.push_str(rest);
        out
    }

    /// The file's logical lines (`\` at a line's end continues it) and the line each starts on.
    fn lines(text: &str) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        let mut pending: Option<(usize, String)> = None;
        for (i, line) in text.lines().enumerate() {
            let trimmed = line.trim_end();
            let (start, mut acc) = pending.take().unwrap_or((i + 1, String::new()));
            match trimmed.strip_suffix('\\') {
                Some(head) => {
                    acc.push_str(head);
                    pending = Some((start, acc));
                }
                None => {
                    acc.push_str(trimmed);
                    out.push((start, acc));
                }
            }
        }
        out.extend(pending);
        out
    }

    fn file(&mut self, shown: &str, text: &str) -> Result<(), ConfigError> {
        for (line, content) in Self::lines(text) {
            let content = content.trim();
            if content.is_empty() || content.starts_with('#') || content.starts_with('<') {
                continue;
            }
            let content = substitute(content, &|name| self.lookup(name));
            let args = apache_words(&content).map_err(|m| ConfigError::new(shown, line, m))?;
            self.directive(&args, shown, line)?;
        }
        Ok(())
    }

    fn directive(&mut self, args: &[Arg], file: &str, line: usize) -> Result<(), ConfigError> {
        let err = |m: String| ConfigError::new(file, line, m);
        let name = args[0].value.to_ascii_lowercase();
        let wrong = |n: &str| err(format!("{} takes {n}", args[0].value));
        match name.as_str() {
            "serverroot" => {
                let root = args.get(1).ok_or_else(|| wrong("one argument"))?;
                self.root = normalize(&self.dir.join(&root.value));
            }
            "define" => {
                let key = args.get(1).ok_or_else(|| wrong("one or two arguments"))?;
                if let Some(v) = args.get(2) {
                    self.defines.insert(key.value.clone(), v.value.clone());
                }
            }
            "undefine" => {
                if let Some(key) = args.get(1) {
                    self.defines.remove(&key.value);
                }
            }
            "include" | "includeoptional" => {
                let pattern = args.get(1).ok_or_else(|| wrong("one argument"))?;
                self.include(&pattern.value, name == "includeoptional", file, line)?;
            }
            "logformat" => match args.len() {
                2 => {
                    let text = &args[1];
                    self.default = Some(if text.raw.contains('%') {
                        FormatRef::Name(self.define_inline(&text.raw, file, line))
                    } else {
                        FormatRef::Nick(text.value.clone())
                    });
                }
                3 => {
                    let name = format!("apache:{}", args[2].value);
                    let format = NamedFormat {
                        name: name.clone(),
                        dialect: Dialect::Apache,
                        text: args[1].raw.clone(),
                        origin: format!("{file}:{line}"),
                    };
                    match self.formats.iter_mut().find(|f| f.name == name) {
                        Some(f) => *f = format,
                        None => self.formats.push(format),
                    }
                }
                _ => return Err(wrong("one or two arguments")),
            },
            "customlog" | "globallog" => {
                if !(3..=4).contains(&args.len()) {
                    return Err(wrong("two or three arguments"));
                }
                let format = if args[2].raw.contains('%') {
                    FormatRef::Name(self.define_inline(&args[2].raw, file, line))
                } else {
                    FormatRef::Nick(args[2].value.clone())
                };
                self.log(&args[1].value, format, file, line);
            }
            "transferlog" => {
                let path = args.get(1).ok_or_else(|| wrong("one argument"))?;
                let format = match &self.default {
                    Some(FormatRef::Name(n)) => FormatRef::Name(n.clone()),
                    Some(FormatRef::Nick(n)) => FormatRef::Nick(n.clone()),
                    None => {
                        if !self.formats.iter().any(|f| f.name == APACHE_CLF_NAME) {
                            self.formats.push(NamedFormat {
                                name: APACHE_CLF_NAME.into(),
                                dialect: Dialect::Apache,
                                text: APACHE_CLF.into(),
                                origin: "built in".into(),
                            });
                        }
                        FormatRef::Name(APACHE_CLF_NAME.into())
                    }
                };
                self.log(&path.value, format, file, line);
            }
            _ => {}
        }
        Ok(())
    }

    /// A format written inline: named after where it stands.
    fn define_inline(&mut self, text: &str, file: &str, line: usize) -> String {
        let name = format!("apache:{file}:{line}");
        if !self.formats.iter().any(|f| f.name == name) {
            self.formats.push(NamedFormat {
                name: name.clone(),
                dialect: Dialect::Apache,
                text: text.to_string(),
                origin: format!("{file}:{line}"),
            });
        }
        name
    }

    fn log(&mut self, path: &str, format: FormatRef, file: &str, line: usize) {
        let path = if path.starts_with('|') {
            match piped_log_path(path) {
                Some(p) => p,
                None => return,
            }
        } else if path == "syslog" || path.starts_with("syslog:") {
            return;
        } else {
            path.to_string()
        };
        let path = resolve_log_path(&unknown_vars_to_stars(&path), &self.root);
        let target = LogTarget {
            path,
            format: String::new(),
            origin: format!("{file}:{line}"),
        };
        self.logs.push((target, format, file.to_string(), line));
    }

    fn include(
        &mut self,
        pattern: &str,
        optional: bool,
        file: &str,
        line: usize,
    ) -> Result<(), ConfigError> {
        let err = |m: String| ConfigError::new(file, line, m);
        let moved = locate(&self.root, &self.dir, pattern);
        let pattern = moved.as_deref().map_or(Path::new(pattern), |p| p);
        let full = normalize(&self.root.join(pattern));
        let mut matched = if has_glob(&pattern.to_string_lossy()) {
            let found = expand_glob(&self.root, pattern).map_err(err)?;
            if found.is_empty() && !optional {
                return Err(err(format!(
                    "Include: no file matches \"{}\" (IncludeOptional would allow that)",
                    full.display()
                )));
            }
            found
        } else if full.exists() {
            vec![full]
        } else if optional {
            Vec::new()
        } else {
            // A server's own file left behind with it: as for nginx, what it defines matters
            // here only through a log naming a nickname nothing else defines (an error then).
            self.skipped.push(format!(
                "{file}:{line}: Include {} is not here; left out",
                full.display()
            ));
            Vec::new()
        };
        // A directory stands for every file under it, in sorted order.
        let mut paths = Vec::new();
        for m in matched.drain(..) {
            if m.is_dir() {
                for entry in walkdir::WalkDir::new(&m)
                    .follow_links(true)
                    .sort_by_file_name()
                    .into_iter()
                    .filter_map(Result::ok)
                {
                    if entry.file_type().is_file() {
                        paths.push(entry.into_path());
                    }
                }
            } else {
                paths.push(m);
            }
        }
        for path in paths {
            let shown = path.display().to_string();
            let text =
                std::fs::read(&path).map_err(|e| err(format!("cannot open \"{shown}\": {e}")))?;
            let text = String::from_utf8_lossy(&text);
            self.files.enter(&path, file, line)?;
            self.file(&shown, &text)?;
            self.files.leave();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// Writes `files` (path relative to the tempdir, content) and returns the tempdir.
    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let full = dir.path().join(path);
            fs::create_dir_all(full.parent().unwrap()).unwrap();
            fs::write(full, text).unwrap();
        }
        dir
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn read(path: &Path) -> Result<ServerConfig, ConfigError> {
        ServerConfig::read_with(path, &no_env)
    }

    fn root(dir: &tempfile::TempDir) -> String {
        dir.path().display().to_string()
    }

    fn format<'c>(config: &'c ServerConfig, name: &str) -> &'c NamedFormat {
        config
            .formats
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no format {name} in {:#?}", config.formats))
    }

    fn logs(config: &ServerConfig) -> Vec<(String, String)> {
        config
            .logs
            .iter()
            .map(|l| (l.path.clone(), l.format.clone()))
            .collect()
    }

    fn error(path: &Path) -> ConfigError {
        read(path).expect_err("should fail")
    }

    // --- nginx ---------------------------------------------------------------------------

    const DEBIAN_NGINX: &str = r#"user www-data;
worker_processes auto;
pid /run/nginx.pid;
include @/etc/nginx/modules-enabled/*.conf;

events {
	worker_connections 768;
	# multi_accept on;
}

http {
	sendfile on;
	include @/etc/nginx/mime.types;
	default_type application/octet-stream;

	log_format main '$remote_addr - $remote_user [$time_local] "$request" '
	                '$status $body_bytes_sent "$http_referer" '
	                '"$http_user_agent" "$http_x_forwarded_for"';

	access_log /var/log/nginx/access.log;
	error_log /var/log/nginx/error.log;

	gzip on;

	include @/etc/nginx/conf.d/*.conf;
	include @/etc/nginx/sites-enabled/*;
}
"#;

    fn debian_nginx() -> tempfile::TempDir {
        let dir = tree(&[
            ("etc/nginx/mime.types", "types {\n    text/html html htm shtml;\n    image/gif gif;\n}\n"),
            (
                "etc/nginx/conf.d/json.conf",
                "log_format json_combined escape=json\n  '{'\n    '\"time_local\":\"$time_local\",'\n    '\"remote_addr\":\"$remote_addr\",'\n    '\"request\":\"$request\"'\n  '}';\n",
            ),
            (
                "etc/nginx/sites-enabled/default",
                "server {\n\tlisten 80 default_server;\n\troot /var/www/html;\n\taccess_log /var/log/nginx/default.access.log main;\n\tlocation / {\n\t\ttry_files $uri $uri/ =404;\n\t}\n\tlocation /health {\n\t\taccess_log off;\n\t}\n}\n",
            ),
            (
                "etc/nginx/sites-enabled/example.com",
                "server {\n    server_name example.com;\n    access_log /var/log/nginx/$host.access.log json_combined buffer=32k gzip flush=5m;\n    access_log syslog:server=unix:/dev/log main;\n    access_log logs/relative.log;\n    if ($http_user_agent ~ \"bot\") {\n        return 403;\n    }\n}\n",
            ),
        ]);
        let conf = DEBIAN_NGINX.replace('@', &root(&dir));
        fs::write(dir.path().join("etc/nginx/nginx.conf"), conf).unwrap();
        dir
    }

    #[test]
    fn debian_nginx_configuration() {
        let dir = debian_nginx();
        let r = root(&dir);
        let main = dir.path().join("etc/nginx/nginx.conf");
        let config = read(&main).unwrap();
        let names: Vec<&str> = config.formats.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            ["nginx:combined", "nginx:main", "nginx:json_combined"]
        );
        let main_format = format(&config, "nginx:main");
        assert_eq!(
            main_format.text,
            r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for""#
        );
        assert_eq!(main_format.origin, format!("{}:16", main.display()));
        assert_eq!(main_format.dialect, Dialect::Nginx);
        let json = format(&config, "nginx:json_combined");
        assert_eq!(
            json.text,
            r#"{"time_local":"$time_local","remote_addr":"$remote_addr","request":"$request"}"#
        );
        assert_eq!(json.origin, format!("{r}/etc/nginx/conf.d/json.conf:1"));
        let combined = format(&config, "nginx:combined");
        assert_eq!(combined.text, NGINX_COMBINED);
        assert_eq!(combined.origin, "built in");
        assert_eq!(
            logs(&config),
            [
                ("/var/log/nginx/access.log".into(), "nginx:combined".into()),
                (
                    "/var/log/nginx/default.access.log".into(),
                    "nginx:main".into()
                ),
                (
                    "/var/log/nginx/*.access.log".into(),
                    "nginx:json_combined".into()
                ),
                (
                    format!("{r}/etc/nginx/logs/relative.log"),
                    "nginx:combined".into()
                ),
            ]
        );
        assert_eq!(config.logs[0].origin, format!("{}:20", main.display()));
        assert_eq!(
            config.logs[1].origin,
            format!("{r}/etc/nginx/sites-enabled/default:4")
        );
        // Read from a relative path too: origins keep the path as given.
        let config = ServerConfig::read(&main).unwrap();
        assert_eq!(config.logs.len(), 4);
    }

    #[test]
    fn nginx_relative_includes_resolve_against_the_main_files_directory() {
        let dir = tree(&[
            ("nginx/nginx.conf", "events {}\nhttp {\n  include conf.d/*.conf;\n  include extra/one.conf;\n  include nothing/*.conf;\n}\n"),
            ("nginx/conf.d/b.conf", "access_log /b.log later;\n"),
            ("nginx/conf.d/a.conf", "access_log /a.log;\n"),
            ("nginx/conf.d/.hidden.conf", "access_log /hidden.log;\n"),
            ("nginx/conf.d/skip.txt", "access_log /skip.log;\n"),
            // Defined after its use in file order: fine.
            ("nginx/extra/one.conf", "log_format later '$remote_addr $request';\n"),
        ]);
        let config = read(&dir.path().join("nginx/nginx.conf")).unwrap();
        assert_eq!(
            logs(&config),
            [
                ("/a.log".into(), "nginx:combined".into()),
                ("/b.log".into(), "nginx:later".into()),
            ]
        );
    }

    #[test]
    fn a_configuration_copied_off_its_server_finds_its_includes_beside_it() {
        let dir = tree(&[
            (
                "copy/nginx.conf",
                "http {\n  include /etc/nginx/mime.types;\n  include /etc/nginx/conf.d/*.conf;\n}\n",
            ),
            ("copy/conf.d/site.conf", "access_log /var/log/nginx/site.log;\n"),
        ]);
        let config = read(&dir.path().join("copy/nginx.conf")).unwrap();
        assert_eq!(
            logs(&config),
            [("/var/log/nginx/site.log".into(), "nginx:combined".into())]
        );
        assert_eq!(config.notes.len(), 1, "{config:?}");
        assert!(config.notes[0].contains("/etc/nginx/mime.types is not here"));
        let dir = tree(&[
            (
                "apache2/apache2.conf",
                "ServerRoot \"/etc/apache2\"\nIncludeOptional sites-enabled/*.conf\n",
            ),
            (
                "apache2/sites-enabled/a.conf",
                "CustomLog /var/log/apache2/a.log common\n",
            ),
        ]);
        let config = read(&dir.path().join("apache2/apache2.conf")).unwrap();
        assert_eq!(
            logs(&config),
            [("/var/log/apache2/a.log".into(), "apache:common".into())]
        );
    }

    #[test]
    fn only_the_include_pattern_is_a_glob() {
        // The configuration's own directory may hold glob characters.
        let dir = tree(&[
            (
                "we[ir]d*/nginx.conf",
                "http {\n  include ./conf.d/*.conf;\n}\n",
            ),
            ("we[ir]d*/conf.d/a.conf", "access_log /a.log;\n"),
            ("we[ir]d*/httpd.conf", "Listen 80\nInclude sites/*.conf\n"),
            ("we[ir]d*/sites/b.conf", "CustomLog /b.log common\n"),
        ]);
        let config = read(&dir.path().join("we[ir]d*/nginx.conf")).unwrap();
        assert_eq!(logs(&config), [("/a.log".into(), "nginx:combined".into())]);
        assert_eq!(
            config.logs[0].origin,
            format!("{}/we[ir]d*/conf.d/a.conf:1", root(&dir))
        );
        let config = read(&dir.path().join("we[ir]d*/httpd.conf")).unwrap();
        assert_eq!(logs(&config), [("/b.log".into(), "apache:common".into())]);
    }

    #[test]
    fn nginx_escapes_and_variables() {
        let dir = tree(&[(
            "nginx.conf",
            "http {\n  log_format q \"a\\\"b\\tc\" 'd\\'e' f\\\\g \"h\\x\";\n  access_log /logs/${server_name}_$status.log q;\n  access_log \"/logs/quoted dir/x.log\" q; # a comment; with { braces\n}\n",
        )]);
        let config = read(&dir.path().join("nginx.conf")).unwrap();
        assert_eq!(format(&config, "nginx:q").text, "a\"b\tcd'ef\\gh\\x");
        assert_eq!(
            logs(&config),
            [
                ("/logs/*_*.log".into(), "nginx:q".into()),
                ("/logs/quoted dir/x.log".into(), "nginx:q".into()),
            ]
        );
    }

    #[test]
    fn nginx_stream_formats_are_their_own_namespace() {
        let dir = tree(&[(
            "nginx.conf",
            "http {\n  log_format basic '$remote_addr $request';\n  access_log /http.log basic;\n}\nstream {\n  log_format basic '$remote_addr $protocol';\n  server {\n    access_log /stream.log basic;\n  }\n}\n",
        )]);
        let config = read(&dir.path().join("nginx.conf")).unwrap();
        assert_eq!(
            logs(&config),
            [
                ("/http.log".into(), "nginx:basic".into()),
                ("/stream.log".into(), "nginx:stream:basic".into()),
            ]
        );
        assert_eq!(
            format(&config, "nginx:stream:basic").text,
            "$remote_addr $protocol"
        );
    }

    #[test]
    fn nginx_errors_name_file_and_line() {
        let cases: &[(&str, usize, &str)] = &[
            (
                "http {\n  log_format x 'abc;\n}\n",
                2,
                "unterminated quoted string",
            ),
            (
                "http {\n  access_log /x.log nosuch;\n}\n",
                2,
                "unknown log format \"nosuch\"",
            ),
            ("http {\n  access_log /x.log\n}\n", 3, "unexpected \"}\""),
            (
                "http {\n  access_log /x.log;\n",
                3,
                "unexpected end of file, expecting \"}\"",
            ),
            (
                "events {}\nworker_processes 1",
                2,
                "unexpected end of file, expecting \";\" or \"}\"",
            ),
            ("http {}\n}\n", 2, "unexpected \"}\""),
            (
                "http {\n  log_format combined '$a';\n}\n",
                2,
                "duplicate \"log_format\" name \"combined\"",
            ),
            (
                "http {\n log_format a '$a';\n log_format a '$b';\n}\n",
                3,
                "duplicate \"log_format\" name \"a\"",
            ),
            (
                "http {\n  log_format a escape=xml '$a';\n}\n",
                2,
                "unknown log format escaping \"xml\"",
            ),
            ("http {\n  log_format a \"x\"y;\n}\n", 2, "unexpected \"y\""),
            ("http {\n  include missing.conf;\n}\n", 2, "cannot open"),
        ];
        for (text, line, message) in cases {
            let dir = tree(&[("nginx.conf", text)]);
            let path = dir.path().join("nginx.conf");
            let e = error(&path);
            assert_eq!(e.file, path.display().to_string(), "{text}");
            assert_eq!(e.line, *line, "{text}: {e}");
            assert!(e.message.starts_with(message), "{text}: {e}");
            assert_eq!(
                e.to_string(),
                format!("{}:{line}: {}", path.display(), e.message)
            );
        }
    }

    #[test]
    fn nginx_include_loop_is_an_error() {
        let dir = tree(&[
            ("nginx.conf", "http {\n  include a.conf;\n}\n"),
            ("a.conf", "access_log /a.log;\ninclude b.conf;\n"),
            ("b.conf", "\n\ninclude a.conf;\n"),
        ]);
        let e = error(&dir.path().join("nginx.conf"));
        assert_eq!(e.file, format!("{}/b.conf", root(&dir)));
        assert_eq!(e.line, 3);
        assert!(e.message.starts_with("include loop"), "{e}");
        // Including the main file itself is a loop too.
        let dir = tree(&[("nginx.conf", "events {}\ninclude *.conf;\n")]);
        let e = error(&dir.path().join("nginx.conf"));
        assert!(e.message.starts_with("include loop"), "{e}");
    }

    // --- Apache --------------------------------------------------------------------------

    const DEBIAN_APACHE: &str = r#"# This is the main Apache server configuration file.
#ServerRoot "/etc/apache2"

DefaultRuntimeDir ${APACHE_RUN_DIR}
PidFile ${APACHE_PID_FILE}
Timeout 300
User ${APACHE_RUN_USER}
Group ${APACHE_RUN_GROUP}

HostnameLookups Off
ErrorLog ${APACHE_LOG_DIR}/error.log
LogLevel warn

IncludeOptional mods-enabled/*.load
IncludeOptional mods-enabled/*.conf

Include ports.conf

<Directory />
	Options FollowSymLinks
	AllowOverride None
	Require all denied
</Directory>

AccessFileName .htaccess

LogFormat "%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"" vhost_combined
LogFormat "%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"" combined
LogFormat "%h %l %u %t \"%r\" %>s %O" common
LogFormat "%{Referer}i -> %U" referer
LogFormat "%{User-agent}i" agent

IncludeOptional conf-enabled/*.conf
IncludeOptional sites-enabled/*.conf
"#;

    const DEBIAN_ENVVARS: &str = r#"# envvars - default environment variables for apache2ctl

# this won't be correct after changing uid
unset HOME

# for supporting multiple apache2 instances
if [ "${APACHE_CONFDIR##/etc/apache2-}" != "${APACHE_CONFDIR}" ] ; then
	SUFFIX="-${APACHE_CONFDIR##/etc/apache2-}"
else
	SUFFIX=
fi

export APACHE_RUN_USER=www-data
export APACHE_RUN_GROUP=www-data
export APACHE_PID_FILE=/var/run/apache2$SUFFIX/apache2.pid
export APACHE_RUN_DIR=/var/run/apache2$SUFFIX
export APACHE_LOCK_DIR=/var/lock/apache2$SUFFIX
# Only /var/log/apache2 is handled by /etc/logrotate.d/apache2.
export APACHE_LOG_DIR=/var/log/apache2$SUFFIX
export LANG=C
export LANG
"#;

    const DEBIAN_VHOST: &str = r#"<VirtualHost *:80>
	ServerAdmin webmaster@localhost
	DocumentRoot /var/www/html

	ErrorLog ${APACHE_LOG_DIR}/error.log
	CustomLog ${APACHE_LOG_DIR}/access.log combined
</VirtualHost>
"#;

    fn debian_apache(envvars: bool) -> tempfile::TempDir {
        let mut files = vec![
            ("apache2/apache2.conf", DEBIAN_APACHE),
            ("apache2/ports.conf", "Listen 80\n\n<IfModule ssl_module>\n\tListen 443\n</IfModule>\n"),
            ("apache2/mods-enabled/mime.load", "LoadModule mime_module /usr/lib/apache2/modules/mod_mime.so\n"),
            ("apache2/conf-enabled/other-vhosts-access-log.conf", "# Define an access log for VirtualHosts that don't define their own logfile\nCustomLog ${APACHE_LOG_DIR}/other_vhosts_access.log vhost_combined\n"),
            ("apache2/sites-enabled/000-default.conf", DEBIAN_VHOST),
        ];
        if envvars {
            files.push(("apache2/envvars", DEBIAN_ENVVARS));
        }
        tree(&files)
    }

    #[test]
    fn debian_apache_configuration() {
        let dir = debian_apache(true);
        let r = root(&dir);
        let main = dir.path().join("apache2/apache2.conf");
        let config = read(&main).unwrap();
        let names: Vec<&str> = config.formats.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "apache:vhost_combined",
                "apache:combined",
                "apache:common",
                "apache:referer",
                "apache:agent"
            ]
        );
        let combined = format(&config, "apache:combined");
        assert_eq!(
            combined.text,
            r#"%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\""#
        );
        assert_eq!(combined.origin, format!("{}:28", main.display()));
        assert_eq!(combined.dialect, Dialect::Apache);
        assert_eq!(
            logs(&config),
            [
                (
                    "/var/log/apache2/other_vhosts_access.log".into(),
                    "apache:vhost_combined".into()
                ),
                (
                    "/var/log/apache2/access.log".into(),
                    "apache:combined".into()
                ),
            ]
        );
        assert_eq!(
            config.logs[1].origin,
            format!("{r}/apache2/sites-enabled/000-default.conf:6")
        );
    }

    #[test]
    fn apache_variables_from_the_environment_else_stars() {
        let dir = debian_apache(false);
        let main = dir.path().join("apache2/apache2.conf");
        let config = read(&main).unwrap();
        assert_eq!(config.logs[1].path, "*/access.log");
        let env = |name: &str| (name == "APACHE_LOG_DIR").then(|| "/srv/logs".to_string());
        let config = ServerConfig::read_with(&main, &env).unwrap();
        assert_eq!(config.logs[1].path, "/srv/logs/access.log");
    }

    #[test]
    fn a_vhost_file_alone_uses_debians_nicknames() {
        let dir = tree(&[("site.conf", DEBIAN_VHOST)]);
        let config = read(&dir.path().join("site.conf")).unwrap();
        assert_eq!(
            config.formats,
            [NamedFormat {
                name: "apache:combined".into(),
                dialect: Dialect::Apache,
                text: APACHE_FALLBACKS[0].1.into(),
                origin: "built in (Debian apache2.conf)".into(),
            }]
        );
        assert_eq!(
            logs(&config),
            [("*/access.log".into(), "apache:combined".into())]
        );
    }

    const RHEL_HTTPD: &str = r#"ServerRoot "@/etc/httpd"
Listen 80
Include conf.modules.d/*.conf
User apache
Group apache
<Directory />
    AllowOverride none
    Require all denied
</Directory>
ErrorLog "logs/error_log"
LogLevel warn

<IfModule log_config_module>
    LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"" combined
    LogFormat "%h %l %u %t \"%r\" %>s %b" common

    <IfModule logio_module>
      # You need to enable mod_logio.c to use %I and %O
      LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\" %I %O" combinedio
    </IfModule>

    #CustomLog "logs/access_log" common
    CustomLog "logs/access_log" combined
</IfModule>

IncludeOptional conf.d/*.conf
"#;

    #[test]
    fn rhel_httpd_configuration() {
        let dir = tree(&[
            ("etc/httpd/conf.modules.d/00-base.conf", "LoadModule log_config_module modules/mod_log_config.so\nLoadModule logio_module modules/mod_logio.so\n"),
            ("etc/httpd/conf.d/ssl.conf", "Listen 443 https\n<VirtualHost _default_:443>\nTransferLog logs/ssl_access_log\nCustomLog logs/ssl_request_log \\\n          \"%t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x \\\"%r\\\" %b\"\n</VirtualHost>\n"),
        ]);
        let r = root(&dir);
        let conf = RHEL_HTTPD.replace('@', &r);
        let main = dir.path().join("etc/httpd/conf/httpd.conf");
        fs::create_dir_all(main.parent().unwrap()).unwrap();
        fs::write(&main, conf).unwrap();
        let config = read(&main).unwrap();
        let ssl = format!("{r}/etc/httpd/conf.d/ssl.conf");
        assert_eq!(
            logs(&config),
            [
                (
                    format!("{r}/etc/httpd/logs/access_log"),
                    "apache:combined".into()
                ),
                (
                    format!("{r}/etc/httpd/logs/ssl_access_log"),
                    APACHE_CLF_NAME.into()
                ),
                (
                    format!("{r}/etc/httpd/logs/ssl_request_log"),
                    format!("apache:{ssl}:4")
                ),
            ]
        );
        assert_eq!(
            format(&config, &format!("apache:{ssl}:4")).text,
            r#"%t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x \"%r\" %b"#
        );
        assert_eq!(format(&config, APACHE_CLF_NAME).text, APACHE_CLF);
        assert_eq!(
            format(&config, "apache:combinedio").origin,
            format!("{}:19", main.display())
        );
    }

    #[test]
    fn apache_piped_and_special_logs() {
        let dir = tree(&[(
            "httpd.conf",
            "ServerRoot /srv/httpd\n\
             Define LOGS /var/log/httpd\n\
             LogFormat \"%h %l %u %t \\\"%r\\\" %>s %b\"\n\
             TransferLog ${LOGS}/transfer.log\n\
             customlog \"|/usr/bin/rotatelogs -l ${LOGS}/access.%Y%m%d.log 86400\" common\n\
             CustomLog \"|$/usr/sbin/rotatelogs /var/log/httpd/plain 5M\" common\n\
             CustomLog \"|| /usr/sbin/rotatelogs -n 5 /var/log/httpd/numbered 1M\" common\n\
             CustomLog \"|/usr/sbin/cronolog -S /var/log/httpd/current /var/log/httpd/%Y/%m/access-%d.log\" common env=!dontlog\n\
             CustomLog \"|/usr/bin/logger -t httpd\" common\n\
             CustomLog syslog:local1 common\n\
             GlobalLog logs/global.log common\n",
        )]);
        let main = dir.path().join("httpd.conf");
        let config = read(&main).unwrap();
        let inline = format!("apache:{}:3", main.display());
        assert_eq!(
            format(&config, &inline).text,
            r#"%h %l %u %t \"%r\" %>s %b"#
        );
        assert_eq!(
            logs(&config),
            [
                ("/var/log/httpd/transfer.log".into(), inline.clone()),
                ("/var/log/httpd/access.*.log".into(), "apache:common".into()),
                ("/var/log/httpd/plain.*".into(), "apache:common".into()),
                ("/var/log/httpd/numbered".into(), "apache:common".into()),
                (
                    "/var/log/httpd/*/*/access-*.log".into(),
                    "apache:common".into()
                ),
                ("/srv/httpd/logs/global.log".into(), "apache:common".into()),
            ]
        );
        assert_eq!(config.logs[1].origin, format!("{}:5", main.display()));
    }

    #[test]
    fn apache_errors() {
        let cases: &[(&str, usize, &str)] = &[
            (
                "Listen 80\nLogFormat \"%h %l common\n",
                2,
                "unterminated quoted string",
            ),
            (
                "Listen 80\n\nCustomLog /x.log mine\n",
                3,
                "unknown log format nickname \"mine\"",
            ),
            (
                "Listen 80\nCustomLog /x.log\n",
                2,
                "CustomLog takes two or three arguments",
            ),
            (
                "Listen 80\nInclude /nonexistent/*.conf\n",
                2,
                "Include: no file matches",
            ),
        ];
        for (text, line, message) in cases {
            let dir = tree(&[("httpd.conf", text)]);
            let path = dir.path().join("httpd.conf");
            let e = error(&path);
            assert_eq!(
                (e.file.as_str(), e.line),
                (path.to_str().unwrap(), *line),
                "{text}: {e}"
            );
            assert!(e.message.starts_with(message), "{text}: {e}");
        }
        // A server's own file that did not come with its configuration is left out, noted.
        let dir = tree(&[(
            "httpd.conf",
            "Listen 80\nInclude /nonexistent/httpd-test.conf\n",
        )]);
        let config = read(&dir.path().join("httpd.conf")).unwrap();
        assert_eq!(config.notes.len(), 1, "{config:?}");
        assert!(config.notes[0].contains("/nonexistent/httpd-test.conf is not here"));
        // IncludeOptional never fails for a missing path.
        let dir = tree(&[(
            "httpd.conf",
            "Listen 80\nIncludeOptional /nonexistent/httpd-test.conf\nIncludeOptional /nonexistent/*.conf\n",
        )]);
        assert_eq!(
            read(&dir.path().join("httpd.conf")).unwrap(),
            ServerConfig::default()
        );
    }

    #[test]
    fn apache_include_loop_and_directories() {
        let dir = tree(&[
            ("httpd.conf", "Listen 80\nInclude sub\n"),
            ("sub/a.conf", "CustomLog /a.log common\n"),
            ("sub/deeper/b.conf", "CustomLog /b.log common\n"),
        ]);
        let config = read(&dir.path().join("httpd.conf")).unwrap();
        assert_eq!(
            logs(&config),
            [
                ("/a.log".into(), "apache:common".into()),
                ("/b.log".into(), "apache:common".into()),
            ]
        );
        let dir = tree(&[
            ("httpd.conf", "Listen 80\nInclude a.conf\n"),
            ("a.conf", "# comment\nInclude httpd.conf\n"),
        ]);
        let e = error(&dir.path().join("httpd.conf"));
        assert_eq!(
            (e.file.clone(), e.line),
            (format!("{}/a.conf", root(&dir)), 2)
        );
        assert!(e.message.starts_with("include loop"), "{e}");
    }

    // --- Both ----------------------------------------------------------------------------

    #[test]
    fn files_that_are_not_configurations() {
        let missing = Path::new("/nonexistent/logcount/nginx.conf");
        let e = error(missing);
        assert_eq!(e.line, 0);
        assert!(
            e.to_string()
                .starts_with("/nonexistent/logcount/nginx.conf: cannot read: "),
            "{e}"
        );
        let dir = tree(&[("notes.txt", "just some text\nnothing to see here\n")]);
        let path = dir.path().join("notes.txt");
        assert_eq!(
            error(&path).to_string(),
            format!(
                "{}: neither an nginx nor an Apache configuration",
                path.display()
            )
        );
    }

    #[test]
    fn dialects_told_apart() {
        assert_eq!(detect(DEBIAN_NGINX), Some(Dialect::Nginx));
        assert_eq!(
            detect("include /etc/nginx/conf.d/*.conf;\n"),
            Some(Dialect::Nginx)
        );
        assert_eq!(detect("server {\n listen 80;\n}\n"), Some(Dialect::Nginx));
        assert_eq!(detect(DEBIAN_APACHE), Some(Dialect::Apache));
        assert_eq!(detect(RHEL_HTTPD), Some(Dialect::Apache));
        assert_eq!(detect(DEBIAN_VHOST), Some(Dialect::Apache));
        assert_eq!(detect("Include other.conf\n"), Some(Dialect::Apache));
        assert_eq!(detect("# only a comment\n"), None);
    }

    // --- rank ----------------------------------------------------------------------------

    fn target(path: &str) -> LogTarget {
        LogTarget {
            path: path.into(),
            format: "nginx:combined".into(),
            origin: "x:1".into(),
        }
    }

    #[test]
    fn rank_counts_agreeing_components() {
        let t = target("/var/log/nginx/access.log");
        let rank = |f: &str| t.rank(Path::new(f));
        assert_eq!(rank("logs/access.log.1"), Some(1));
        assert_eq!(rank("srv/nginx/access.log"), Some(2));
        assert_eq!(rank("/var/log/nginx/access.log"), Some(4));
        assert_eq!(rank("access.log"), Some(1));
        assert_eq!(rank("./access.log"), Some(1));
        assert_eq!(rank("/other/log/nginx/access.log"), Some(3));
        assert_eq!(rank("/var/log/nginx/error.log"), None);
        assert_eq!(rank("/var/log/nginx/access.log.bak"), None);
        assert_eq!(rank("/var/log/nginx/access.logx"), None);
        assert_eq!(rank("/var/log/nginx/access.log.tar"), None);
        assert_eq!(rank("/var/log/nginx/xaccess.log"), None);
        assert_eq!(rank("/var/log/nginx/access.log-2026"), None);
        assert_eq!(rank("/var/log/nginx/access.log.1.2"), None);
        assert_eq!(rank("/var/log/nginx/access"), None);
    }

    #[test]
    fn rank_accepts_rotated_siblings() {
        let t = target("/var/log/nginx/access.log");
        for name in [
            "access.log",
            "access.log.1",
            "access.log.12",
            "access.log.2.gz",
            "access.log-20261207",
            "access.log-2026120712",
            "access.log-20261207.gz",
            "access.log-20261207-1733529600",
            "access.log.1.bz2",
            "access.log.1.xz",
            "access.log.1.zst",
            "access.log.gz",
            "access.log.zst",
        ] {
            assert_eq!(
                t.rank(&Path::new("/var/log/nginx").join(name)),
                Some(4),
                "{name}"
            );
        }
    }

    #[test]
    fn rank_with_stars() {
        let t = target("/var/log/nginx/*.access.log");
        assert_eq!(
            t.rank(Path::new("/var/log/nginx/example.com.access.log")),
            Some(4)
        );
        assert_eq!(t.rank(Path::new("x/example.com.access.log.3.gz")), Some(1));
        assert_eq!(t.rank(Path::new("/var/log/nginx/access.log")), None);
        let t = target("*/access.log");
        assert_eq!(t.rank(Path::new("/var/log/apache2/access.log")), Some(2));
        assert_eq!(t.rank(Path::new("access.log.1")), Some(1));
        let t = target("/var/log/httpd/*/*/access-*.log");
        assert_eq!(
            t.rank(Path::new("/var/log/httpd/2026/12/access-07.log")),
            Some(6)
        );
        let t = target("/var/log/httpd/access.*.log");
        assert_eq!(t.rank(Path::new("/x/access.20261207.log")), Some(1));
        assert_eq!(t.rank(Path::new("/x/access.log")), None);
    }

    #[test]
    fn wildcards_and_rewrites() {
        assert!(wild_match("a*b*c", "axxbyyc"));
        assert!(wild_match("*", ""));
        assert!(!wild_match("a*b", "axxbc"));
        assert!(wild_match("a*b", "abab"));
        assert_eq!(
            strftime_to_stars("/l/%Y-%m-%d_%-H%%.log"),
            "/l/*-*-*_*%.log"
        );
        assert_eq!(nginx_vars_to_stars("/l/$host$1.${x}y$"), "/l/*.*y$");
        assert_eq!(unknown_vars_to_stars("${A}${B}/x/${C}"), "*/x/*");
    }
}
