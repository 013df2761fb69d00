//! The global allocator: the system's, with a reserve of address space given back the first
//! time an allocation fails, so that what follows a lack of memory (the one-line error, the
//! report of every other file) has room to run.
//!
//! Every allocation that grows with the input is fallible (`try_reserve`: a set that cannot
//! grow is its file's error, docs/contract.md §2). But when the sets have taken all there is,
//! the small, fixed allocations after them (a message, a read buffer, a batch of keys) fail
//! too, and Rust aborts on those ("memory allocation of 257 bytes failed", exit 134: issue
//! 27).
//!
//! The reserve is a mapping with no access and no pages: it costs no memory, only address
//! space, which is what such failures run out of (`ulimit -v`; elsewhere the kernel lets an
//! allocation through and its OOM killer decides). So it is held only under a limit on the
//! address space, a [`SHARE`]th of it, at most [`RESERVE`] bytes: more would take from the room
//! of a small limit's main stack. The first failure unmaps it; a small allocation is then tried
//! again, a big one is not (it is a set growing, whose caller copes, and must not take the
//! room meant for the small ones).

use std::alloc::{GlobalAlloc, Layout, System};
use std::ptr::null_mut;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

/// Bytes of address space held back, at most.
pub(crate) const RESERVE: usize = 16 << 20;

/// The part of the address-space limit held back: a 32nd.
pub(crate) const SHARE: u64 = 32;

/// Allocations of at most this size are tried again once the reserve is given back.
const SMALL: usize = 1 << 20;

static HELD: AtomicPtr<nix::libc::c_void> = AtomicPtr::new(null_mut());

/// The length of the mapping [`HELD`] points to.
static HELD_LEN: AtomicUsize = AtomicUsize::new(0);

/// The address space this process may have (`ulimit -v`, in bytes); `None` when unlimited.
pub(crate) fn address_space_limit() -> Option<u64> {
    let mut limit = nix::libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the struct it is given, which lives for the call.
    let known = unsafe { nix::libc::getrlimit(nix::libc::RLIMIT_AS, &mut limit) } == 0;
    (known && limit.rlim_cur != nix::libc::RLIM_INFINITY).then_some(limit.rlim_cur)
}

/// The system allocator with a reserve: see the module's documentation.
pub struct Reserving;

/// Maps the reserve, under a limit on the address space (once; a process that cannot map it
/// runs without one).
pub fn hold() {
    if let Some(limit) = address_space_limit() {
        hold_len((limit / SHARE).min(RESERVE as u64) as usize & !0xfff);
    }
}

fn hold_len(len: usize) {
    if len == 0 || !HELD.load(Ordering::Acquire).is_null() {
        return;
    }
    // SAFETY: a fresh anonymous mapping with no access touches nothing of ours.
    let p = unsafe {
        nix::libc::mmap(
            null_mut(),
            len,
            nix::libc::PROT_NONE,
            nix::libc::MAP_PRIVATE | nix::libc::MAP_ANONYMOUS | nix::libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if p == nix::libc::MAP_FAILED {
        return;
    }
    HELD_LEN.store(len, Ordering::Release);
    if HELD
        .compare_exchange(null_mut(), p, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        // Held already: this one is not needed.
        // SAFETY: `p` is the mapping just made, of that length, used by nothing.
        unsafe { nix::libc::munmap(p, len) };
    }
}

/// Gives the reserve back; whether there was one.
fn release() -> bool {
    let p = HELD.swap(null_mut(), Ordering::AcqRel);
    if p.is_null() {
        return false;
    }
    // SAFETY: `p` is the reserve's mapping, of that length; nothing points into it.
    unsafe { nix::libc::munmap(p, HELD_LEN.load(Ordering::Acquire)) };
    true
}

/// Whether the reserve was held and has been given back: the room it left is for the small
/// allocations that follow a lack of memory, and a table that grows must not take it (see
/// [`crate::keys`]' tables, which then fail to grow, as they would have without it).
pub(crate) fn given_back() -> bool {
    // Not in the unit tests: `the_reserve_is_given_back_once` gives a reserve back in the
    // process the others run in. `tests/limits.rs` checks it on the binary.
    !cfg!(test) && HELD.load(Ordering::Acquire).is_null() && HELD_LEN.load(Ordering::Acquire) != 0
}

/// Whether a failed allocation of `layout` is worth one more try: the reserve was just given
/// back and it is small.
fn retry(layout: Layout) -> bool {
    release() && layout.size() <= SMALL
}

// SAFETY: every call goes to `System` with the caller's arguments; the reserve is a separate
// mapping that no allocation lives in.
unsafe impl GlobalAlloc for Reserving {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if p.is_null() && retry(layout) {
            return System.alloc(layout);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if p.is_null() && retry(layout) {
            return System.alloc_zeroed(layout);
        }
        p
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if p.is_null() && retry(Layout::from_size_align_unchecked(new_size, layout.align())) {
            return System.realloc(ptr, layout, new_size);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reserve_is_given_back_once() {
        hold_len(1 << 20);
        hold_len(1 << 20);
        assert!(!HELD.load(Ordering::Acquire).is_null());
        assert!(retry(Layout::new::<u64>()));
        assert!(HELD.load(Ordering::Acquire).is_null());
        // Gone: nothing more to give, so no second try.
        assert!(!retry(Layout::new::<u64>()));
        hold_len(1 << 20);
        // A big allocation gives it back too, but is not tried again.
        assert!(!retry(Layout::from_size_align(SMALL + 1, 8).unwrap()));
        assert!(HELD.load(Ordering::Acquire).is_null());
    }
}
