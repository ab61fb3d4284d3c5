//! Days as integers (days since 1970-01-01, UTC), the unit of every
//! timeline: plots need numbers, SQL and people need dates.

/// Days since 1970-01-01 for a proleptic Gregorian date.
pub fn from_civil(year: i32, month: u32, day: u32) -> i32 {
    // Howard Hinnant's days_from_civil.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i32;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day number.
pub fn to_civil(days: i32) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i32::from(m <= 2);
    (y, m, d)
}

/// "YYYY-MM-DD".
pub fn iso(days: i32) -> String {
    let (y, m, d) = to_civil(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// "Mar 04": short label for axes.
pub fn short(days: i32) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (_, m, d) = to_civil(days);
    format!("{} {d:02}", MONTHS[(m - 1) as usize])
}

/// Parses "YYYY-MM-DD".
pub fn parse_iso(text: &str) -> Option<i32> {
    let mut parts = text.trim().splitn(3, '-');
    let y = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then(|| from_civil(y, m, d))
}

/// "YYYY-MM-DD HH:MM:SS" (UTC) of seconds since the epoch.
pub fn iso_seconds(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let rest = seconds.rem_euclid(86_400);
    format!(
        "{} {:02}:{:02}:{:02}",
        iso(days as i32),
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_dates() {
        assert_eq!(from_civil(1970, 1, 1), 0);
        assert_eq!(iso(from_civil(2026, 2, 28) + 1), "2026-03-01");
        assert_eq!(iso(from_civil(2024, 2, 28) + 1), "2024-02-29");
        for d in -1000..40_000 {
            let (y, m, dd) = to_civil(d);
            assert_eq!(from_civil(y, m, dd), d);
        }
        assert_eq!(parse_iso("2026-05-14"), Some(from_civil(2026, 5, 14)));
        assert_eq!(parse_iso("2026-13-01"), None);
        assert_eq!(short(from_civil(2026, 3, 4)), "Mar 04");
        assert_eq!(iso_seconds(86_400 + 3661), "1970-01-02 01:01:01");
    }
}
