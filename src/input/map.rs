//! Memory maps that a truncated file cannot kill.
//!
//! Counting straight out of the page cache saves the copy every `read` makes (docs/performance.md),
//! but a mapped file that shrinks under us (logrotate's `copytruncate`) turns every access past
//! its new end into SIGBUS, which kills the process. So every map is registered in a fixed table
//! that a SIGBUS handler can read without locks or allocation: a fault inside a registered map
//! puts zero pages over the rest of it and records where the file was lost, and the access then
//! goes on reading zeros. The job checks [`Mapped::lost`] when it has read the map, and the file
//! is that file's "shrank while being counted" error (docs/contract.md §2), never a count of the
//! zeros. A fault anywhere else is not ours: the handler puts back the action that was there
//! before, and the fault happens again under it.
//!
//! `--no-mmap` ([`ReadMode::Read`]) reads with `pread` instead; so does any file under
//! [`MIN_MAP`] bytes, where setting up and tearing down a map costs more than the copy saves,
//! and any file when every slot of the table is taken (a run with more maps at once than
//! [`SLOTS`] falls back to reading for the rest).

use std::fs::File;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Once;

/// How regular files are read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReadMode {
    /// Mapped, for files of at least [`MIN_MAP`] bytes (the default).
    #[default]
    Map,
    /// Read with `pread` into a buffer (`--no-mmap`).
    Read,
}

/// The smallest job mapped: on files of 50 KB a `pread` into a warm buffer is cheaper than
/// `mmap`, its page faults and `munmap`, on files of 146 MB maps win (docs/performance.md);
/// 1 MiB lies between, a choice rather than a measured line.
pub const MIN_MAP: u64 = 1 << 20;

/// For tests: the smallest job mapped instead of [`MIN_MAP`] (`1` maps every job, so the
/// property tests check the map path against `--no-mmap` on small random inputs).
pub const MIN_MAP_ENV: &str = "LOGCOUNT_MIN_MAP";

/// [`MIN_MAP`], or what [`MIN_MAP_ENV`] says.
fn min_map() -> u64 {
    static MIN: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *MIN.get_or_init(|| {
        std::env::var(MIN_MAP_ENV)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(MIN_MAP)
    })
}

/// The biggest job mapped: an eighth of the address space the process may have (`ulimit -v`),
/// unlimited where that is. A map takes address space as large as the job whatever memory it
/// uses, and under such a limit that was the room the key sets lacked: a plain count of 3.5
/// million clients failed "out of memory" at `ulimit -v 350000` where `--no-mmap` counted it
/// (issue 27). A bigger job is read.
fn max_map() -> u64 {
    static MAX: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *MAX.get_or_init(|| crate::reserve::address_space_limit().map_or(u64::MAX, |limit| limit / 8))
}

/// How many counted bytes of a map are given back at once ([`Mapped::counted`]): a piece, as
/// the callers count them ([`crate::input::MAP_PIECE`]).
const RELEASE_STEP: usize = crate::input::MAP_PIECE;

/// [`RELEASE_STEP`] where threads count side by side: each release of a process with threads
/// running flushes the other CPUs' TLBs (an interrupt to each, costly in a VM). On one file cut
/// into jobs, two threads spent 3.7% of their time there when they released every piece; four
/// pieces cost 3 MiB more mapped at the peak per thread (docs/performance.md). A lone thread's
/// release interrupts no one.
const RELEASE_STEP_AMONG_THREADS: usize = 4 * crate::input::MAP_PIECE;

/// How far before a page fault the pages it maps can reach: Linux maps the fault-around
/// window (`fault_around_bytes`, 64 KiB, aligned) or the whole page-cache folio the fault
/// lands in (at most a PMD: 2 MiB on x86_64).
const FAULT_AROUND: usize = 2 << 20;

/// Maps open at once, at most: each counting thread holds one.
pub(crate) const SLOTS: usize = 1024;

/// One registered map: the address range `[start, end)` it covers (both 0 while free), and the
/// address (plus one) of the first page found lost, 0 while none was.
struct Slot {
    taken: AtomicBool,
    start: AtomicUsize,
    end: AtomicUsize,
    lost: AtomicUsize,
}

#[allow(clippy::declare_interior_mutable_const)]
const FREE: Slot = Slot {
    taken: AtomicBool::new(false),
    start: AtomicUsize::new(0),
    end: AtomicUsize::new(0),
    lost: AtomicUsize::new(0),
};

static TABLE: [Slot; SLOTS] = [FREE; SLOTS];

/// The page size, read once before the handler is installed.
static PAGE: AtomicUsize = AtomicUsize::new(4096);

/// The SIGBUS action that was installed before ours, put back for faults that are not ours.
static mut PREVIOUS: std::mem::MaybeUninit<nix::libc::sigaction> = std::mem::MaybeUninit::uninit();

static INSTALL: Once = Once::new();
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Installs the SIGBUS handler, once per process (a forked child inherits it).
fn install() -> bool {
    INSTALL.call_once(|| {
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { nix::libc::sysconf(nix::libc::_SC_PAGESIZE) };
        if page > 0 {
            PAGE.store(page as usize, Ordering::Relaxed);
        }
        // SAFETY: the action is fully initialised (zeroed, then its fields set); `PREVIOUS` is
        // written here, once, before the handler that reads it can run, and never again.
        unsafe {
            let mut action: nix::libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigbus as *const () as usize;
            action.sa_flags = nix::libc::SA_SIGINFO;
            nix::libc::sigemptyset(&mut action.sa_mask);
            let previous = std::ptr::addr_of_mut!(PREVIOUS).cast::<nix::libc::sigaction>();
            if nix::libc::sigaction(nix::libc::SIGBUS, &action, previous) == 0 {
                INSTALLED.store(true, Ordering::Release);
            }
        }
    });
    INSTALLED.load(Ordering::Acquire)
}

/// The SIGBUS handler. It only reads the table, calls `mmap` and `sigaction` (system calls, safe
/// in a signal handler) and stores an atomic.
extern "C" fn on_sigbus(
    _: nix::libc::c_int,
    info: *mut nix::libc::siginfo_t,
    _: *mut nix::libc::c_void,
) {
    // SAFETY: the kernel passes a valid siginfo for a SA_SIGINFO handler; SIGBUS sets si_addr.
    let addr = unsafe { (*info).si_addr() } as usize;
    let page = PAGE.load(Ordering::Relaxed);
    for slot in &TABLE {
        let (start, end) = (
            slot.start.load(Ordering::Acquire),
            slot.end.load(Ordering::Acquire),
        );
        if start <= addr && addr < end {
            let from = addr & !(page - 1);
            let to = end.div_ceil(page) * page;
            // SAFETY: `[from, to)` lies inside a live map this process made and registered
            // (registered only while mapped, unregistered before it is unmapped), read by the
            // thread that faulted; replacing its pages with zero pages changes what that map
            // reads, which the job then refuses (`lost`), and nothing else.
            let zeros = unsafe {
                nix::libc::mmap(
                    from as *mut nix::libc::c_void,
                    to - from,
                    nix::libc::PROT_READ,
                    nix::libc::MAP_PRIVATE | nix::libc::MAP_ANONYMOUS | nix::libc::MAP_FIXED,
                    -1,
                    0,
                )
            };
            if zeros != nix::libc::MAP_FAILED {
                let _ =
                    slot.lost
                        .compare_exchange(0, from + 1, Ordering::AcqRel, Ordering::Relaxed);
                return;
            }
            break;
        }
    }
    // Not ours (or no zero pages to be had): the fault repeats under the previous action.
    // SAFETY: `PREVIOUS` was written by `install` before this handler was installed.
    unsafe {
        let previous = std::ptr::addr_of!(PREVIOUS).cast::<nix::libc::sigaction>();
        nix::libc::sigaction(nix::libc::SIGBUS, previous, std::ptr::null_mut());
    }
}

/// A read-only map of part of a file, registered with the SIGBUS handler while it lives.
pub struct Mapped {
    map: memmap2::Mmap,
    slot: &'static Slot,
    /// Where the last release ended: the pages before it were given back (see
    /// [`Mapped::counted`]).
    released: AtomicUsize,
}

impl std::fmt::Debug for Mapped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mapped")
            .field("len", &self.map.len())
            .finish()
    }
}

impl Mapped {
    /// Maps `len` bytes of `file` from `offset`; `None` when the file is better read: maps are
    /// off, the handler could not be installed, every slot is taken, or `mmap` failed (a file
    /// system that cannot map: the read path then says what is wrong, if anything).
    pub(crate) fn new(mode: ReadMode, file: &File, offset: u64, len: u64) -> Option<Mapped> {
        if mode == ReadMode::Read || len < min_map().max(1) || len > max_map() || !install() {
            return None;
        }
        let len = usize::try_from(len).ok()?;
        let slot = TABLE.iter().find(|s| {
            s.taken
                .compare_exchange(false, true, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        })?;
        // SAFETY: the map is read-only and private to this value; the file changing under it
        // is what the registration below is for: a page lost to truncation reads as zeros
        // (never SIGBUS) and `lost` says so, so no byte of it is counted as the file's.
        let map = unsafe {
            memmap2::MmapOptions::new()
                .offset(offset)
                .len(len)
                .map(file)
        };
        let Ok(map) = map else {
            slot.taken.store(false, Ordering::Release);
            return None;
        };
        let start = map.as_ptr() as usize;
        slot.lost.store(0, Ordering::Relaxed);
        slot.end.store(start + len, Ordering::Release);
        slot.start.store(start, Ordering::Release);
        Some(Mapped {
            map,
            slot,
            released: AtomicUsize::new(0),
        })
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// Whether every page of `range` (of the map) is in memory, so that reading it cannot wait
    /// for the disk (`mincore`); `false` if that cannot be told.
    pub(crate) fn resident(&self, range: std::ops::Range<usize>) -> bool {
        let page = PAGE.load(Ordering::Relaxed);
        let start = self.map.as_ptr() as usize + range.start;
        let from = start & !(page - 1);
        let len = start + range.len() - from;
        let mut pages = vec![0u8; len.div_ceil(page)];
        // SAFETY: `[from, from + len)` lies within this live map (its first page rounded down
        // to a page boundary, which the map starts on); `pages` has one byte per page.
        let ok =
            unsafe { nix::libc::mincore(from as *mut nix::libc::c_void, len, pages.as_mut_ptr()) };
        ok == 0 && pages.iter().all(|&p| p & 1 == 1)
    }

    /// Says that the map's bytes before `upto` are counted, and drops this process's view of
    /// their pages every [`RELEASE_STEP`] bytes ([`RELEASE_STEP_AMONG_THREADS`] where other
    /// threads count at the same time: `among_threads`), so that a map's resident pages stay a
    /// few MiB whatever the file's size: the pages stay in the page cache (they were never the
    /// process's memory) and would map again if touched.
    ///
    /// A release reaches [`FAULT_AROUND`] back into what the last one gave: a page fault maps
    /// the pages around it that are in the page cache, some before it, so reading on past a
    /// release maps part of what it gave back again. Releasing only what was read since left
    /// those pages mapped for good: 48 KiB of every MiB of a map whose start is not on a
    /// 64 KiB line, as a job's range's start mostly is: a peak of 46.6 MiB under `threads` on
    /// 8 × 147 MB just written, where 26.4 MiB do (docs/performance.md).
    pub(crate) fn counted(&self, upto: usize, among_threads: bool) {
        let page = PAGE.load(Ordering::Relaxed);
        let done = upto.min(self.map.len()) & !(page - 1);
        let last = self.released.load(Ordering::Relaxed);
        let step = match among_threads {
            true => RELEASE_STEP_AMONG_THREADS,
            false => RELEASE_STEP,
        };
        if done < last + step && done < self.map.len() & !(page - 1) {
            return;
        }
        self.released.store(done, Ordering::Relaxed);
        let from = last.saturating_sub(FAULT_AROUND);
        if done <= from {
            return;
        }
        // SAFETY: MADV_DONTNEED on a read-only file map loses nothing: touched again, a page
        // reads the file's bytes again (or the zeros put over a lost part). Nothing borrows
        // the released bytes: the counter has read them and keeps none (what it keeps of a
        // line cut by a piece's end is a copy).
        let advised = unsafe {
            self.map
                .unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, from, done - from)
        };
        // A hint: if it fails, the pages are merely counted in the resident size.
        drop(advised);
    }

    /// Reads one byte of every page of `range`, bringing them into memory (on a thread that may
    /// wait for the disk).
    pub(crate) fn touch(&self, range: std::ops::Range<usize>) {
        let page = PAGE.load(Ordering::Relaxed);
        let bytes = &self.map[range];
        let mut sum = 0u8;
        for at in (0..bytes.len()).step_by(page) {
            sum = sum.wrapping_add(bytes[at]);
        }
        std::hint::black_box(sum);
    }

    /// The offset in the map of the first byte found lost (the file had shrunk when it was
    /// touched), if any: everything from there on read as zeros.
    pub(crate) fn lost(&self) -> Option<u64> {
        let at = self.slot.lost.load(Ordering::Acquire);
        let start = self.map.as_ptr() as usize;
        (at != 0).then(|| (at - 1).saturating_sub(start) as u64)
    }
}

impl Drop for Mapped {
    fn drop(&mut self) {
        // Unregistered before it is unmapped (memmap2 unmaps when `map` drops, after this): a
        // map made meanwhile at the same addresses is never mistaken for this one.
        self.slot.start.store(0, Ordering::Release);
        self.slot.end.store(0, Ordering::Release);
        self.slot.taken.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_map_reads_the_file_and_small_ones_are_read_instead() {
        let mut f = tempfile::tempfile().unwrap();
        let data: Vec<u8> = (0..3 * MIN_MAP as usize).map(|i| (i % 251) as u8).collect();
        f.write_all(&data).unwrap();
        let m = Mapped::new(ReadMode::Map, &f, 12345, 2 * MIN_MAP).unwrap();
        assert_eq!(m.bytes(), &data[12345..12345 + 2 * MIN_MAP as usize]);
        assert_eq!(m.lost(), None);
        assert!(
            m.resident(0..m.bytes().len()),
            "just written: in the page cache"
        );
        m.touch(0..m.bytes().len());
        assert!(Mapped::new(ReadMode::Read, &f, 0, 2 * MIN_MAP).is_none());
        assert!(Mapped::new(ReadMode::Map, &f, 0, MIN_MAP - 1).is_none());
    }

    #[test]
    fn a_file_truncated_under_its_map_reads_zeros_and_says_where_it_was_lost() {
        let mut f = tempfile::tempfile().unwrap();
        let len = 4 * MIN_MAP as usize;
        f.write_all(&vec![b'x'; len]).unwrap();
        let m = Mapped::new(ReadMode::Map, &f, 0, len as u64).unwrap();
        assert_eq!(m.bytes()[len - 1], b'x');
        let keep = len / 2 + 100;
        f.set_len(keep as u64).unwrap();
        // The page holding the new end still reads; past it the file is gone: zeros.
        let bytes = m.bytes();
        assert_eq!(bytes[keep - 1], b'x');
        assert_eq!(bytes[len - 1], 0, "read without SIGBUS");
        let lost = m.lost().expect("the loss is recorded") as usize;
        assert!(lost > keep - 4096 && lost < len, "{lost}");
        assert!(bytes[lost..].iter().all(|&b| b == 0));
        drop(m);
        // The slot is free again, and a new map starts clean.
        let m = Mapped::new(ReadMode::Map, &f, 0, MIN_MAP).unwrap();
        assert_eq!(m.lost(), None);
    }

    /// How many pages of `[addr, addr + len)` this process has mapped, by `/proc/self/pagemap`
    /// (bit 63 of a page's entry: present).
    fn mapped_pages(addr: usize, len: usize) -> usize {
        use std::io::{Read, Seek, SeekFrom};
        let page = PAGE.load(Ordering::Relaxed);
        let first = addr / page;
        let pages = (addr + len).div_ceil(page) - first;
        let mut map = File::open("/proc/self/pagemap").unwrap();
        map.seek(SeekFrom::Start(first as u64 * 8)).unwrap();
        let mut entries = vec![0u8; pages * 8];
        map.read_exact(&mut entries).unwrap();
        entries.chunks_exact(8).filter(|e| e[7] & 0x80 != 0).count()
    }

    #[test]
    fn a_map_counted_on_holds_none_of_what_lies_well_behind() {
        for among_threads in [false, true] {
            a_map_counted_on_holds_none_of_what_lies_well_behind_with(among_threads);
        }
    }

    fn a_map_counted_on_holds_none_of_what_lies_well_behind_with(among_threads: bool) {
        let mut f = tempfile::tempfile().unwrap();
        let len = 24 << 20;
        f.write_all(&vec![b'x'; len + (3 << 20)]).unwrap();
        let m = Mapped::new(ReadMode::Map, &f, 3 << 20, len as u64).unwrap();
        let start = m.bytes().as_ptr() as usize;
        let step = match among_threads {
            true => RELEASE_STEP_AMONG_THREADS,
            false => RELEASE_STEP,
        };
        for from in (0..len).step_by(1 << 20) {
            let to = from + (1 << 20);
            // What a fault at the piece's start may map again behind it (fault-around: how
            // much depends on the page cache's folios, so the test maps it itself).
            m.touch(from.saturating_sub(16 << 10)..from);
            m.touch(from..to);
            m.counted(to, among_threads);
            let behind = to.saturating_sub(step + FAULT_AROUND);
            let held = mapped_pages(start, behind);
            assert_eq!(
                held, 0,
                "{held} pages mapped before {behind} once {to} is counted"
            );
        }
        assert_eq!(
            mapped_pages(start, len),
            0,
            "read to its end: all given back"
        );
    }
}
