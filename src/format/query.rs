//! What a run asks of each request besides its client (docs/contract.md §5): its period
//! (`--by day|hour`), whether it falls inside a window (`--since`/`--until`), and whether
//! requests per client are kept (`--top`).

use std::fmt;

use super::time::{civil_from_days, iso_year, Stamp};
use crate::bytes::{ByteReader, ByteWriter};

/// A period requests are grouped by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Period {
    Day,
    Hour,
}

impl Period {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Hour => "hour",
        }
    }

    fn seconds(self) -> i64 {
        match self {
            Period::Day => 86_400,
            Period::Hour => 3_600,
        }
    }

    /// The period (days or hours since 1970-01-01) holding `seconds` since the epoch.
    #[inline]
    pub(crate) fn of(self, seconds: i64) -> i64 {
        seconds.div_euclid(self.seconds())
    }

    /// A period as reported: `2021-03-22` for a day, `2021-03-22T10:00` for an hour.
    pub(crate) fn label(self, period: i64) -> String {
        let (days, hour) = match self {
            Period::Day => (period, None),
            Period::Hour => (period.div_euclid(24), Some(period.rem_euclid(24))),
        };
        let (y, m, d) = civil_from_days(days);
        let y = iso_year(y);
        match hour {
            None => format!("{y}-{m:02}-{d:02}"),
            Some(h) => format!("{y}-{m:02}-{d:02}T{h:02}:00"),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The time and top options of a run; the default asks nothing more than counting does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Query {
    /// `--by`: requests and distinct clients per period.
    pub by: Option<Period>,
    /// `--utc`: periods of the UTC time, not of the time as written.
    pub utc: bool,
    /// `--since`: the first second counted (UTC seconds since the epoch).
    pub since: Option<i64>,
    /// `--until`: the first second no longer counted.
    pub until: Option<i64>,
    /// `--top N`: requests per client are kept, and the N clients with the most reported.
    pub top: Option<usize>,
}

impl Query {
    /// Whether each request's time must be read (under any time option a request whose
    /// time cannot be read is malformed).
    #[inline]
    pub fn timed(&self) -> bool {
        self.by.is_some() || self.since.is_some() || self.until.is_some()
    }

    /// Whether the run asks nothing beyond counting (the plain, fastest path).
    #[inline]
    pub fn is_plain(&self) -> bool {
        !self.timed() && self.top.is_none()
    }

    /// Whether the distinct clients are those of the requests per client: under `--top`
    /// without `--by` each request's client goes to its count and nowhere else, and the file's
    /// and the summary's clients are counted there; no key set is built beside them (building
    /// both made the parent of `procpool --top` insert every file's clients twice, and every
    /// job build a set from its counts: docs/performance.md). A file whose requests per client
    /// lost clients for want of memory is then that file's error, as a file whose keys did.
    #[inline]
    pub(crate) fn clients_in_hits(&self) -> bool {
        self.top.is_some() && self.by.is_none()
    }

    /// Whether a window is set (`filtered` is then reported).
    pub(crate) fn windowed(&self) -> bool {
        self.since.is_some() || self.until.is_some()
    }

    /// Whether a request at `stamp` is inside the window.
    #[inline]
    pub fn admits(&self, stamp: Stamp) -> bool {
        let t = stamp.utc();
        self.since.is_none_or(|s| s <= t) && self.until.is_none_or(|u| t < u)
    }

    /// Bytes that say everything about the query (for the worker protocol, plans and
    /// partials): flags, since, until, top.
    pub(crate) fn to_bytes(self) -> [u8; Query::ENCODED] {
        let mut out = Vec::with_capacity(Query::ENCODED);
        out.put_u8(
            match self.by {
                None => 0,
                Some(Period::Day) => 1,
                Some(Period::Hour) => 2,
            } | u8::from(self.utc) << 2
                | u8::from(self.since.is_some()) << 3
                | u8::from(self.until.is_some()) << 4
                | u8::from(self.top.is_some()) << 5,
        );
        out.put_i64(self.since.unwrap_or(0));
        out.put_i64(self.until.unwrap_or(0));
        out.put_u64(self.top.map_or(0, |n| n as u64));
        out.try_into().expect("a flag byte and three words")
    }

    /// The inverse of [`Query::to_bytes`]; `None` for bytes it never makes.
    pub(crate) fn from_bytes(b: &[u8; Query::ENCODED]) -> Option<Query> {
        let flags = b[0];
        if flags >> 6 != 0 {
            return None;
        }
        let by = match flags & 3 {
            0 => None,
            1 => Some(Period::Day),
            2 => Some(Period::Hour),
            _ => return None,
        };
        let mut words = ByteReader::new(&b[1..], "query");
        let mut word = || words.u64().expect("three words follow the flags");
        let (since, until, top) = (word() as i64, word() as i64, word());
        let on = |bit: u8| flags & (1 << bit) != 0;
        let since = on(3).then_some(since);
        let until = on(4).then_some(until);
        let top = match (on(5), top) {
            (true, n) if n > 0 => Some(usize::try_from(n).ok()?),
            (false, 0) => None,
            _ => return None,
        };
        let query = Query {
            by,
            utc: on(2),
            since,
            until,
            top,
        };
        (query.to_bytes() == *b).then_some(query)
    }

    pub(crate) const ENCODED: usize = 25;

    /// The period of a request at `stamp`, if periods are asked for.
    #[inline]
    pub fn period(&self, stamp: Stamp) -> Option<i64> {
        let by = self.by?;
        Some(by.of(if self.utc { stamp.utc() } else { stamp.local }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_follow_the_time_as_written_unless_utc() {
        // 2021-03-22T23:30:00+08:00 is 15:30 UTC the same day, and 2021-03-23T01:30+08:00 is
        // the 22nd in UTC.
        let late = Stamp {
            local: 1_616_455_800 + 8 * 3600,
            offset: 8 * 3600,
        };
        let q = Query {
            by: Some(Period::Day),
            ..Query::default()
        };
        assert_eq!(Period::Day.label(q.period(late).unwrap()), "2021-03-23");
        let utc = Query { utc: true, ..q };
        assert_eq!(Period::Day.label(utc.period(late).unwrap()), "2021-03-22");
        let hour = Query {
            by: Some(Period::Hour),
            ..q
        };
        assert_eq!(
            Period::Hour.label(hour.period(late).unwrap()),
            "2021-03-23T07:30".replace(":30", ":00")
        );
        assert_eq!(Period::Day.label(-1), "1969-12-31");
        assert_eq!(Period::Hour.label(-1), "1969-12-31T23:00");
        // Outside 0000-9999, ISO 8601's expanded years (`{y:04}` wrote `-001`: issue 27)
        let day = |y, m, d| crate::format::days_from_civil(y, m, d);
        assert_eq!(Period::Day.label(day(0, 1, 1) - 1), "-0001-12-31");
        assert_eq!(Period::Day.label(day(0, 1, 1)), "0000-01-01");
        assert_eq!(Period::Day.label(day(10000, 1, 1)), "+10000-01-01");
        assert_eq!(
            Period::Hour.label((day(0, 1, 1) - 1) * 24 + 23),
            "-0001-12-31T23:00"
        );
    }

    #[test]
    fn queries_round_trip_through_bytes() {
        let queries = [
            Query::default(),
            Query {
                by: Some(Period::Hour),
                utc: true,
                since: Some(-5),
                until: Some(1 << 40),
                top: Some(7),
            },
            Query {
                by: Some(Period::Day),
                top: Some(1),
                ..Query::default()
            },
        ];
        for q in queries {
            assert_eq!(Query::from_bytes(&q.to_bytes()), Some(q));
        }
        let mut bad = Query::default().to_bytes();
        bad[0] = 3;
        assert_eq!(Query::from_bytes(&bad), None);
        bad[0] = 0;
        bad[5] = 1; // a since value without its flag
        assert_eq!(Query::from_bytes(&bad), None);
    }

    #[test]
    fn the_window_includes_since_and_excludes_until() {
        let at = |t| Stamp {
            local: t,
            offset: 0,
        };
        let q = Query {
            since: Some(100),
            until: Some(200),
            ..Query::default()
        };
        assert!(!q.admits(at(99)));
        assert!(q.admits(at(100)));
        assert!(q.admits(at(199)));
        assert!(!q.admits(at(200)));
        assert!(q.timed() && q.windowed() && !q.is_plain());
        assert!(Query::default().is_plain());
    }
}
