//! When a request happened: the time a line carries, as written (its wall-clock time and the UTC
//! offset it was written with), read strictly.
//!
//! Two text shapes cover the formats: NCSA's `10/Oct/2000:13:55:36 -0700` (`combined`, `vhost`,
//! HAProxy's `06/Feb/2009:12:14:14.655`, nginx's `time_local`) and ISO 8601's
//! `2018-07-02T22:23:00.186641Z` (ALB, ELB, CRI, most JSON logs). W3C and CloudFront write a
//! UTC date and time in two columns, and some JSON logs Unix seconds.
//!
//! Every reader checks every part: month names exactly `Jan`..`Dec`, a day that exists in its
//! month and year (proleptic Gregorian leap years), hours 0–23, minutes 0–59, seconds 0–60 (60 is
//! a leap second, kept as 60 seconds past the minute), offsets ±HHMM (ISO also ±HH:MM) with HH ≤ 23
//! and MM ≤ 59, years 0000–9999, and digits exactly where the shape has them. Anything else is
//! `None`. Fractions of a second are checked (one or more digits) and dropped.

/// A request's time as written: the wall-clock time and the UTC offset it was written with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp {
    /// Seconds from 1970-01-01T00:00:00 to the wall-clock time as written (fractions of a second
    /// dropped).
    pub(crate) local: i64,
    /// The offset it was written with, in seconds east of UTC (0 where the format writes UTC or
    /// no offset).
    pub(crate) offset: i32,
}

impl Stamp {
    /// Seconds from 1970-01-01T00:00:00Z to the moment.
    #[inline]
    pub(crate) fn utc(self) -> i64 {
        self.local - i64::from(self.offset)
    }
}

/// Days from 1970-01-01 to `year-month-day` in the proleptic Gregorian calendar (negative
/// before 1970; year 0 is 1 BC). `month` is 1..=12 and `day` 1..=31 (a day past the month's end
/// counts on into the next month); exact for years within ±10^15. Howard Hinnant's algorithm.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let (m, d) = (i64::from(month), i64::from(day));
    let y = if m <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400); // 0..=399
    let mp = (m + 9) % 12; // March is 0
    let doy = (153 * mp + 2) / 5 + d - 1; // 0..=365
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // 0..=146096
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`]: `(year, month 1..=12, day 1..=31)` of the day `days`
/// after 1970-01-01 (exact for |days| below 10^17).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // 0..=146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // 0..=365
    let mp = (5 * doy + 2) / 153; // 0..=11
    let day = doy - (153 * mp + 2) / 5 + 1; // 1..=31
    let month = if mp < 10 { mp + 3 } else { mp - 9 }; // 1..=12
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month as u32, day as u32)
}

/// `year` as ISO 8601 writes it: four digits from 0000 to 9999, and outside them its expanded
/// form, a sign then at least four digits (`-0001`, `+10000`); `{y:04}` would write `-001`.
pub fn iso_year(year: i64) -> String {
    match year {
        0..=9999 => format!("{year:04}"),
        y if y < 0 => format!("-{:04}", y.unsigned_abs()),
        y => format!("+{y}"),
    }
}

/// UTC seconds since the epoch as messages show a time: `2021-03-22T10:00:00Z`.
pub fn utc_text(t: i64) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!(
        "{}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        iso_year(y),
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Whether `year` has a 29 February.
#[inline]
fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

/// The day number ([`days_from_civil`]) of a date of years 0–9999, if it is one: month
/// 1–12, day valid for its month and year.
#[inline]
pub fn checked_days(year: u32, month: u32, day: u32) -> Option<i64> {
    let valid = year <= 9999
        && (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day);
    valid.then(|| i64::from(days_of_year_0_to_9999(year, month, day)))
}

/// How many days `month` (1..=12) of `year` has.
#[inline]
fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Exactly `n` (at most 4) ASCII digits at `at`, as a number.
#[inline]
fn digits(s: &[u8], at: usize, n: usize) -> Option<u32> {
    let d = s.get(at..at.checked_add(n)?)?;
    let mut v = 0;
    for &b in d {
        let x = b.wrapping_sub(b'0');
        if x > 9 {
            return None;
        }
        v = v * 10 + u32::from(x);
    }
    Some(v)
}

/// `HH:MM:SS` at `at`: (hour, minute, second), unchecked.
#[inline]
fn clock(s: &[u8], at: usize) -> Option<(u32, u32, u32)> {
    let h = digits(s, at, 2)?;
    let m = digits(s, at + 3, 2)?;
    let sec = digits(s, at + 6, 2)?;
    (s[at + 2] == b':' && s[at + 5] == b':').then_some((h, m, sec))
}

/// Where an optional fraction (`.` and one or more digits) that may start at `at` ends: `at`
/// when there is none, `None` for a `.` without digits.
#[inline]
fn fraction(s: &[u8], at: usize) -> Option<usize> {
    if s.get(at) != Some(&b'.') {
        return Some(at);
    }
    let n = s[at + 1..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    (n > 0).then_some(at + 1 + n)
}

/// Seconds from the epoch to a checked date and time of day.
#[inline]
fn local(year: u32, month: u32, day: u32, clock: (u32, u32, u32)) -> Option<i64> {
    Some(checked_days(year, month, day)? * 86_400 + day_seconds(clock)?)
}

/// Seconds into the day of a checked time of day (second 60 is a leap second).
#[inline]
fn day_seconds((h, m, s): (u32, u32, u32)) -> Option<i64> {
    (h <= 23 && m <= 59 && s <= 60).then(|| i64::from(h * 3600 + m * 60 + s))
}

/// [`days_from_civil`] for a checked date of years 0–9999, in `u32` arithmetic (the year is
/// moved on 400 years, one era, so that no value is negative).
#[inline]
fn days_of_year_0_to_9999(year: u32, month: u32, day: u32) -> i32 {
    let y = year + 400 - u32::from(month <= 2);
    let (era, yoe) = (y / 400, y % 400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe) as i32 - 719_468 - 146_097
}

/// A whole offset: `±HHMM`, or with `colon` also `±HH:MM`; HH ≤ 23, MM ≤ 59.
#[inline]
fn offset(s: &[u8], colon: bool) -> Option<i32> {
    let sign = match s.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, m) = match s.len() {
        5 => (digits(s, 1, 2)?, digits(s, 3, 2)?),
        6 if colon && s[3] == b':' => (digits(s, 1, 2)?, digits(s, 4, 2)?),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60) as i32)
}

/// `Jan`..`Dec` as 1..=12.
#[inline]
fn month(s: &[u8]) -> Option<u32> {
    let month = match s {
        b"Jan" => 1,
        b"Feb" => 2,
        b"Mar" => 3,
        b"Apr" => 4,
        b"May" => 5,
        b"Jun" => 6,
        b"Jul" => 7,
        b"Aug" => 8,
        b"Sep" => 9,
        b"Oct" => 10,
        b"Nov" => 11,
        b"Dec" => 12,
        _ => return None,
    };
    Some(month)
}

/// An NCSA time, the whole of `s`: `DD/Mon/YYYY:HH:MM:SS`, an optional fraction of a second
/// (HAProxy's `.655`), and an optional ` ±HHMM` (`10/Oct/2000:13:55:36 -0700`; without one the
/// offset is 0).
#[inline]
pub fn parse_ncsa(s: &[u8]) -> Option<Stamp> {
    parse_ncsa_with(s, &mut Dates::default())
}

/// The last NCSA date read and its day number: the lines of a log mostly share their date
/// with the line before, so [`parse_ncsa_with`] reads a date once a day, not once a line.
#[derive(Clone, Copy, Debug, Default)]
pub struct Dates {
    /// `DD/Mon/YYYY` as written (all zero before the first: never a date).
    date: [u8; 11],
    days: i64,
}

/// [`parse_ncsa`], the date looked up in `dates` first (a date read is checked whole: the
/// day valid for its month and year).
#[inline]
pub(crate) fn parse_ncsa_with(s: &[u8], dates: &mut Dates) -> Option<Stamp> {
    if s.len() < 20 || s[11] != b':' {
        return None;
    }
    let date: [u8; 11] = s[..11].try_into().expect("11 bytes");
    let days = if date == dates.date {
        dates.days
    } else {
        if s[2] != b'/' || s[6] != b'/' {
            return None;
        }
        let day = digits(s, 0, 2)?;
        let month = month(&s[3..6])?;
        let year = digits(s, 7, 4)?;
        let days = checked_days(year, month, day)?;
        *dates = Dates { date, days };
        days
    };
    let seconds = day_seconds(clock(s, 12)?)?;
    let end = fraction(s, 20)?;
    let offset = match &s[end..] {
        [] => 0,
        [b' ', zone @ ..] => offset(zone, false)?,
        _ => return None,
    };
    Some(Stamp {
        local: days * 86_400 + seconds,
        offset,
    })
}

/// An ISO 8601 time, the whole of `s`: `YYYY-MM-DD`, `T` or one space, `HH:MM:SS` (seconds
/// required), an optional fraction of any length, then `Z`, `±HH:MM`, `±HHMM` or nothing (UTC):
/// `2018-07-02T22:23:00.186641Z`, `2021-03-22 10:01:02+08:00`.
pub fn parse_iso(s: &[u8]) -> Option<Stamp> {
    if s.len() < 19 || s[4] != b'-' || s[7] != b'-' || !matches!(s[10], b'T' | b' ') {
        return None;
    }
    let year = digits(s, 0, 4)?;
    let month = digits(s, 5, 2)?;
    let day = digits(s, 8, 2)?;
    let local = local(year, month, day, clock(s, 11)?)?;
    let end = fraction(s, 19)?;
    let offset = match &s[end..] {
        [] | [b'Z'] => 0,
        zone => offset(zone, true)?,
    };
    Some(Stamp { local, offset })
}

/// A moment as the command line gives one (`--since`, `--until`: docs/contract.md §5), the whole
/// of `s`: `YYYY-MM-DD` (midnight UTC), or the date, `T` (or `t`, or one space), `HH:MM`, an
/// optional `:SS`, then `Z`, `±HH:MM`, `±HHMM` or nothing (UTC). UTC seconds since the epoch.
pub fn parse_moment(s: &[u8]) -> Option<i64> {
    if s.len() < 10 || s[4] != b'-' || s[7] != b'-' {
        return None;
    }
    let (year, month, day) = (digits(s, 0, 4)?, digits(s, 5, 2)?, digits(s, 8, 2)?);
    if s.len() == 10 {
        return Some(checked_days(year, month, day)? * 86_400);
    }
    if !matches!(s[10], b'T' | b't' | b' ') || s.len() < 16 || s[13] != b':' {
        return None;
    }
    let (hour, minute) = (digits(s, 11, 2)?, digits(s, 14, 2)?);
    let (second, end) = match s.get(16) {
        Some(b':') => (digits(s, 17, 2)?, 19),
        _ => (0, 16),
    };
    let local = local(year, month, day, (hour, minute, second))?;
    let offset = match &s[end..] {
        [] | [b'Z' | b'z'] => 0,
        zone => offset(zone, true)?,
    };
    Some(local - i64::from(offset))
}

/// W3C's and CloudFront's UTC `date` and `time` columns: `2021-03-22` and `10:01:02` (or with
/// a fraction, `10:01:02.123`).
pub(super) fn parse_date_and_time(date: &[u8], time: &[u8]) -> Option<Stamp> {
    if date.len() != 10 || time.len() < 8 || date[4] != b'-' || date[7] != b'-' {
        return None;
    }
    let year = digits(date, 0, 4)?;
    let month = digits(date, 5, 2)?;
    let day = digits(date, 8, 2)?;
    let local = local(year, month, day, clock(time, 0)?)?;
    (fraction(time, 8)? == time.len()).then_some(Stamp { local, offset: 0 })
}

/// The last second the time readers give: 9999-12-31T23:59:60 (what [`parse_iso`] and
/// [`parse_ncsa`] can read at most; Unix times past it are refused alike).
pub(crate) const MAX_LOCAL: i64 = 253_402_300_800;

/// The value of `s` when it is 1 to 19 ASCII digits (19 fit a `u64`: at most
/// 9,999,999,999,999,999,999 < 2^64); `None` otherwise.
pub(crate) fn digits_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u64, |v, &b| v * 10 + u64::from(b - b'0')))
}

/// The UTC stamp of `value` Unix time units, `scale` of them a second (1 for seconds, 1,000
/// for milliseconds...), up to [`MAX_LOCAL`].
pub(crate) fn unix_stamp(value: u64, scale: u64) -> Option<Stamp> {
    let local = i64::try_from(value / scale).ok()?;
    (local <= MAX_LOCAL).then_some(Stamp { local, offset: 0 })
}

/// Unix time as text, the whole of `s`: digits and an optional fraction, read by how many
/// digits come before the point: up to 11 are seconds, 13 milliseconds, 16 microseconds, 19
/// nanoseconds (other counts, a sign, an exponent: `None`). UTC, offset 0.
pub(super) fn parse_unix(s: &[u8]) -> Option<Stamp> {
    let int = s.iter().take_while(|b| b.is_ascii_digit()).count();
    if fraction(s, int)? != s.len() {
        return None;
    }
    let scale: u64 = match int {
        1..=11 => 1,
        13 => 1_000,
        16 => 1_000_000,
        19 => 1_000_000_000,
        _ => return None,
    };
    unix_stamp(digits_u64(&s[..int])?, scale)
}

/// What a parser found of a line's time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum When {
    /// The line carries no time (a JSON line without a time field, a W3C `#Fields:` without
    /// `date` and `time`): a prefix's time may stand in.
    Absent,
    /// The line carries a time that does not read.
    Bad,
    At(Stamp),
}

impl When {
    /// A time the line carries: [`When::At`], or [`When::Bad`] when it does not read.
    #[inline]
    pub(crate) fn read(stamp: Option<Stamp>) -> When {
        stamp.map_or(When::Bad, When::At)
    }

    /// A best-effort time (of a malformed line): [`When::At`] or [`When::Absent`].
    #[inline]
    pub(crate) fn found(stamp: Option<Stamp>) -> When {
        stamp.map_or(When::Absent, When::At)
    }

    #[inline]
    pub(crate) fn stamp(self) -> Option<Stamp> {
        match self {
            When::At(s) => Some(s),
            When::Absent | When::Bad => None,
        }
    }
}

/// The first bracketed NCSA time in `line` (`[10/Oct/2000:13:55:36 -0700]`), trying the first
/// few `[`s (an IPv6 host or a syslog tag may come first): a malformed line's best-effort time.
pub(super) fn first_bracketed_ncsa(line: &[u8]) -> Option<Stamp> {
    const TRIES: usize = 8;
    let mut from = 0;
    for _ in 0..TRIES {
        let open = from + memchr::memchr(b'[', &line[from..])?;
        let inner = &line[open + 1..];
        let close = memchr::memchr(b']', inner)?;
        if let Some(stamp) = parse_ncsa(&inner[..close]) {
            return Some(stamp);
        }
        from = open + 1;
    }
    None
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `stamp` as NCSA text (`10/Oct/2000:13:55:36 -0700`).
    pub(crate) fn ncsa_text(stamp: Stamp) -> String {
        let (y, mo, d, h, mi, s) = fields(stamp.local);
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        format!(
            "{d:02}/{}/{y:04}:{h:02}:{mi:02}:{s:02} {}",
            MONTHS[mo as usize - 1],
            zone(stamp.offset, "")
        )
    }

    /// `stamp` as ISO 8601 text (`2021-03-22T10:01:02+08:00`, `Z` for offset 0).
    pub(crate) fn iso_text(stamp: Stamp) -> String {
        let (y, mo, d, h, mi, s) = fields(stamp.local);
        let zone = if stamp.offset == 0 {
            "Z".to_string()
        } else {
            zone(stamp.offset, ":")
        };
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{zone}")
    }

    fn fields(local: i64) -> (i64, u32, u32, i64, i64, i64) {
        let (y, mo, d) = civil_from_days(local.div_euclid(86_400));
        let secs = local.rem_euclid(86_400);
        (y, mo, d, secs / 3600, secs / 60 % 60, secs % 60)
    }

    fn zone(offset: i32, sep: &str) -> String {
        let sign = if offset < 0 { '-' } else { '+' };
        let a = offset.unsigned_abs();
        format!("{sign}{:02}{sep}{:02}", a / 3600, a / 60 % 60)
    }

    fn at(y: i64, mo: u32, d: u32, h: i64, mi: i64, s: i64, offset: i32) -> Stamp {
        Stamp {
            local: days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s,
            offset,
        }
    }

    #[test]
    fn known_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2000, 2, 29), 11_016);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(days_from_civil(0, 1, 1), -719_528);
        assert_eq!(days_from_civil(9999, 12, 31), 2_932_896);
        assert_eq!(civil_from_days(11_017), (2000, 3, 1));
        assert_eq!(civil_from_days(-719_528), (0, 1, 1));
        // 2000-10-10T20:55:36Z, the Apache documentation's example.
        assert_eq!(
            days_from_civil(2000, 10, 10) * 86_400 + 20 * 3600 + 55 * 60 + 36,
            971_211_336
        );
    }

    #[test]
    fn days_round_trip_over_every_day_of_years_0_to_9999() {
        let first = days_from_civil(0, 1, 1);
        let last = days_from_civil(9999, 12, 31);
        let mut want = (0, 1, 1);
        for days in first..=last {
            let got = civil_from_days(days);
            assert_eq!(got, want, "{days}");
            assert_eq!(days_from_civil(got.0, got.1, got.2), days);
            let (y, m, d) = want;
            want = if d < days_in_month(y as u32, m) {
                (y, m, d + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
        }
        assert_eq!(want, (10_000, 1, 1));
        for year in 0..=9999 {
            for month in 1..=12 {
                for day in [1, days_in_month(year, month)] {
                    assert_eq!(
                        i64::from(days_of_year_0_to_9999(year, month, day)),
                        days_from_civil(i64::from(year), month, day)
                    );
                }
            }
        }
        for days in [-10_000_000_000i64, -1, 0, 1, 10_000_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn ncsa_times() {
        let ok: &[(&[u8], Stamp)] = &[
            (
                b"10/Oct/2000:13:55:36 -0700",
                at(2000, 10, 10, 13, 55, 36, -25_200),
            ),
            (
                b"22/Mar/2021:10:01:02 +0530",
                at(2021, 3, 22, 10, 1, 2, 19_800),
            ),
            (b"01/Jan/1970:00:00:00 +0000", at(1970, 1, 1, 0, 0, 0, 0)),
            (b"06/Feb/2009:12:14:14.655", at(2009, 2, 6, 12, 14, 14, 0)),
            (
                b"06/Feb/2009:12:14:14.655 +0100",
                at(2009, 2, 6, 12, 14, 14, 3600),
            ),
            (b"06/Feb/2009:12:14:14", at(2009, 2, 6, 12, 14, 14, 0)),
            (b"29/Feb/2000:00:00:00 +0000", at(2000, 2, 29, 0, 0, 0, 0)),
            (b"31/Dec/1999:23:59:60 +0000", at(2000, 1, 1, 0, 0, 0, 0)),
            (
                b"31/Dec/9999:23:59:59 -2359",
                at(9999, 12, 31, 23, 59, 59, -86_340),
            ),
            (b"01/Jan/0000:00:00:00 +2359", at(0, 1, 1, 0, 0, 0, 86_340)),
        ];
        for (s, want) in ok {
            assert_eq!(parse_ncsa(s), Some(*want), "{}", String::from_utf8_lossy(s));
        }
        let stamp = parse_ncsa(b"10/Oct/2000:13:55:36 -0700").unwrap();
        assert_eq!(stamp.utc(), 971_211_336);
        for bad in [
            &b"10/oct/2000:13:55:36 -0700"[..],
            b"10/OCT/2000:13:55:36 -0700",
            b"10/Okt/2000:13:55:36 -0700",
            b"30/Feb/2000:13:55:36 -0700",
            b"29/Feb/1900:13:55:36 -0700",
            b"29/Feb/2001:00:00:00 +0000",
            b"31/Apr/2000:00:00:00 +0000",
            b"00/Jan/2000:00:00:00 +0000",
            b"10/Oct/2000:24:00:00 -0700",
            b"10/Oct/2000:23:60:00 -0700",
            b"10/Oct/2000:23:59:61 -0700",
            b"10/Oct/2000:13:55:36 +2400",
            b"10/Oct/2000:13:55:36 +0060",
            b"10/Oct/2000:13:55:36 -07:00",
            b"10/Oct/2000:13:55:36 -070",
            b"10/Oct/2000:13:55:36 0700",
            b"10/Oct/2000:13:55:36  -0700",
            b"10/Oct/2000:13:55:36 -0700 ",
            b"10/Oct/2000:13:55:36-0700",
            b"10/Oct/2000:13:55:36.",
            b"10/Oct/2000:13:55:36.x",
            b"1/Oct/2000:13:55:36 -0700",
            b"10/Oct/00:13:55:36 -0700",
            b"10/Oct/2000 13:55:36 -0700",
            b"10/Oct/2000:13:55 -0700",
            b"10/Oct/2000:1:55:36 -0700",
            b"+1/Oct/2000:13:55:36 -0700",
            b"10/Oct/2000:13:55:36 -07\xff0",
            b"2000-10-10T13:55:36Z",
            b"x",
            b"",
        ] {
            assert_eq!(parse_ncsa(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn iso_times() {
        let ok: &[(&[u8], Stamp)] = &[
            (b"2018-07-02T22:23:00.186641Z", at(2018, 7, 2, 22, 23, 0, 0)),
            (
                b"2021-03-22T10:01:02+08:00",
                at(2021, 3, 22, 10, 1, 2, 28_800),
            ),
            (
                b"2021-03-22T10:01:02+0800",
                at(2021, 3, 22, 10, 1, 2, 28_800),
            ),
            (
                b"2021-03-22T10:01:02-07:00",
                at(2021, 3, 22, 10, 1, 2, -25_200),
            ),
            (
                b"2021-03-22T10:01:02+05:30",
                at(2021, 3, 22, 10, 1, 2, 19_800),
            ),
            (b"2021-03-22 10:01:02", at(2021, 3, 22, 10, 1, 2, 0)),
            (b"2021-03-22 10:01:02.5-00:00", at(2021, 3, 22, 10, 1, 2, 0)),
            (
                b"2023-10-06T00:17:09.669794202Z",
                at(2023, 10, 6, 0, 17, 9, 0),
            ),
            (
                b"2003-08-24T05:14:15.000003-07:00",
                at(2003, 8, 24, 5, 14, 15, -25_200),
            ),
            (b"2000-02-29T00:00:00Z", at(2000, 2, 29, 0, 0, 0, 0)),
            (b"2016-12-31T23:59:60Z", at(2017, 1, 1, 0, 0, 0, 0)),
            (b"0000-01-01T00:00:00Z", at(0, 1, 1, 0, 0, 0, 0)),
        ];
        for (s, want) in ok {
            assert_eq!(parse_iso(s), Some(*want), "{}", String::from_utf8_lossy(s));
        }
        for bad in [
            &b"2021-02-30T10:01:02Z"[..],
            b"1900-02-29T10:01:02Z",
            b"2021-13-01T10:01:02Z",
            b"2021-00-01T10:01:02Z",
            b"2021-01-00T10:01:02Z",
            b"2021-03-22T24:00:00Z",
            b"2021-03-22T10:60:00Z",
            b"2021-03-22T10:01:61Z",
            b"2021-03-22T10:01:02+24:00",
            b"2021-03-22T10:01:02+2400",
            b"2021-03-22T10:01:02+08:60",
            b"2021-03-22T10:01:02+08",
            b"2021-03-22T10:01:02+8:00",
            b"2021-03-22T10:01:02+08:0",
            b"2021-03-22T10:01:02+08;00",
            b"2021-03-22T10:01:02z",
            b"2021-03-22T10:01:02ZZ",
            b"2021-03-22T10:01:02Z ",
            b"2021-03-22t10:01:02Z",
            b"2021-03-22  10:01:02",
            b"2021-03-22T10:01",
            b"2021-03-22T10:01:02.",
            b"2021-03-22T10:01:02,5Z",
            b"21-03-22T10:01:02Z",
            b"2021-3-22T10:01:02Z",
            b"+021-03-22T10:01:02Z",
            b"2021-03-22T10:01:0\xff",
            b"10/Oct/2000:13:55:36 -0700",
            b"",
        ] {
            assert_eq!(parse_iso(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn w3c_and_unix_times() {
        let want = at(2021, 3, 22, 10, 1, 2, 0);
        assert_eq!(parse_date_and_time(b"2021-03-22", b"10:01:02"), Some(want));
        assert_eq!(
            parse_date_and_time(b"2021-03-22", b"10:01:02.123"),
            Some(want)
        );
        for (date, time) in [
            (&b"2021-02-29"[..], &b"10:01:02"[..]),
            (b"2021-03-22", b"24:01:02"),
            (b"2021-03-22", b"10:01:02."),
            (b"2021-03-22", b"10:01:02Z"),
            (b"2021-03-22", b"10:01"),
            (b"2021-03-2", b"10:01:02"),
            (b"22/03/2021", b"10:01:02"),
        ] {
            assert_eq!(parse_date_and_time(date, time), None);
        }
        let caddy = Stamp {
            local: 1_646_861_401,
            offset: 0,
        };
        assert_eq!(parse_unix(b"1646861401.5241024"), Some(caddy));
        assert_eq!(parse_unix(b"1646861401"), Some(caddy));
        assert_eq!(parse_unix(b"1646861401524"), Some(caddy));
        assert_eq!(parse_unix(b"1646861401524102"), Some(caddy));
        assert_eq!(parse_unix(b"1646861401524102400"), Some(caddy));
        assert_eq!(
            parse_unix(b"0"),
            Some(Stamp {
                local: 0,
                offset: 0
            })
        );
        for bad in [
            &b""[..],
            b".5",
            b"1.",
            b"-1646861401",
            b"1.6e9",
            b"164686140152",
            b"16468614015241",
            b"99999999999999999999",
            b"1646861401 ",
        ] {
            assert_eq!(parse_unix(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn a_malformed_lines_bracket() {
        let want = parse_ncsa(b"10/Oct/2000:13:55:36 -0700");
        assert_eq!(
            first_bracketed_ncsa(b"x [10/Oct/2000:13:55:36 -0700] y"),
            want
        );
        assert_eq!(
            first_bracketed_ncsa(b"[::1] [1] [10/Oct/2000:13:55:36 -0700]"),
            want
        );
        assert_eq!(first_bracketed_ncsa(b"x [10/Oct/2000:13:55:36 -0700"), None);
        assert_eq!(first_bracketed_ncsa(b"x 10/Oct/2000:13:55:36 -0700]"), None);
        assert_eq!(first_bracketed_ncsa(b"[[[[[[[[[[]"), None);
    }

    fn any_stamp() -> impl Strategy<Value = Stamp> {
        let first = days_from_civil(0, 1, 1) * 86_400;
        let last = days_from_civil(9999, 12, 31) * 86_400 + 86_399;
        let most = 23 * 60 + 59;
        (first..=last, -most..=most).prop_map(|(local, minutes)| Stamp {
            local,
            offset: minutes * 60,
        })
    }

    #[test]
    fn dates_are_remembered_but_never_trusted_for_another_date() {
        let mut dates = Dates::default();
        for text in [
            &b"10/Oct/2000:13:55:36 -0700"[..],
            b"10/Oct/2000:13:55:37 -0700",
            b"10/Oct/2000:24:55:37 -0700",
            b"11/Oct/2000:00:00:00 +0000",
            b"31/Feb/2000:00:00:00 +0000",
            b"29/Feb/2000:00:00:00 +0000",
            b"29/Feb/1900:00:00:00 +0000",
            b"10/Oct/2000:13:55:36.5",
            b"10/Oct/2000 13:55:36",
            b"",
        ] {
            assert_eq!(
                parse_ncsa_with(text, &mut dates),
                parse_ncsa(text),
                "{text:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn remembered_dates_read_as_parse_ncsa(
            texts in proptest::collection::vec(
                (0u32..33, 0usize..13, 1999u32..2002, 0u32..25, 0u32..61, 0u32..62)
                    .prop_map(|(d, m, y, h, mi, s)| {
                        const M: [&str; 13] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
                            "Aug", "Sep", "Oct", "Nov", "Dec", "Foo"];
                        format!("{d:02}/{}/{y}:{h:02}:{mi:02}:{s:02} +0100", M[m]).into_bytes()
                    }),
                1..20,
            ),
        ) {
            let mut dates = Dates::default();
            for t in &texts {
                prop_assert_eq!(parse_ncsa_with(t, &mut dates), parse_ncsa(t));
            }
        }

        #[test]
        fn random_bytes_never_panic(s in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = (parse_ncsa(&s), parse_iso(&s), parse_unix(&s), first_bracketed_ncsa(&s));
            let (a, b) = s.split_at(s.len() / 2);
            let _ = parse_date_and_time(a, b);
        }

        #[test]
        fn near_misses_never_panic_and_read_back(
            s in "[0-9+ ]{1,3}/(Jan|Feb|Dec|jan|Xyz)/[0-9]{2,4}:[0-9]{2}:[0-9]{1,2}:[0-9]{2}(\\.[0-9]{0,3})?( ?[-+][0-9]{3,4})?",
            t in "[0-9]{4}-[0-9]{2}-[0-9]{1,2}[T t][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,9})?(Z|[-+][0-9]{2}:?[0-9]{2}|[-+][0-9]{1,2})?",
        ) {
            // Whatever reads, reads as its own text: a time out of range never slips through.
            if let Some(stamp) = parse_ncsa(s.as_bytes()) {
                prop_assert_eq!(parse_ncsa(ncsa_text(stamp).as_bytes()), Some(stamp));
            }
            if let Some(stamp) = parse_iso(t.as_bytes()) {
                prop_assert_eq!(parse_iso(iso_text(stamp).as_bytes()), Some(stamp));
            }
        }

        #[test]
        fn stamps_written_out_read_back(stamp in any_stamp()) {
            prop_assert_eq!(parse_ncsa(ncsa_text(stamp).as_bytes()), Some(stamp));
            prop_assert_eq!(parse_iso(iso_text(stamp).as_bytes()), Some(stamp));
        }
    }
}
