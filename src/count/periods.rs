//! Requests and distinct clients per period, for `--by day|hour` (docs/contract.md §5).

use crate::keys::KeySet;

/// One period's counts.
#[derive(Clone, Debug, Default)]
pub(crate) struct PeriodCounts {
    /// Requests in the period.
    pub(crate) total: u64,
    /// Malformed lines whose time could still be read as in the period.
    pub(crate) malformed: u64,
    /// Distinct clients in the period.
    pub(crate) keys: KeySet,
}

impl PeriodCounts {
    pub(crate) fn merge(&mut self, other: PeriodCounts) {
        self.total += other.total;
        self.malformed += other.malformed;
        self.keys.merge(other.keys);
    }
}

/// Counts per period (a period is a day or hour number: [`crate::format::Period::of`]), in
/// period order. Logs are mostly in time order, so the period of the last line is looked at
/// first.
#[derive(Clone, Debug, Default)]
pub(crate) struct Periods {
    list: Vec<(i64, PeriodCounts)>,
    last: usize,
}

impl Periods {
    /// The counts of `period`, added if new: a line's period, as it is counted. A new
    /// period's set is sized like the one counted last (see [`KeySet::presize_like`]).
    #[inline]
    pub(crate) fn at(&mut self, period: i64) -> &mut PeriodCounts {
        if self.list.get(self.last).is_some_and(|e| e.0 == period) {
            return &mut self.list[self.last].1;
        }
        self.find(period, true)
    }

    #[inline(never)]
    fn find(&mut self, period: i64, presize: bool) -> &mut PeriodCounts {
        let at = match self.list.binary_search_by_key(&period, |e| e.0) {
            Ok(at) => at,
            Err(at) => {
                let mut counts = PeriodCounts::default();
                if let Some((_, recent)) = self.list.get(self.last).filter(|_| presize) {
                    counts.keys.presize_like(&recent.keys);
                }
                self.list.insert(at, (period, counts));
                at
            }
        };
        self.last = at;
        &mut self.list[at].1
    }

    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Every period and its counts, in period order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (i64, &PeriodCounts)> {
        self.list.iter().map(|(p, c)| (*p, c))
    }

    /// Adds `other`'s periods (counts summed, clients united per period).
    pub(crate) fn merge(&mut self, other: Periods) {
        if self.list.is_empty() {
            *self = other;
            return;
        }
        for (period, counts) in other.list {
            self.find(period, false).merge(counts);
        }
    }
}

impl IntoIterator for Periods {
    type Item = (i64, PeriodCounts);
    type IntoIter = std::vec::IntoIter<(i64, PeriodCounts)>;

    fn into_iter(self) -> Self::IntoIter {
        self.list.into_iter()
    }
}

impl FromIterator<(i64, PeriodCounts)> for Periods {
    /// Periods from any list (repeated periods merged).
    fn from_iter<I: IntoIterator<Item = (i64, PeriodCounts)>>(list: I) -> Periods {
        let mut periods = Periods::default();
        for (period, counts) in list {
            periods.find(period, false).merge(counts);
        }
        periods
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_stay_in_order_and_merge() {
        let mut a = Periods::default();
        for p in [5, 3, 5, 9, 3] {
            a.at(p).total += 1;
        }
        a.at(3).keys.insert(b"x");
        let mut b = Periods::default();
        b.at(4).total = 10;
        b.at(3).keys.insert(b"y");
        a.merge(b);
        let got: Vec<(i64, u64, usize)> =
            a.iter().map(|(p, c)| (p, c.total, c.keys.len())).collect();
        assert_eq!(got, [(3, 2, 2), (4, 10, 0), (5, 2, 0), (9, 1, 0)]);
    }
}
