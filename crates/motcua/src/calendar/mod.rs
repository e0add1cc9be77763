//! The working-day calendar: who may change it, and announced working-day swaps checked
//! against the whole calendar before they are kept.

pub mod api;
pub mod source;

use motcua_domain::calendar::{Adjustment, CalendarError};

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

/// Whether the account administers the provincial People's Committee (the province-wide
/// settings: calendar, catalog and workflows).
pub async fn is_province_admin(state: &AppState, account: &motcua_domain::Account) -> AppResult<bool> {
    if account.disabled {
        return Ok(false);
    }
    for r in account.roles.iter().filter(|r| r.role == motcua_domain::Role::Administrator) {
        if let Some(org) = state.store.organisation(&r.org).await?
            && org.kind == motcua_domain::OrgKind::PeoplesCommittee
            && state.store.unit(&org.unit).await?.is_some_and(|u| u.level == 1)
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Adds or changes calendar adjustments (API or administration page): the whole list after.
pub async fn change_adjustments(
    state: &AppState,
    account: &motcua_domain::Account,
    list: Vec<Adjustment>,
) -> AppResult<Vec<Adjustment>> {
    if !is_province_admin(state, account).await? {
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
        state.store.calendar_adjustments().await?.into_iter().map(|a| (a.date, a)).collect();
    for a in &checked {
        merged.insert(a.date, a.clone());
    }
    motcua_domain::calendar::WorkCalendar::new(state.settings.calendar_rules.clone(), merged.into_values().collect())
        .map_err(|e| AppError::bad_request(ErrorCode::InvalidAdjustment, e.to_string()))?;
    state.store.upsert_calendar_adjustments(&checked).await?;
    tracing::info!(account_id = account.id, days = checked.len(), "calendar adjustments changed");
    Ok(state.store.calendar_adjustments().await?)
}
