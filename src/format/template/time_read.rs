//! Reading a line's time value: the readers by kind, and strftime formats (Apache
//! `%{FORMAT}t`) compiled into programs and read strictly.

use super::{error, TemplateError};
use crate::format::time::{
    checked_days, digits_u64, parse_iso, parse_ncsa, parse_unix, unix_stamp, Stamp, MAX_LOCAL,
};

/// How to read the time value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum TimeRead {
    Ncsa,
    Iso,
    /// nginx `$msec`: digits (at most 11) and an optional fraction.
    Fraction,
    /// Apache `%{sec}t`, `%{msec}t`, `%{usec}t`: digits only, divided by the scale.
    Unix(u64),
    Strftime(Box<[Conv]>),
}

impl TimeRead {
    #[cfg(test)]
    pub(super) fn kind(&self) -> super::TimeKind {
        use super::TimeKind;
        match self {
            TimeRead::Ncsa => TimeKind::Ncsa,
            TimeRead::Iso => TimeKind::Iso8601,
            TimeRead::Fraction => TimeKind::UnixFraction,
            TimeRead::Unix(1) => TimeKind::UnixSeconds,
            TimeRead::Unix(1_000) => TimeKind::UnixMillis,
            TimeRead::Unix(_) => TimeKind::UnixMicros,
            TimeRead::Strftime(_) => TimeKind::Strftime,
        }
    }

    pub(super) fn read(&self, s: &[u8]) -> Option<Stamp> {
        match self {
            TimeRead::Ncsa => parse_ncsa(s),
            TimeRead::Iso => parse_iso(s),
            TimeRead::Fraction => {
                let int = s.iter().take_while(|b| b.is_ascii_digit()).count();
                if int > 11 {
                    return None;
                }
                parse_unix(s)
            }
            TimeRead::Unix(scale) => unix_stamp(digits_u64(s)?, *scale),
            TimeRead::Strftime(prog) => read_strftime(prog, s),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// strftime formats (Apache `%{FORMAT}t`), read strictly.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Conv {
    Lit(u8),
    Year4,
    Year2,
    Month,
    Day,
    /// `%e`: the day, space-padded.
    DaySpace,
    Hour,
    /// `%k`: the hour, space-padded.
    HourSpace,
    Hour12,
    /// `%l`: the 12-hour hour, space-padded.
    Hour12Space,
    Minute,
    Second,
    YearDay,
    Zone,
    Epoch,
    MonthAbbr,
    MonthFull,
    WeekdayAbbr,
    WeekdayFull,
    AmPm,
    /// `%u` (1–7) or `%w` (0–6): checked, not used.
    WeekdayNumber(u8, u8),
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// A strftime format as a program; `None` when it carries no full date (year, month and day,
/// year and day of year, or `%s`). `at`: the format's offset in the text, for errors.
pub(super) fn compile_strftime(format: &str, at: usize) -> Result<Option<TimeRead>, TemplateError> {
    use Conv::*;
    let b = format.as_bytes();
    let mut prog = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            prog.push(Lit(b[i]));
            i += 1;
            continue;
        }
        let Some(&c) = b.get(i + 1) else {
            return Err(error(at + i, "a `%` at the end of the strftime format"));
        };
        let convs: &[Conv] = match c {
            b'Y' => &[Year4],
            b'y' => &[Year2],
            b'm' => &[Month],
            b'd' => &[Day],
            b'e' => &[DaySpace],
            b'H' => &[Hour],
            b'k' => &[HourSpace],
            b'I' => &[Hour12],
            b'l' => &[Hour12Space],
            b'M' => &[Minute],
            b'S' => &[Second],
            b'j' => &[YearDay],
            b'z' => &[Zone],
            b's' => &[Epoch],
            b'b' | b'h' => &[MonthAbbr],
            b'B' => &[MonthFull],
            b'a' => &[WeekdayAbbr],
            b'A' => &[WeekdayFull],
            b'p' => &[AmPm],
            b'u' => &[WeekdayNumber(1, 7)],
            b'w' => &[WeekdayNumber(0, 6)],
            b'%' => &[Lit(b'%')],
            b'n' => &[Lit(b'\n')],
            b't' => &[Lit(b'\t')],
            b'T' => &[Hour, Lit(b':'), Minute, Lit(b':'), Second],
            b'F' => &[Year4, Lit(b'-'), Month, Lit(b'-'), Day],
            b'D' => &[Month, Lit(b'/'), Day, Lit(b'/'), Year2],
            b'R' => &[Hour, Lit(b':'), Minute],
            b'r' => &[
                Hour12,
                Lit(b':'),
                Minute,
                Lit(b':'),
                Second,
                Lit(b' '),
                AmPm,
            ],
            _ => {
                let c = format[i + 1..].chars().next().unwrap_or('?');
                return Err(error(
                    at + i,
                    format!("unsupported strftime conversion `%{c}` in a time format"),
                ));
            }
        };
        prog.extend_from_slice(convs);
        i += 2;
    }
    let has = |c: Conv| prog.contains(&c);
    let year = has(Year4) || has(Year2);
    let month = has(Month) || has(MonthAbbr) || has(MonthFull);
    let day = has(Day) || has(DaySpace);
    let full = has(Epoch) || (year && ((month && day) || has(YearDay)));
    Ok(full.then(|| TimeRead::Strftime(prog.into_boxed_slice())))
}

/// Exactly `n` ASCII digits at `*i` (`space`: the first may be a space instead).
#[inline]
fn num(s: &[u8], i: &mut usize, n: usize, space: bool) -> Option<u32> {
    let d = s.get(*i..*i + n)?;
    let mut v = 0;
    for (k, &b) in d.iter().enumerate() {
        if b == b' ' && space && k + 1 < n && v == 0 {
            continue;
        }
        let x = b.wrapping_sub(b'0');
        if x > 9 {
            return None;
        }
        v = v * 10 + u32::from(x);
    }
    *i += n;
    Some(v)
}

/// The index of the name among `names` that `s` has at `*i` (`len`: 3 for abbreviations,
/// 0 for whole names).
fn name_at(s: &[u8], i: &mut usize, names: &[&str], len: usize) -> Option<u32> {
    for (k, name) in names.iter().enumerate() {
        let name = if len > 0 { &name[..len] } else { name };
        if s[*i..].starts_with(name.as_bytes()) {
            *i += name.len();
            return Some(k as u32);
        }
    }
    None
}

fn read_strftime(prog: &[Conv], s: &[u8]) -> Option<Stamp> {
    let (mut year, mut month, mut day, mut yday) = (None, None, None, None);
    let (mut hour, mut hour12, mut pm) = (None, None, None);
    let (mut minute, mut second, mut zone, mut epoch) = (0, 0, 0, None);
    let mut i = 0;
    for conv in prog {
        match *conv {
            Conv::Lit(b) => {
                if s.get(i) != Some(&b) {
                    return None;
                }
                i += 1;
            }
            Conv::Year4 => year = Some(num(s, &mut i, 4, false)?),
            Conv::Year2 => {
                let y = num(s, &mut i, 2, false)?;
                year = Some(if y >= 69 { 1900 + y } else { 2000 + y });
            }
            Conv::Month => month = Some(num(s, &mut i, 2, false)?),
            Conv::Day => day = Some(num(s, &mut i, 2, false)?),
            Conv::DaySpace => day = Some(num(s, &mut i, 2, true)?),
            Conv::Hour => hour = Some(num(s, &mut i, 2, false)?),
            Conv::HourSpace => hour = Some(num(s, &mut i, 2, true)?),
            Conv::Hour12 => hour12 = Some(num(s, &mut i, 2, false)?),
            Conv::Hour12Space => hour12 = Some(num(s, &mut i, 2, true)?),
            Conv::Minute => minute = num(s, &mut i, 2, false)?,
            Conv::Second => second = num(s, &mut i, 2, false)?,
            Conv::YearDay => yday = Some(num(s, &mut i, 3, false)?),
            Conv::Zone => {
                let z = s.get(i..i + 5)?;
                let sign = match z[0] {
                    b'+' => 1,
                    b'-' => -1,
                    _ => return None,
                };
                let mut k = i + 1;
                let h = num(s, &mut k, 2, false)?;
                let m = num(s, &mut k, 2, false)?;
                if h > 23 || m > 59 {
                    return None;
                }
                zone = sign * (h * 3600 + m * 60) as i32;
                i += 5;
            }
            Conv::Epoch => {
                let n = s[i..].iter().take_while(|b| b.is_ascii_digit()).count();
                epoch = Some(i64::try_from(digits_u64(&s[i..i + n])?).ok()?);
                i += n;
            }
            Conv::MonthAbbr => month = Some(name_at(s, &mut i, &MONTHS, 3)? + 1),
            Conv::MonthFull => month = Some(name_at(s, &mut i, &MONTHS, 0)? + 1),
            Conv::WeekdayAbbr => {
                name_at(s, &mut i, &WEEKDAYS, 3)?;
            }
            Conv::WeekdayFull => {
                name_at(s, &mut i, &WEEKDAYS, 0)?;
            }
            Conv::AmPm => {
                pm = Some(match s.get(i..i + 2)? {
                    b"AM" => false,
                    b"PM" => true,
                    _ => return None,
                });
                i += 2;
            }
            Conv::WeekdayNumber(lo, hi) => {
                let w = num(s, &mut i, 1, false)?;
                if w < u32::from(lo) || w > u32::from(hi) {
                    return None;
                }
            }
        }
    }
    if i != s.len() {
        return None;
    }
    if let Some(e) = epoch {
        return (e <= MAX_LOCAL).then_some(Stamp {
            local: e + i64::from(zone),
            offset: zone,
        });
    }
    let year = year?;
    let days = match (month, day, yday) {
        (Some(m), Some(d), _) => checked_days(year, m, d)?,
        (_, _, Some(yd)) => {
            let first = checked_days(year, 1, 1)?;
            let len = checked_days(year, 12, 31)? - first + 1;
            if yd == 0 || i64::from(yd) > len {
                return None;
            }
            first + i64::from(yd) - 1
        }
        _ => return None,
    };
    let hour = match (hour, hour12) {
        (Some(h), _) if h <= 23 => h,
        (Some(_), _) => return None,
        (None, Some(h)) if (1..=12).contains(&h) => h % 12 + if pm == Some(true) { 12 } else { 0 },
        (None, Some(_)) => return None,
        (None, None) => 0,
    };
    if minute > 59 || second > 60 {
        return None;
    }
    Some(Stamp {
        local: days * 86_400 + i64::from(hour * 3600 + minute * 60 + second),
        offset: zone,
    })
}
