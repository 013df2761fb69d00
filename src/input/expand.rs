//! Expanding the arguments into inputs: files, directories walked in sorted order, `-`.
//!
//! Hidden entries are skipped in walks, and so are files `--glob`/`--exclude` leave out; the
//! same file reached twice (by two arguments, a symlink, a hard link) is kept once; FIFOs,
//! sockets and devices met in a walk are skipped, never read (docs/contract.md §2).

use std::collections::HashSet;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use globset::{GlobSet, GlobSetBuilder};

use super::{display, Codec, Compression, Input, InputError, Skipped, Source};
use crate::format::Choice;

/// The result of expanding the arguments.
#[derive(Debug, Default)]
pub struct Expanded {
    pub(crate) inputs: Vec<Input>,
    pub(crate) errors: Vec<InputError>,
    pub(crate) skipped: Vec<Skipped>,
}

/// Which files a walk keeps (`--glob`, `--exclude`): gitignore-style globs, as ripgrep's and
/// fd's. A glob without `/` matches a name at any depth; one with a `/` (a leading `/` anchors
/// it) matches a path below the directory walked; one ending in `/` matches directories only.
/// A glob that matches a directory matches everything below it (`--exclude old` leaves out
/// `old/` whole). As in ripgrep, a `--glob` that starts with `!` leaves out what it matches
/// (`-g '!*.gz'` is `--exclude '*.gz'`). An empty glob, or a bare `!`, is a usage error (it would
/// match nothing, silently). Files named on the command line are always kept.
#[derive(Clone, Debug, Default)]
pub struct Filters {
    keep: Option<Globs>,
    drop: Option<Globs>,
}

/// Globs against names and paths, for any entry and for directories only.
#[derive(Clone, Debug)]
struct Globs {
    names: GlobSet,
    paths: GlobSet,
    dir_names: GlobSet,
    dir_paths: GlobSet,
}

impl Globs {
    fn new(globs: &[String]) -> Result<Option<Globs>, String> {
        if globs.is_empty() {
            return Ok(None);
        }
        let mut sets: [GlobSetBuilder; 4] = std::array::from_fn(|_| GlobSetBuilder::new());
        for g in globs {
            let dir_only = g.len() > 1 && g.ends_with('/');
            let anchored = g.starts_with('/');
            let core = g.trim_end_matches('/').trim_start_matches('/');
            let glob = globset::GlobBuilder::new(core)
                .literal_separator(true)
                .build()
                .map_err(|e| format!("bad glob `{g}`: {}", e.kind()))?;
            let by_path = anchored || core.contains('/');
            sets[usize::from(by_path) + 2 * usize::from(dir_only)].add(glob);
        }
        let [names, paths, dir_names, dir_paths] =
            sets.map(|b| b.build().map_err(|e| e.to_string()));
        Ok(Some(Globs {
            names: names?,
            paths: paths?,
            dir_names: dir_names?,
            dir_paths: dir_paths?,
        }))
    }

    /// Whether the entry at `below` (its path below the walked directory) matches.
    fn matches(&self, below: &Path, dir: bool) -> bool {
        let name = below.file_name().unwrap_or(below.as_os_str());
        self.names.is_match(name)
            || self.paths.is_match(below)
            || dir && (self.dir_names.is_match(name) || self.dir_paths.is_match(below))
    }

    /// Whether the file at `below`, or a directory it is in, matches.
    fn matches_file(&self, below: &Path) -> bool {
        self.matches(below, false)
            || below
                .ancestors()
                .skip(1)
                .filter(|a| !a.as_os_str().is_empty())
                .any(|a| self.matches(a, true))
    }
}

impl Filters {
    /// Filters keeping files that match one of `keep` (all when none is positive) and none of
    /// `drop`; a `keep` glob starting with `!` drops what it matches.
    pub fn new(keep: &[String], drop: &[String]) -> Result<Filters, String> {
        let mut kept = Vec::new();
        let mut dropped = Vec::new();
        for g in keep {
            match g.strip_prefix('!') {
                Some("") => {
                    return Err("--glob `!` leaves out nothing: give a glob after it".into())
                }
                Some(negated) => dropped.push(negated.to_string()),
                None if g.is_empty() => {
                    return Err("--glob needs a glob: an empty one matches no file".into())
                }
                None => kept.push(g.clone()),
            }
        }
        for g in drop {
            if g.is_empty() {
                return Err("--exclude needs a glob: an empty one matches no file".into());
            }
            dropped.push(g.clone());
        }
        Ok(Filters {
            keep: Globs::new(&kept)?,
            drop: Globs::new(&dropped)?,
        })
    }

    /// Whether a walk keeps the file at `below` (its path below the walked directory).
    fn keeps(&self, below: &Path) -> bool {
        self.keep.as_ref().is_none_or(|k| k.matches_file(below))
            && !self.drop.as_ref().is_some_and(|d| d.matches_file(below))
    }

    /// Whether a walk leaves out the directory at `below` and all it holds.
    fn prunes(&self, below: &Path) -> bool {
        self.drop.as_ref().is_some_and(|d| d.matches(below, true))
    }
}

/// Expands files, directories and `-` into inputs, in argument order (walks sorted), each
/// file once, each to be read in `format`.
pub fn expand(args: &[PathBuf], filters: &Filters, format: Choice) -> Expanded {
    let mut out = Expanded::default();
    let mut seen: HashSet<(u64, u64)> = HashSet::new();
    let mut stdin_seen = false;
    for arg in args {
        if arg.as_os_str() == "-" {
            if !std::mem::replace(&mut stdin_seen, true) {
                out.inputs.push(Input {
                    name: "-".into(),
                    source: Source::Stdin,
                    size: None,
                    id: None,
                    regular: false,
                    named: true,
                    compression: Compression::Sniff,
                    claimed: None,
                    format,
                    witness: None,
                });
            }
            continue;
        }
        match std::fs::metadata(arg) {
            Err(e) => out.errors.push(InputError::new(display(arg), e)),
            Ok(meta) if meta.is_dir() => walk(arg, filters, format, &mut seen, &mut out),
            // A FIFO named on the command line is read like standard input: `<(zcat a.gz)` is
            // a legitimate way to feed logcount. A device could never end (`/dev/zero`).
            Ok(meta) if meta.is_file() || meta.file_type().is_fifo() => {
                add_file(arg.clone(), &meta, true, format, &mut seen, &mut out)
            }
            Ok(meta) => out.errors.push(InputError::new(
                display(arg),
                format!("not a regular file, FIFO or directory ({})", kind(&meta)),
            )),
        }
    }
    out
}

fn walk(
    root: &Path,
    filters: &Filters,
    format: Choice,
    seen: &mut HashSet<(u64, u64)>,
    out: &mut Expanded,
) {
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let below = e.path().strip_prefix(root).unwrap_or(e.path());
            let pruned = e.file_type().is_dir() && filters.prunes(below);
            e.depth() == 0 || !(is_hidden(e.file_name()) || pruned)
        });
    for entry in walker {
        match entry {
            Err(e) => {
                let path = e.path().map_or_else(|| display(root), display);
                let reason = match e.io_error() {
                    Some(io) => io.to_string(),
                    None => e.to_string(),
                };
                out.errors.push(InputError::new(path, reason));
            }
            Ok(entry) if entry.file_type().is_dir() => {}
            Ok(entry)
                if !filters.keeps(entry.path().strip_prefix(root).unwrap_or(entry.path())) => {}
            Ok(entry) if entry.file_type().is_file() => match entry.metadata() {
                Ok(meta) => add_file(entry.into_path(), &meta, false, format, seen, out),
                Err(e) => out.errors.push(InputError::new(display(entry.path()), e)),
            },
            // FIFOs, sockets and devices met in a walk are skipped, never read: a FIFO nobody
            // writes to would hang the run, a device might never end.
            Ok(entry) => {
                let what = entry.metadata().map_or("special file", |m| kind(&m));
                out.skipped.push(Skipped::new(
                    display(entry.path()),
                    format!("{what}, not a regular file"),
                ));
            }
        }
    }
}

fn add_file(
    path: PathBuf,
    meta: &std::fs::Metadata,
    named: bool,
    format: Choice,
    seen: &mut HashSet<(u64, u64)>,
    out: &mut Expanded,
) {
    if !seen.insert((meta.dev(), meta.ino())) {
        return;
    }
    out.inputs.push(Input {
        name: display(&path),
        // A regular file whose size reads as 0 may still have content (`/proc`, `/sys`): it
        // is read to its end.
        size: (meta.is_file() && meta.len() > 0).then_some(meta.len()),
        id: Some((meta.dev(), meta.ino())),
        regular: meta.is_file(),
        named,
        compression: Compression::Sniff,
        claimed: path.file_name().and_then(Codec::of_name),
        format,
        source: Source::File(path),
        witness: None,
    });
}

/// What kind of special file `meta` describes, for messages.
fn kind(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_fifo() {
        "FIFO"
    } else if t.is_socket() {
        "socket"
    } else if t.is_char_device() {
        "character device"
    } else if t.is_block_device() {
        "block device"
    } else {
        "special file"
    }
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_is_sorted_skips_hidden_and_dedupes() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("sub")).unwrap();
        std::fs::create_dir(d.join(".hidden_dir")).unwrap();
        for f in [
            "b.log",
            "a.log",
            "sub/c.log",
            ".hidden.log",
            ".hidden_dir/x.log",
        ] {
            std::fs::write(d.join(f), b"1.1.1.1\n").unwrap();
        }
        let args = vec![d.to_path_buf(), d.join("a.log")];
        let got = expand(&args, &Filters::default(), Choice::Auto);
        let names: Vec<String> = got.inputs.iter().map(|i| i.name.clone()).collect();
        let want: Vec<String> = ["a.log", "b.log", "sub/c.log"]
            .iter()
            .map(|f| display(&d.join(f)))
            .collect();
        assert_eq!(names, want);
        assert!(got.errors.is_empty());
    }

    #[test]
    fn missing_path_is_an_error_and_stdin_once() {
        let got = expand(
            &[
                PathBuf::from("/definitely/not/here.log"),
                PathBuf::from("-"),
                PathBuf::from("-"),
            ],
            &Filters::default(),
            Choice::Auto,
        );
        assert_eq!(got.inputs.len(), 1);
        assert_eq!(got.inputs[0].source, Source::Stdin);
        assert_eq!(got.errors.len(), 1);
        assert_eq!(got.errors[0].path, "/definitely/not/here.log");
    }

    #[test]
    fn globs_keep_and_drop_files_in_walks_only() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for f in [
            "a.log",
            "a.log.gz",
            "b.txt",
            "sub/c.log",
            "sub/deep/d.log",
            "old/e.log",
        ] {
            std::fs::create_dir_all(d.join(f).parent().unwrap()).unwrap();
            std::fs::write(d.join(f), b"x\n").unwrap();
        }
        let names = |keep: &[&str], drop: &[&str], args: &[PathBuf]| -> Vec<String> {
            let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
            let filters = Filters::new(&own(keep), &own(drop)).unwrap();
            expand(args, &filters, Choice::Auto)
                .inputs
                .iter()
                .map(|i| i.name[d.to_string_lossy().len() + 1..].to_string())
                .collect()
        };
        let root = [d.to_path_buf()];
        assert_eq!(
            names(&["*.log"], &[], &root),
            ["a.log", "old/e.log", "sub/c.log", "sub/deep/d.log"]
        );
        assert_eq!(
            names(&["*.log*"], &["old/**", "*.gz"], &root),
            ["a.log", "sub/c.log", "sub/deep/d.log"]
        );
        assert_eq!(names(&["sub/*.log"], &[], &root), ["sub/c.log"]);
        // A directory matched is everything below it, as in .gitignore.
        let logs = ["a.log", "sub/c.log", "sub/deep/d.log"];
        assert_eq!(names(&["*.log"], &["old"], &root), logs);
        assert_eq!(names(&["*.log"], &["old/"], &root), logs);
        assert_eq!(names(&["*.log"], &["/old"], &root), logs);
        assert_eq!(
            names(&["*.log"], &["deep/"], &root),
            ["a.log", "old/e.log", "sub/c.log"]
        );
        assert_eq!(names(&["*.log"], &["a.log/"], &root).len(), 4, "dirs only");
        assert_eq!(
            names(&["sub/"], &[], &root),
            ["sub/c.log", "sub/deep/d.log"]
        );
        assert_eq!(names(&["/sub/*.log"], &[], &root), ["sub/c.log"]);
        assert_eq!(
            names(&["/c.log"], &[], &root),
            Vec::<String>::new(),
            "anchored"
        );
        // A file named on the command line is not filtered.
        assert_eq!(names(&["*.log"], &[], &[d.join("b.txt")]), ["b.txt"]);
        assert!(Filters::new(&["a[".into()], &[]).is_err());
        // `!` negates, as in ripgrep; alone, or an empty glob, is an error, never an empty run.
        assert_eq!(names(&["!*.log"], &[], &root), ["a.log.gz", "b.txt"]);
        assert_eq!(
            names(&["*.log*", "!*.gz", "!old/"], &[], &root),
            ["a.log", "sub/c.log", "sub/deep/d.log"]
        );
        for (keep, drop) in [(&[""][..], &[][..]), (&["!"], &[]), (&[], &[""])] {
            let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
            let err = Filters::new(&own(keep), &own(drop)).unwrap_err();
            assert!(err.contains("glob"), "{err}");
        }
    }

    #[test]
    fn zero_size_regular_files_are_read_to_their_end_and_names_claim_codecs() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("empty.log"), b"").unwrap();
        std::fs::write(dir.path().join("x.log.bz2"), b"BZh").unwrap();
        std::fs::write(dir.path().join("y.log.gz"), b"plain").unwrap();
        let got = expand(
            &[dir.path().to_path_buf()],
            &Filters::default(),
            Choice::Auto,
        );
        assert_eq!(got.inputs[0].size, None);
        assert!(got.inputs[0].regular && !got.inputs[0].named);
        assert_eq!(got.inputs[1].claimed, None, "only .gz is a claim");
        assert_eq!(got.inputs[1].size, Some(3));
        assert_eq!(got.inputs[2].claimed, Some(Codec::Gzip));
    }
}
