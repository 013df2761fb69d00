//! nginx: its tokenizer (`ngx_conf_read_token`) and the directives that name formats, logs
//! and includes.

use std::path::{Path, PathBuf};

use super::globs::{collapse_stars, expand_glob, has_glob, locate, resolve_log_path};
use super::{
    normalize, read_included, ConfigError, Dialect, Files, LogTarget, NamedFormat, ServerConfig,
    NGINX_COMBINED,
};

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
pub(super) fn nginx_vars_to_stars(path: &str) -> String {
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

pub(super) struct Nginx {
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
    pub(super) fn new(dir: PathBuf, files: Files) -> Nginx {
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

    pub(super) fn run(mut self, shown: &str, text: &str) -> Result<ServerConfig, ConfigError> {
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
            let (shown, text) = read_included(&path, file, line)?;
            self.files.enter(&path, file, line)?;
            self.file(&shown, &text)?;
            self.files.leave();
        }
        Ok(())
    }
}
