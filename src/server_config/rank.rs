//! Ranking files against configured logs: rotated siblings, agreeing path components.

use super::globs::wild_match;
use super::LogTarget;
use std::path::Path;

impl LogTarget {
    /// How well `file` (a path as the user gave it, canonicalized by the caller where it can be)
    /// matches this configured log: `None` when its name is neither the configured name nor a
    /// rotated sibling of it (`NAME.1`, `NAME.2.gz`, `NAME-20261207`, `NAME-2026120712.bz2`,
    /// `NAME.gz`, with `.gz`, `.bz2`, `.xz`, `.zst`); else `Some(n)`, the number of trailing
    /// path components that agree, the file name included (so `n >= 1`). A `*` in a configured
    /// component matches any run of bytes within it.
    pub(crate) fn rank(&self, file: &Path) -> Option<usize> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
