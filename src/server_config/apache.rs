//! Apache httpd: its directive lines (`ap_getword_conf`), variables, piped loggers, and the
//! directives that name formats, logs and includes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::globs::{collapse_stars, expand_glob, has_glob, locate, resolve_log_path};
use super::{
    normalize, read_included, ConfigError, Dialect, Files, LogTarget, NamedFormat, ServerConfig,
    APACHE_CLF, APACHE_CLF_NAME, APACHE_FALLBACKS, FALLBACK_ORIGIN,
};

/// The environment lookup for Apache's `${VAR}`.
type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

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
pub(super) fn unknown_vars_to_stars(path: &str) -> String {
    collapse_stars(&substitute(path, &|_| Some("*".into())))
}

/// strftime conversions (`%Y`, `%-d`, `%Ey`) as `*`; `%%` as `%`.
pub(super) fn strftime_to_stars(path: &str) -> String {
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

pub(super) struct Apache<'e> {
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
    pub(super) fn new(dir: PathBuf, files: Files, env: Env<'e>) -> Apache<'e> {
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

    pub(super) fn run(mut self, shown: &str, text: &str) -> Result<ServerConfig, ConfigError> {
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
            let (shown, text) = read_included(&path, file, line)?;
            self.files.enter(&path, file, line)?;
            self.file(&shown, &text)?;
            self.files.leave();
        }
        Ok(())
    }
}
