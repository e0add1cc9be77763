//! Vietnamese working days: statutory holidays (Labour Code 2019 Art. 112), compensatory
//! days, the Government's yearly day swaps, working hours and the afternoon cut-off, and the
//! due time of a statutory time limit.

pub mod lunar;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::{Offset, TimeZone};
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

use crate::catalog::TimeLimit;

/// Years the calendar answers for.
pub const FIRST_YEAR: i16 = 1990;
pub const LAST_YEAR: i16 = 2100;

/// Vietnam's time zone (UTC+7, no daylight saving).
pub fn vietnam() -> TimeZone {
    TimeZone::fixed(Offset::constant(7))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("Lịch làm việc chỉ tính cho các năm từ {FIRST_YEAR} đến {LAST_YEAR}")]
    YearOutOfRange,
    #[error("Cấu hình giờ làm việc không hợp lệ: {0}")]
    BadHours(&'static str),
    #[error("Điều chỉnh lịch không hợp lệ: {0}")]
    BadAdjustment(String),
}

/// Which day goes with 2 September (the law says one adjacent day, before or after).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NationalDayExtra {
    Before,
    After,
}

/// Working hours: a morning and an afternoon period, and the cut-off after which a dossier
/// counts from the next working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkingHours {
    pub morning: (Time, Time),
    pub afternoon: (Time, Time),
    pub cutoff: Time,
}

impl WorkingHours {
    pub fn new(morning: (Time, Time), afternoon: (Time, Time), cutoff: Time) -> Result<Self, CalendarError> {
        if !(morning.0 < morning.1 && morning.1 <= afternoon.0 && afternoon.0 < afternoon.1) {
            return Err(CalendarError::BadHours(
                "các buổi phải theo thứ tự sáng rồi chiều, giờ bắt đầu trước giờ kết thúc",
            ));
        }
        if cutoff <= morning.0 || cutoff > afternoon.1 {
            return Err(CalendarError::BadHours("giờ chốt nhận hồ sơ phải nằm trong giờ làm việc"));
        }
        Ok(Self { morning, afternoon, cutoff })
    }

    fn periods(&self) -> [(Time, Time); 2] {
        [self.morning, self.afternoon]
    }

    /// Working minutes in a full day (450 by default).
    pub fn minutes_per_day(&self) -> i64 {
        self.periods().iter().map(|(a, b)| minutes(*a, *b)).sum()
    }
}

impl Default for WorkingHours {
    fn default() -> Self {
        Self {
            morning: (Time::constant(7, 30, 0, 0), Time::constant(11, 30, 0, 0)),
            afternoon: (Time::constant(13, 30, 0, 0), Time::constant(17, 0, 0, 0)),
            cutoff: Time::constant(15, 0, 0, 0),
        }
    }
}

fn minutes(a: Time, b: Time) -> i64 {
    let secs = |t: Time| i64::from(t.hour()) * 3600 + i64::from(t.minute()) * 60 + i64::from(t.second());
    (secs(b) - secs(a)) / 60
}

/// Rules that may vary: how the Government lays out Tết, the day beside 2 September, hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarRules {
    /// Days off before mùng 1 Tết (default 1: the last day of the lunar year).
    pub tet_days_before: u8,
    /// Days off after mùng 1 Tết (default 3: mùng 2, 3, 4). Total = before + 1 + after.
    pub tet_days_after: u8,
    pub national_day_extra: NationalDayExtra,
    pub hours: WorkingHours,
}

impl Default for CalendarRules {
    fn default() -> Self {
        Self {
            tet_days_before: 1,
            tet_days_after: 3,
            national_day_extra: NationalDayExtra::Before,
            hours: WorkingHours::default(),
        }
    }
}

/// A day the Government moved: an extra day off, or a weekend/holiday day worked instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Adjustment {
    #[schema(value_type = String, format = Date)]
    pub date: Date,
    pub kind: AdjustmentKind,
    /// Why, e.g. "Nghỉ bù Tết Ất Tỵ" or "Làm bù cho ngày 02/5".
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentKind {
    /// A day off that the rules would make a working day.
    Off,
    /// A working day that the rules would make a day off.
    Work,
}

impl Adjustment {
    pub fn check(self) -> Result<Self, CalendarError> {
        if !(FIRST_YEAR..=LAST_YEAR).contains(&self.date.year()) {
            return Err(CalendarError::YearOutOfRange);
        }
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(CalendarError::BadAdjustment(format!("ngày {}: cần tên ngắn gọn (1–200 ký tự)", self.date)));
        }
        Ok(Self { name: name.to_owned(), ..self })
    }
}

/// A non-working weekday (or a holiday that falls on a weekend) with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Holiday {
    #[schema(value_type = String, format = Date)]
    pub date: Date,
    pub name: String,
    pub kind: HolidayKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HolidayKind {
    /// Nghỉ lễ, Tết under the Labour Code.
    Statutory,
    /// Nghỉ bù: a statutory day fell on a weekend.
    Compensatory,
    /// Announced by the Government for that year.
    Announced,
}

/// Vietnam's working-day calendar for a deployment. Cheap to clone; the days off of every
/// year are worked out once, when it is built.
#[derive(Debug, Clone)]
pub struct WorkCalendar {
    rules: CalendarRules,
    adjustments: BTreeMap<Date, Adjustment>,
    /// Every day off from 1990 to 2100 other than ordinary weekends (after adjustments).
    off: Arc<HashSet<Date>>,
}

impl Default for WorkCalendar {
    fn default() -> Self {
        Self::build(CalendarRules::default(), BTreeMap::new())
    }
}

fn check_year(year: i16) -> Result<(), CalendarError> {
    if (FIRST_YEAR..=LAST_YEAR).contains(&year) { Ok(()) } else { Err(CalendarError::YearOutOfRange) }
}

fn is_weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

impl WorkCalendar {
    pub fn new(rules: CalendarRules, adjustments: Vec<Adjustment>) -> Result<Self, CalendarError> {
        let mut map = BTreeMap::new();
        for a in adjustments {
            let a = a.check()?;
            if map.insert(a.date, a.clone()).is_some() {
                return Err(CalendarError::BadAdjustment(format!("ngày {} được điều chỉnh hai lần", a.date)));
            }
        }
        Ok(Self::build(rules, map))
    }

    fn build(rules: CalendarRules, adjustments: BTreeMap<Date, Adjustment>) -> Self {
        let mut cal = Self { rules, adjustments, off: Arc::default() };
        let off: HashSet<Date> =
            (FIRST_YEAR..=LAST_YEAR).flat_map(|y| cal.holidays(y).unwrap_or_default()).map(|h| h.date).collect();
        cal.off = Arc::new(off);
        cal
    }

    pub fn rules(&self) -> &CalendarRules {
        &self.rules
    }

    pub fn adjustments(&self) -> impl Iterator<Item = &Adjustment> {
        self.adjustments.values()
    }

    /// Statutory days of `year` under the Labour Code, before compensation.
    fn statutory(&self, year: i16) -> Result<Vec<(Date, String)>, CalendarError> {
        check_year(year)?;
        let d = |m: i8, day: i8| Date::new(year, m, day).map_err(|_| CalendarError::YearOutOfRange);
        let mut days = vec![(d(1, 1)?, "Tết Dương lịch".to_owned())];
        let tet = lunar::tet(year).ok_or(CalendarError::YearOutOfRange)?;
        let before = i64::from(self.rules.tet_days_before);
        for i in -before..=i64::from(self.rules.tet_days_after) {
            let day = tet.checked_add(i.days()).map_err(|_| CalendarError::YearOutOfRange)?;
            let name = match i {
                i if i < 0 => "Tết Nguyên đán (cuối năm Âm lịch)".to_owned(),
                i => format!("Tết Nguyên đán (mùng {})", i + 1),
            };
            days.push((day, name));
        }
        let hung = lunar::lunar_to_solar(lunar::LunarDate { day: 10, month: 3, year, leap: false })
            .ok_or(CalendarError::YearOutOfRange)?;
        days.push((hung, "Giỗ Tổ Hùng Vương (10/3 Âm lịch)".to_owned()));
        days.push((d(4, 30)?, "Ngày Chiến thắng (30/4)".to_owned()));
        days.push((d(5, 1)?, "Ngày Quốc tế Lao động (1/5)".to_owned()));
        let extra = match self.rules.national_day_extra {
            NationalDayExtra::Before => d(9, 1)?,
            NationalDayExtra::After => d(9, 3)?,
        };
        days.push((d(9, 2)?, "Quốc khánh (2/9)".to_owned()));
        days.push((extra, "Quốc khánh (ngày liền kề)".to_owned()));
        days.sort();
        Ok(days)
    }

    /// Every day off of `year` other than ordinary weekends, in date order: statutory days
    /// (also those on a weekend), compensatory days, and announced extra days off; minus the
    /// days the Government made working days.
    pub fn holidays(&self, year: i16) -> Result<Vec<Holiday>, CalendarError> {
        let mut out: BTreeMap<Date, Holiday> = BTreeMap::new();
        // The statutory days of the year, and of the next one (Tết can start in late January,
        // its eve is in the same year; compensation of a late-December day spills over).
        let mut statutory = self.statutory(year)?;
        if year > FIRST_YEAR {
            statutory.extend(self.statutory(year - 1)?);
        }
        statutory.sort();
        let taken: BTreeSet<Date> = statutory.iter().map(|(d, _)| *d).collect();
        let mut compensatory: BTreeSet<Date> = BTreeSet::new();
        for (date, name) in &statutory {
            if is_weekend(*date) {
                // The next working day that is neither a weekend, a holiday nor taken already.
                let mut c = *date;
                loop {
                    c = c.tomorrow().map_err(|_| CalendarError::YearOutOfRange)?;
                    if !is_weekend(c) && !taken.contains(&c) && !compensatory.contains(&c) {
                        break;
                    }
                }
                compensatory.insert(c);
                if c.year() == year {
                    out.insert(
                        c,
                        Holiday { date: c, name: format!("Nghỉ bù {name}"), kind: HolidayKind::Compensatory },
                    );
                }
            }
            if date.year() == year {
                out.insert(*date, Holiday { date: *date, name: name.clone(), kind: HolidayKind::Statutory });
            }
        }
        for a in self.adjustments.values().filter(|a| a.date.year() == year) {
            match a.kind {
                AdjustmentKind::Off => {
                    out.insert(a.date, Holiday { date: a.date, name: a.name.clone(), kind: HolidayKind::Announced });
                }
                AdjustmentKind::Work => {
                    out.remove(&a.date);
                }
            }
        }
        Ok(out.into_values().collect())
    }

    /// Weekend days the Government made working days (làm bù) in `year`.
    pub fn working_weekend_days(&self, year: i16) -> Vec<&Adjustment> {
        self.adjustments
            .values()
            .filter(|a| a.date.year() == year && a.kind == AdjustmentKind::Work && is_weekend(a.date))
            .collect()
    }

    pub fn is_working_day(&self, date: Date) -> Result<bool, CalendarError> {
        check_year(date.year())?;
        if let Some(a) = self.adjustments.get(&date) {
            return Ok(a.kind == AdjustmentKind::Work);
        }
        Ok(!is_weekend(date) && !self.off.contains(&date))
    }

    fn next_working_day(&self, date: Date) -> Result<Date, CalendarError> {
        let mut d = date;
        loop {
            d = d.tomorrow().map_err(|_| CalendarError::YearOutOfRange)?;
            check_year(d.year())?;
            if self.is_working_day(d)? {
                return Ok(d);
            }
        }
    }

    /// When the clock starts for a dossier received at `received` (local time): at once if
    /// inside working hours before the cut-off, at the next opening if before opening or in
    /// the lunch break, else at the opening of the next working day.
    pub fn clock_start(&self, received: DateTime) -> Result<DateTime, CalendarError> {
        let h = self.rules.hours;
        let (date, time) = (received.date(), received.time());
        check_year(date.year())?;
        if self.is_working_day(date)? && time < h.cutoff {
            if time < h.morning.0 {
                return Ok(date.to_datetime(h.morning.0));
            }
            if time >= h.morning.1 && time < h.afternoon.0 {
                return Ok(date.to_datetime(h.afternoon.0));
            }
            return Ok(received);
        }
        Ok(self.next_working_day(date)?.to_datetime(h.morning.0))
    }

    /// Moves forward `minutes` of working time from `start` (which must be inside working
    /// hours). A due point that lands exactly on the start of a period is reported as the end
    /// of the previous one: "17:00 Thursday" rather than "07:30 Friday".
    fn add_working_minutes(&self, start: DateTime, mut minutes_left: i64) -> Result<DateTime, CalendarError> {
        let h = self.rules.hours;
        let mut date = start.date();
        let mut from = start.time();
        loop {
            for (open, close) in h.periods() {
                if from >= close {
                    continue;
                }
                let begin = from.max(open);
                let available = minutes(begin, close);
                if minutes_left <= available {
                    let at = begin
                        .checked_add((minutes_left * 60).seconds())
                        .map_err(|_| CalendarError::BadHours("vượt quá giờ trong ngày"))?;
                    return Ok(date.to_datetime(at));
                }
                minutes_left -= available;
            }
            date = self.next_working_day(date)?;
            from = Time::midnight();
        }
    }

    /// The moment `minutes` of working time after `from`, counted from `from` itself (no
    /// afternoon cut-off: for reminders of what is already in hand, not for receptions).
    pub fn working_time_after(&self, from: Timestamp, minutes: i64) -> Result<Timestamp, CalendarError> {
        let tz = vietnam();
        let local = from.to_zoned(tz.clone()).datetime();
        check_year(local.date().year())?;
        let start = if self.is_working_day(local.date())? {
            local
        } else {
            self.next_working_day(local.date())?.to_datetime(Time::midnight())
        };
        let end = self.add_working_minutes(start, minutes.max(0))?;
        tz.to_timestamp(end).map_err(|_| CalendarError::YearOutOfRange)
    }

    /// The due time of a statutory time limit for a dossier received at `received`.
    pub fn due(&self, received: Timestamp, limit: TimeLimit) -> Result<Due, CalendarError> {
        let tz = vietnam();
        let local = received.to_zoned(tz.clone()).datetime();
        let start = self.clock_start(local)?;
        let h = self.rules.hours;
        let due_local = match limit {
            TimeLimit::Immediate => start.date().to_datetime(h.afternoon.1),
            TimeLimit::WorkingDays { value } => {
                self.add_working_minutes(start, i64::from(value) * h.minutes_per_day())?
            }
            TimeLimit::WorkingHours { value } => self.add_working_minutes(start, i64::from(value) * 60)?,
            TimeLimit::CalendarDays { value } => {
                // Civil Code Art. 148: a term ending on a day off ends on the next working day.
                let mut d =
                    start.date().checked_add(i64::from(value).days()).map_err(|_| CalendarError::YearOutOfRange)?;
                check_year(d.year())?;
                if !self.is_working_day(d)? {
                    d = self.next_working_day(d)?;
                }
                d.to_datetime(h.afternoon.1)
            }
        };
        let to_ts = |dt: DateTime| tz.to_timestamp(dt).map_err(|_| CalendarError::YearOutOfRange);
        Ok(Due { received, clock_start: to_ts(start)?, due_at: to_ts(due_local)? })
    }

    /// The instant `minutes` of working time after `from` (the clock starting as for a
    /// dossier received at `from`): used to resume a paused deadline.
    pub fn add_working_minutes_from(&self, from: Timestamp, minutes: i64) -> Result<Timestamp, CalendarError> {
        let tz = vietnam();
        let start = self.clock_start(from.to_zoned(tz.clone()).datetime())?;
        let end = if minutes > 0 { self.add_working_minutes(start, minutes)? } else { start };
        tz.to_timestamp(end).map_err(|_| CalendarError::YearOutOfRange)
    }

    /// Working minutes between two instants (0 if `to` is not after `from`): time used.
    pub fn working_minutes_between(&self, from: Timestamp, to: Timestamp) -> Result<i64, CalendarError> {
        if to <= from {
            return Ok(0);
        }
        let tz = vietnam();
        let (a, b) = (from.to_zoned(tz.clone()).datetime(), to.to_zoned(tz).datetime());
        let h = self.rules.hours;
        let mut total = 0;
        let mut date = a.date();
        while date <= b.date() {
            if self.is_working_day(date)? {
                for (open, close) in h.periods() {
                    let s = date.to_datetime(open).max(a);
                    let e = date.to_datetime(close).min(b);
                    if e > s {
                        // Same date: the difference of the clock times.
                        total += minutes(s.time(), e.time());
                    }
                }
            }
            date = date.tomorrow().map_err(|_| CalendarError::YearOutOfRange)?;
        }
        Ok(total)
    }
}

/// The result of a due-time computation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub received: Timestamp,
    /// When the clock started (next opening after the cut-off, a weekend or a holiday).
    pub clock_start: Timestamp,
    pub due_at: Timestamp,
}

/// Parses the adjustments file (a JSON array of [`Adjustment`]).
pub fn parse_adjustments(json: &str) -> Result<Vec<Adjustment>, CalendarError> {
    let list: Vec<Adjustment> = serde_json::from_str(json).map_err(|e| CalendarError::BadAdjustment(e.to_string()))?;
    list.into_iter().map(Adjustment::check).collect()
}

#[cfg(test)]
mod tests;
