//! The working-day calendar of a running deployment: rules from configuration, announced
//! adjustments from the database, rebuilt only when those change.

use jiff::Timestamp;
use jiff::civil::Time;
use motcua_domain::calendar::{CalendarError, CalendarRules, NationalDayExtra, WorkCalendar, WorkingHours, vietnam};
use motcua_store::{CALENDAR_VERSION_KEY, SettingsStore, StoreError};
use tokio::sync::RwLock;

/// The embedded announcements (day swaps) shipped with motcua.
pub const ADJUSTMENTS: &str = include_str!("../../../../data/calendar/adjustments-vn.json");

#[derive(Debug, thiserror::Error)]
pub enum CalendarSourceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

pub struct CalendarSource {
    rules: CalendarRules,
    cached: RwLock<Option<(Option<String>, WorkCalendar)>>,
}

impl CalendarSource {
    pub fn new(rules: CalendarRules) -> Self {
        Self { rules, cached: RwLock::new(None) }
    }

    /// The calendar with the adjustments stored now.
    pub async fn current(&self, store: &dyn SettingsStore) -> Result<WorkCalendar, CalendarSourceError> {
        let version = store.meta(CALENDAR_VERSION_KEY).await?;
        self.at(version, store).await
    }

    /// The calendar as of a version of the adjustments the caller has just read (with other
    /// versions, in one statement): rebuilt only when it differs from the one kept.
    pub async fn at(
        &self,
        version: Option<String>,
        store: &dyn SettingsStore,
    ) -> Result<WorkCalendar, CalendarSourceError> {
        if let Some((v, cal)) = self.cached.read().await.as_ref()
            && *v == version
        {
            return Ok(cal.clone());
        }
        let adjustments = store.calendar_adjustments().await?;
        let rules = self.rules.clone();
        // Building works out every year's days off: keep it off the async threads.
        let cal = tokio::task::spawn_blocking(move || WorkCalendar::new(rules, adjustments))
            .await
            .map_err(|_| CalendarError::BadAdjustment("dựng lịch thất bại".into()))??;
        *self.cached.write().await = Some((version, cal.clone()));
        Ok(cal)
    }
}

/// Parses `HH:MM`.
pub fn parse_time(s: &str) -> Result<Time, String> {
    let (h, m) = s.trim().split_once(':').ok_or_else(|| format!("giờ phải có dạng HH:MM: «{s}»"))?;
    let h: i8 = h.parse().map_err(|_| format!("giờ không hợp lệ: «{s}»"))?;
    let m: i8 = m.parse().map_err(|_| format!("phút không hợp lệ: «{s}»"))?;
    Time::new(h, m, 0, 0).map_err(|_| format!("giờ không hợp lệ: «{s}»"))
}

/// Builds the rules from the textual settings (see `CalendarArgs` in the CLI).
pub fn rules_from_settings(
    working_hours: &str,
    cutoff: &str,
    tet_days: &str,
    national_day_extra: &str,
) -> Result<CalendarRules, String> {
    let periods: Vec<(Time, Time)> = working_hours
        .split(',')
        .map(|p| {
            let (a, b) = p.split_once('-').ok_or_else(|| format!("buổi làm việc phải có dạng HH:MM-HH:MM: «{p}»"))?;
            Ok((parse_time(a)?, parse_time(b)?))
        })
        .collect::<Result<_, String>>()?;
    let [morning, afternoon] = periods[..] else {
        return Err("giờ làm việc gồm đúng hai buổi, ví dụ 07:30-11:30,13:30-17:00".into());
    };
    let hours = WorkingHours::new(morning, afternoon, parse_time(cutoff)?).map_err(|e| e.to_string())?;
    let (before, after) = tet_days.split_once(',').ok_or("số ngày nghỉ Tết phải có dạng TRƯỚC,SAU, ví dụ 1,3")?;
    let tet_days_before: u8 = before.trim().parse().map_err(|_| "số ngày nghỉ trước Tết không hợp lệ")?;
    let tet_days_after: u8 = after.trim().parse().map_err(|_| "số ngày nghỉ sau Tết không hợp lệ")?;
    if u16::from(tet_days_before) + u16::from(tet_days_after) > 14 {
        return Err("tổng số ngày nghỉ Tết quá lớn".into());
    }
    let national_day_extra = match national_day_extra {
        "before" => NationalDayExtra::Before,
        "after" => NationalDayExtra::After,
        _ => return Err("ngày nghỉ liền kề Quốc khánh phải là before hoặc after".into()),
    };
    Ok(CalendarRules { tet_days_before, tet_days_after, national_day_extra, hours })
}

/// `2025-03-06T09:00:00+07:00`
pub fn rfc3339_vn(t: Timestamp) -> String {
    t.to_zoned(vietnam()).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// `09:00 06/03/2025`, as Vietnamese forms write it.
pub fn display_vn(t: Timestamp) -> String {
    t.to_zoned(vietnam()).strftime("%H:%M %d/%m/%Y").to_string()
}

/// Parses an RFC 3339 instant; a `+` that a query string turned into a space is put back.
pub fn parse_instant(s: &str) -> Result<Timestamp, String> {
    let s = s.trim();
    s.parse::<Timestamp>()
        .or_else(|_| s.replace(' ', "+").parse::<Timestamp>())
        .map_err(|_| format!("thời điểm phải theo RFC 3339, ví dụ 2025-03-03T09:00:00+07:00: «{s}»"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_parse() {
        let r = rules_from_settings("08:00-12:00,13:00-17:00", "16:00", "2,2", "after").unwrap();
        assert_eq!(r.hours.minutes_per_day(), 480);
        assert_eq!((r.tet_days_before, r.tet_days_after, r.national_day_extra), (2, 2, NationalDayExtra::After));
        assert!(rules_from_settings("08:00-12:00", "16:00", "1,3", "before").is_err());
        assert!(rules_from_settings("08:00-12:00,13:00-17:00", "25:00", "1,3", "before").is_err());
        assert!(rules_from_settings("08:00-12:00,13:00-17:00", "16:00", "1", "before").is_err());
        assert!(rules_from_settings("08:00-12:00,13:00-17:00", "16:00", "1,3", "sometimes").is_err());
    }

    #[test]
    fn instants_and_display() {
        let t = parse_instant("2025-03-03T09:00:00 07:00").unwrap();
        assert_eq!(rfc3339_vn(t), "2025-03-03T09:00:00+07:00");
        assert_eq!(display_vn(t), "09:00 03/03/2025");
        assert_eq!(parse_instant("2025-03-03T02:00:00Z").unwrap(), t);
        assert!(parse_instant("03/03/2025").is_err());
    }
}
