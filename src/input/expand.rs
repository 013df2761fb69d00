//! Expanding the arguments into inputs: files, directories walked in sorted order, `-`.
//!
//! Hidden entries are skipped in walks; the same file reached twice (by two arguments, a
//! symlink, a hard link) is kept once; FIFOs, sockets and devices met in a walk are skipped
//! with a note, never read (docs/contract.md §2).

use std::collections::HashSet;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use super::{display, Input, InputError, Note, Source};

/// The result of expanding the arguments.
#[derive(Debug, Default)]
pub struct Expanded {
    pub inputs: Vec<Input>,
    pub errors: Vec<InputError>,
    pub notes: Vec<Note>,
}

/// Expands files, directories and `-` into inputs, in argument order (walks sorted), each
/// file once.
pub fn expand(args: &[PathBuf]) -> Expanded {
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
                    gzip: false,
                });
            }
            continue;
        }
        match std::fs::metadata(arg) {
            Err(e) => out.errors.push(InputError::new(display(arg), e)),
            Ok(meta) if meta.is_dir() => walk(arg, &mut seen, &mut out),
            // A FIFO named on the command line is read like standard input: `<(zcat a.gz)` is
            // a legitimate way to feed logcount. A device could never end (`/dev/zero`).
            Ok(meta) if meta.is_file() || meta.file_type().is_fifo() => {
                add_file(arg.clone(), &meta, &mut seen, &mut out)
            }
            Ok(meta) => out.errors.push(InputError::new(
                display(arg),
                format!("not a regular file, FIFO or directory ({})", kind(&meta)),
            )),
        }
    }
    out
}

fn walk(root: &Path, seen: &mut HashSet<(u64, u64)>, out: &mut Expanded) {
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
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
            Ok(entry) if entry.file_type().is_file() => match entry.metadata() {
                Ok(meta) => add_file(entry.into_path(), &meta, seen, out),
                Err(e) => out.errors.push(InputError::new(display(entry.path()), e)),
            },
            // FIFOs, sockets and devices met in a walk are skipped, never read: a FIFO nobody
            // writes to would hang the run, a device might never end.
            Ok(entry) => {
                let what = entry.metadata().map_or("special file", |m| kind(&m));
                out.notes.push(Note {
                    path: display(entry.path()),
                    message: format!("skipped: {what}, not a regular file"),
                });
            }
        }
    }
}

fn add_file(
    path: PathBuf,
    meta: &std::fs::Metadata,
    seen: &mut HashSet<(u64, u64)>,
    out: &mut Expanded,
) {
    if !seen.insert((meta.dev(), meta.ino())) {
        return;
    }
    let gzip = path.extension().is_some_and(|e| e == "gz");
    out.inputs.push(Input {
        name: display(&path),
        size: meta.is_file().then_some(meta.len()),
        id: Some((meta.dev(), meta.ino())),
        source: Source::File(path),
        gzip,
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
        let got = expand(&args);
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
        let got = expand(&[
            PathBuf::from("/definitely/not/here.log"),
            PathBuf::from("-"),
            PathBuf::from("-"),
        ]);
        assert_eq!(got.inputs.len(), 1);
        assert_eq!(got.inputs[0].source, Source::Stdin);
        assert_eq!(got.errors.len(), 1);
        assert_eq!(got.errors[0].path, "/definitely/not/here.log");
    }
}
