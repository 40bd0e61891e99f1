//! Working days in Moldova: weekends and public holidays (the table in `config/holidays.toml`,
//! Orthodox Easter computed) do not count. The procedure's 7-day clock counts these days.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Datelike, Days, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use serde::Deserialize;

/// The table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    fixed: Vec<String>,
    easter: Vec<i64>,
    #[serde(default)]
    extra: Vec<NaiveDate>,
    #[serde(default)]
    working: Vec<NaiveDate>,
}

/// Which days the agency works, in its own time zone.
#[derive(Debug, Clone)]
pub struct Calendar {
    zone: Tz,
    fixed: Vec<(u32, u32)>,
    easter: Vec<i64>,
    extra: BTreeSet<NaiveDate>,
    working: BTreeSet<NaiveDate>,
}

impl Calendar {
    /// Loads the holiday table; `zone` is where the agency's days begin and end.
    pub fn load(path: &Path, zone: Tz) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("time.holidays: cannot read {}", path.display()))?;
        Self::parse(&text, zone).with_context(|| format!("time.holidays: in {}", path.display()))
    }

    /// Reads the holiday table from TOML text.
    pub fn parse(text: &str, zone: Tz) -> Result<Self> {
        let table: Table = toml::from_str(text)?;
        let mut fixed = Vec::new();
        for day in &table.fixed {
            let parsed = day
                .split_once('-')
                .and_then(|(m, d)| Some((m.parse::<u32>().ok()?, d.parse::<u32>().ok()?)))
                .filter(|&(m, d)| NaiveDate::from_ymd_opt(2024, m, d).is_some());
            match parsed {
                Some(md) => fixed.push(md),
                None => bail!("fixed: '{day}' is not a MM-DD date"),
            }
        }
        if let Some(bad) = table.easter.iter().find(|d| d.abs() > 60) {
            bail!("easter: {bad} days from Easter is not a plausible holiday");
        }
        Ok(Self {
            zone,
            fixed,
            easter: table.easter,
            extra: table.extra.into_iter().collect(),
            working: table.working.into_iter().collect(),
        })
    }

    /// Whether the agency works on `date`.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        if self.working.contains(&date) {
            return true;
        }
        if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) || self.extra.contains(&date) {
            return false;
        }
        if self.fixed.contains(&(date.month(), date.day())) {
            return false;
        }
        let easter = orthodox_easter(date.year());
        !self
            .easter
            .iter()
            .any(|offset| easter + chrono::Duration::days(*offset) == date)
    }

    /// The agency's calendar date at instant `at`.
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.zone).date_naive()
    }

    /// The agency's local hour at instant `at`.
    pub fn local_hour(&self, at: DateTime<Utc>) -> u32 {
        use chrono::Timelike;
        at.with_timezone(&self.zone).hour()
    }

    /// Working days after the day of `from`, up to and including the day of `to`.
    pub fn working_days_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> u32 {
        let (mut day, last) = (self.local_date(from), self.local_date(to));
        let mut count = 0;
        while day < last {
            day = day + Days::new(1);
            if self.is_working_day(day) {
                count += 1;
            }
        }
        count
    }

    /// The `n`th working day after the day of `from`.
    pub fn add_working_days(&self, from: DateTime<Utc>, n: u32) -> NaiveDate {
        let mut day = self.local_date(from);
        let mut left = n;
        while left > 0 {
            day = day + Days::new(1);
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }
}

/// Orthodox Easter Sunday of `year`, as a Gregorian date (Meeus's Julian algorithm, valid
/// 1900-2099, where the Julian calendar runs 13 days behind).
pub fn orthodox_easter(year: i32) -> NaiveDate {
    let (a, b, c) = (year % 4, year % 7, year % 19);
    let d = (19 * c + 15) % 30;
    let e = (2 * a + 4 * b - d + 34) % 7;
    let month = (d + e + 114) / 31;
    let day = (d + e + 114) % 31 + 1;
    let julian = NaiveDate::from_ymd_opt(year, month as u32, day as u32)
        .expect("the algorithm yields a March or April date");
    julian + Days::new(13)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn calendar() -> Calendar {
        Calendar::parse(
            include_str!("../../../config/holidays.toml"),
            chrono_tz::Europe::Chisinau,
        )
        .unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn orthodox_easter_matches_the_published_dates() {
        assert_eq!(orthodox_easter(2024), date(2024, 5, 5));
        assert_eq!(orthodox_easter(2025), date(2025, 4, 20));
        assert_eq!(orthodox_easter(2026), date(2026, 4, 12));
        assert_eq!(orthodox_easter(2027), date(2027, 5, 2));
        assert_eq!(orthodox_easter(2030), date(2030, 4, 28));
    }

    #[test]
    fn weekends_fixed_holidays_and_easter_days_are_off() {
        let c = calendar();
        assert!(!c.is_working_day(date(2026, 11, 21)), "Saturday");
        assert!(c.is_working_day(date(2026, 11, 23)), "Monday");
        assert!(!c.is_working_day(date(2026, 8, 27)), "Independence Day");
        assert!(!c.is_working_day(date(2026, 4, 13)), "Easter Monday");
        assert!(!c.is_working_day(date(2026, 4, 20)), "Memorial Day");
        assert!(c.is_working_day(date(2026, 4, 14)));
    }

    #[test]
    fn seven_working_days_skip_weekends_and_holidays() {
        let c = calendar();
        // Friday 2026-12-18 in Chisinau: 7 working days later, skipping two weekends and
        // Christmas (Friday 25th), is Wednesday 30th.
        let start = Utc.with_ymd_and_hms(2026, 12, 18, 10, 0, 0).unwrap();
        assert_eq!(c.add_working_days(start, 7), date(2026, 12, 30));
        let later = Utc.with_ymd_and_hms(2026, 12, 30, 10, 0, 0).unwrap();
        assert_eq!(c.working_days_between(start, later), 7);
        assert_eq!(c.working_days_between(start, start), 0);
    }

    #[test]
    fn the_day_turns_in_chisinau_not_in_utc() {
        let c = calendar();
        // 22:30 UTC on Sunday is already Monday 00:30 in Chisinau (UTC+2 in winter).
        let late = Utc.with_ymd_and_hms(2026, 11, 22, 22, 30, 0).unwrap();
        assert_eq!(c.local_date(late), date(2026, 11, 23));
    }

    #[test]
    fn a_bad_table_is_refused_with_the_reason() {
        let err = Calendar::parse("fixed = [\"13-01\"]\neaster = []", chrono_tz::UTC).unwrap_err();
        assert!(err.to_string().contains("13-01"), "{err}");
    }
}
