//! Statistics for the operations centre: the service over the store, and the clock its
//! figures are counted at (today, and the working days ahead).

pub mod api;
pub mod figures;
pub mod pages;

use jiff::Timestamp;

use crate::app::{AppError, AppResult, AppState, ErrorCode};
use crate::statistics::figures::{Stats, StatsError, clock};

impl From<StatsError> for AppError {
    fn from(e: StatsError) -> Self {
        match e {
            StatsError::Store(s) => s.into(),
            StatsError::BadFilter(m) => AppError::bad_request(ErrorCode::InvalidFilter, m),
        }
    }
}

pub fn service(state: &AppState) -> Stats {
    Stats::new(state.store.clone(), state.store.clone(), state.settings.stats.clone())
}

pub async fn now_clock(state: &AppState) -> AppResult<motcua_store::stats::Clock> {
    let cal = state.work_calendar().await.map_err(|_| AppError::internal())?;
    Ok(clock(&cal, Timestamp::now()))
}
