//! What the open-addressing tables of keys share ([`super::v4set`], [`super::v4counts`],
//! [`super::wideset`]): their sizes, the multiplicative hash that picks a slot, and the iterator
//! over their keys (0 marks an empty slot; the key 0 is kept apart and comes first).

/// Slots of a table's first allocation.
pub(crate) const MIN_SLOTS: usize = 16;

/// The slots (a power of two, at least [`MIN_SLOTS`]) that hold `keys` at most 3/4 full.
pub(crate) fn slots_for(keys: usize) -> usize {
    (keys.saturating_mul(4) / 3 + 1)
        .next_power_of_two()
        .max(MIN_SLOTS)
}

/// Keys a table of `slots` slots takes before it must grow: 3/4 of them.
pub(crate) fn capacity(slots: usize) -> usize {
    slots / 4 * 3
}

/// How many more keys a table of `slots` slots holding `len` takes before it must grow.
pub(crate) fn spare(slots: usize, len: usize) -> usize {
    // A key kept apart (0) needs no slot; counting it anyway keeps this simple and safe.
    capacity(slots).saturating_sub(len)
}

/// A table of `slots` empty slots, or the allocation's failure (never an abort). Once the
/// allocator's reserve was given back (an allocation failed somewhere), no table gets more:
/// the room it left is for the small allocations that report the failure, and a table that
/// took it (another thread's, growing a 64th at a time) left them to abort.
pub(crate) fn empty<T: Copy + Default>(
    slots: usize,
) -> Result<Box<[T]>, std::collections::TryReserveError> {
    let mut table = Vec::new();
    if crate::reserve::given_back() {
        // The error a request past any size gives: there is no other way to make one.
        table.try_reserve_exact(usize::MAX)?;
    }
    table.try_reserve_exact(slots)?;
    table.resize(slots, T::default());
    Ok(table.into_boxed_slice())
}

/// Where `slots` cannot take `keys` keys, an empty table that can is put in its place and the
/// old one returned, for the caller to put its keys back; `None` where it has room. A failed
/// allocation leaves `slots` as it was.
pub(crate) fn regrow<T: Copy + Default>(
    slots: &mut Box<[T]>,
    keys: usize,
) -> Result<Option<Box<[T]>>, std::collections::TryReserveError> {
    if keys <= capacity(slots.len()) {
        return Ok(None);
    }
    let table = empty(slots_for(keys))?;
    Ok(Some(std::mem::replace(slots, table)))
}

/// Linear probing from slot `at` of `slots` (a power of two long, never full): the slot that
/// holds a key `is_key` accepts (`Ok`), or else the first empty one, where it would go (`Err`).
/// An empty slot is `T::default()` (0).
#[inline]
pub(crate) fn probe<T: Copy + Default + PartialEq>(
    slots: &[T],
    mut at: usize,
    is_key: impl Fn(T) -> bool,
) -> Result<usize, usize> {
    let mask = slots.len() - 1;
    loop {
        let slot = slots[at];
        if slot == T::default() {
            return Err(at);
        }
        if is_key(slot) {
            return Ok(at);
        }
        at = (at + 1) & mask;
    }
}

/// Slots [`probe`] looked at to get from `start` to `end` in a table of `slots` slots.
#[cfg(test)]
pub(crate) fn probed(start: usize, end: usize, slots: usize) -> u64 {
    ((end.wrapping_sub(start) & (slots - 1)) + 1) as u64
}

/// The slot of a table of `slots` slots (a power of two) that `key` starts at: Fibonacci
/// hashing, the top bits of the key times 2^64 / φ.
#[inline]
pub(crate) fn fibonacci_slot(key: u64, slots: usize) -> usize {
    let shift = 64 - slots.trailing_zeros();
    (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> shift) as usize
}

/// The keys of a table: the key 0 first where the table holds it apart, then every slot's key
/// but the empty ones; `left` of them in all.
pub(crate) struct Keys<I> {
    slots: I,
    zero: bool,
    left: usize,
}

impl<I> Keys<I> {
    pub(crate) fn new(slots: I, zero: bool, left: usize) -> Keys<I> {
        Keys { slots, zero, left }
    }
}

impl<T: Copy + Default + PartialEq, I: Iterator<Item = T>> Iterator for Keys<I> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        if std::mem::take(&mut self.zero) {
            self.left -= 1;
            return Some(T::default());
        }
        let key = self.slots.find(|k| *k != T::default())?;
        self.left -= 1;
        Some(key)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<T: Copy + Default + PartialEq, I: Iterator<Item = T>> ExactSizeIterator for Keys<I> {}
