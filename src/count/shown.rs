//! `--show-malformed N` (docs/contract.md §3): the first malformed lines of a job with their
//! line numbers, so that a user sees why lines did not parse.
//!
//! A job knows its lines only from its own first line on, so it numbers them from 1 and also
//! says how many lines it read: the jobs of one file, joined in file order with
//! [`Shown::append`], number them from the file's first line.

/// The longest part of a malformed line that is kept to be shown, in bytes: enough to see
/// why a line did not parse, bounded however long the line.
pub(crate) const SHOWN_BYTES: usize = 512;

/// A job's (or a file's) first malformed lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shown {
    /// The lines read, blank ones too: where the next job's line numbers start.
    pub(crate) lines: u64,
    /// The first malformed lines: each line's number (from 1, at the first line read) and its
    /// first [`SHOWN_BYTES`] bytes (without the `\n`, and the `\r` before it).
    pub(crate) first: Vec<(u64, Vec<u8>)>,
}

impl Shown {
    /// Adds the lines of the job that comes next in the file, keeping at most `keep` lines.
    pub(crate) fn append(&mut self, next: Shown, keep: usize) {
        let room = keep.saturating_sub(self.first.len());
        let offset = self.lines;
        self.first.extend(
            next.first
                .into_iter()
                .take(room)
                .map(|(line, text)| (line + offset, text)),
        );
        self.lines += next.lines;
    }
}

/// What a counter keeps while it looks for malformed lines to show.
#[derive(Debug)]
pub(super) struct Showing {
    /// How many lines to show.
    want: usize,
    /// The start of the line in progress (up to [`SHOWN_BYTES`]).
    line: Vec<u8>,
    pub(super) shown: Shown,
}

impl Showing {
    pub(super) fn new(want: usize) -> Showing {
        Showing {
            want,
            line: Vec::new(),
            shown: Shown::default(),
        }
    }

    /// Whether enough lines are kept: the rest of the job only needs its lines counted.
    pub(super) fn full(&self) -> bool {
        self.shown.first.len() >= self.want
    }

    /// A piece of the line in progress (no `\n` in it).
    pub(super) fn part(&mut self, part: &[u8]) {
        let room = SHOWN_BYTES.saturating_sub(self.line.len());
        self.line.extend_from_slice(&part[..part.len().min(room)]);
    }

    /// The line in progress ended; `malformed` says whether it was.
    pub(super) fn end_line(&mut self, malformed: bool) {
        self.shown.lines += 1;
        if malformed && !self.full() {
            let mut text = std::mem::take(&mut self.line);
            if text.last() == Some(&b'\r') && text.len() < SHOWN_BYTES {
                text.pop();
            }
            self.shown.first.push((self.shown.lines, text));
        } else {
            self.line.clear();
        }
    }

    /// Lines that ended while none was to be kept.
    pub(super) fn skip_lines(&mut self, n: usize) {
        self.shown.lines += n as u64;
        self.line.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_jobs_number_lines_from_the_files_start_and_keep_the_first() {
        let job = |lines, first: &[u64]| Shown {
            lines,
            first: first.iter().map(|&n| (n, n.to_string().into())).collect(),
        };
        let mut file = job(10, &[2, 9]);
        file.append(job(5, &[1, 5]), 3);
        file.append(job(7, &[3]), 3);
        let numbers: Vec<u64> = file.first.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, [2, 9, 11]);
        assert_eq!(file.lines, 22);
        assert_eq!(file.first[2].1, b"1");
    }

    #[test]
    fn a_long_line_is_kept_cut_and_a_crlf_line_without_its_cr() {
        let mut s = Showing::new(2);
        s.part(&[b'x'; SHOWN_BYTES + 100]);
        s.end_line(true);
        s.part(b"bad\r");
        s.end_line(true);
        assert!(s.full());
        assert_eq!(s.shown.first[0].1.len(), SHOWN_BYTES);
        assert_eq!(s.shown.first[1], (2, b"bad".to_vec()));
    }
}
