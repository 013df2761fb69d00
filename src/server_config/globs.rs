//! Globs: include patterns expanded (and found beside a configuration copied off its server),
//! configured log paths resolved, their unknown parts matched as `*`.

use std::path::{Component, Path, PathBuf};

use super::normalize;

pub(super) fn has_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Where an include `pattern` is on this machine when it is not where the server would find it
/// (against `base`; `None`: there, or nowhere): for a configuration copied off its server (`/etc/nginx/conf.d/*.conf` read from
/// `./etc/nginx/nginx.conf`), the same trailing components below `home`, the main file's
/// directory (the longest such suffix that is there).
pub(super) fn locate(base: &Path, home: &Path, pattern: &str) -> Option<PathBuf> {
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
pub(super) fn expand_glob(base: &Path, pattern: &Path) -> Result<Vec<PathBuf>, String> {
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
pub(super) fn wild_match(pattern: &str, text: &str) -> bool {
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
pub(super) fn collapse_stars(s: &str) -> String {
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
pub(super) fn resolve_log_path(path: &str, base: &Path) -> String {
    let p = Path::new(path);
    let joined = if p.is_absolute() || path.starts_with('*') {
        p.to_path_buf()
    } else {
        base.join(p)
    };
    normalize(&joined).to_string_lossy().into_owned()
}
