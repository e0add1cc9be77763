//! The working-day calendar: who may change it, and announced working-day swaps checked
//! against the whole calendar before they are kept.

pub mod api;
pub mod source;

use motcua_domain::calendar::{Adjustment, CalendarError, CalendarRules};
use motcua_store::{CatalogStore, SettingsStore};

use crate::app::{AppError, AppResult, AppState, ErrorCode};
use crate::calendar::source::CalendarSourceError;

impl From<CalendarSourceError> for AppError {
    fn from(e: CalendarSourceError) -> Self {
        match e {
            CalendarSourceError::Store(s) => s.into(),
            CalendarSourceError::Calendar(c) => c.into(),
        }
    }
}

impl From<CalendarError> for AppError {
    fn from(e: CalendarError) -> Self {
        match e {
            CalendarError::YearOutOfRange => AppError::bad_request(ErrorCode::YearOutOfRange, e.to_string()),
            other => {
                tracing::error!(error = %other, "calendar");
                AppError::internal()
            }
        }
    }
}

/// The calendar's use cases, holding the catalog (to know who administers the province)
/// and the province's settings (the adjustments), with the calendar's fixed rules.
pub struct Calendars<'a> {
    catalog: &'a dyn CatalogStore,
    settings: &'a dyn SettingsStore,
    rules: &'a CalendarRules,
}

impl<'a> Calendars<'a> {
    pub fn of(state: &'a AppState) -> Self {
        Self { catalog: state.store.as_ref(), settings: state.store.as_ref(), rules: &state.settings.calendar_rules }
    }

    /// Whether the account administers the provincial People's Committee (the province-wide
    /// settings: calendar, catalog and workflows).
    pub async fn is_province_admin(&self, account: &motcua_domain::Account) -> AppResult<bool> {
        if account.disabled {
            return Ok(false);
        }
        for r in account.roles.iter().filter(|r| r.role == motcua_domain::Role::Administrator) {
            if let Some(org) = self.catalog.organisation(&r.org).await?
                && org.kind == motcua_domain::OrgKind::PeoplesCommittee
                && self.catalog.unit(&org.unit).await?.is_some_and(|u| u.level == 1)
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The announced day swaps and extra days off, in date order.
    pub async fn adjustments(&self) -> AppResult<Vec<Adjustment>> {
        Ok(self.settings.calendar_adjustments().await?)
    }

    /// Adds or changes calendar adjustments (API or administration page): the whole list after.
    pub async fn change_adjustments(
        &self,
        account: &motcua_domain::Account,
        list: Vec<Adjustment>,
    ) -> AppResult<Vec<Adjustment>> {
        if !self.is_province_admin(account).await? {
            return Err(AppError::forbidden());
        }
        if list.is_empty() || list.len() > 366 {
            return Err(AppError::bad_request(ErrorCode::InvalidBody, "Cần từ 1 đến 366 ngày điều chỉnh"));
        }
        let checked: Vec<Adjustment> = list
            .into_iter()
            .map(Adjustment::check)
            .collect::<Result<_, _>>()
            .map_err(|e| AppError::bad_request(ErrorCode::InvalidAdjustment, e.to_string()))?;
        // A date given twice in one request is a mistake, not "last one wins".
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = checked.iter().find(|a| !seen.insert(a.date)) {
            return Err(AppError::bad_request(
                ErrorCode::InvalidAdjustment,
                format!("Ngày {} được điều chỉnh hai lần", dup.date),
            ));
        }
        // The merged list must make a valid calendar.
        let mut merged: std::collections::BTreeMap<_, _> =
            self.settings.calendar_adjustments().await?.into_iter().map(|a| (a.date, a)).collect();
        for a in &checked {
            merged.insert(a.date, a.clone());
        }
        motcua_domain::calendar::WorkCalendar::new(self.rules.clone(), merged.into_values().collect())
            .map_err(|e| AppError::bad_request(ErrorCode::InvalidAdjustment, e.to_string()))?;
        self.settings.upsert_calendar_adjustments(&checked).await?;
        tracing::info!(account_id = account.id, days = checked.len(), "calendar adjustments changed");
        Ok(self.settings.calendar_adjustments().await?)
    }
}
