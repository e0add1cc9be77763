//! The working-day calendar over HTTP: holidays of a year, due times, announced swaps.

use axum::Json;
use axum::extract::State;
use motcua_domain::TimeLimit;
use motcua_domain::calendar::{Adjustment, Holiday};
use serde::{Deserialize, Serialize};

use crate::api::error::{ApiResult, AppError, ErrorBody};
use crate::api::extract::{ApiJson, ApiQuery};
use crate::app::AppState;
use crate::app::ErrorCode;
use crate::calendar::Calendars;
use crate::calendar::source::{display_vn, parse_instant, rfc3339_vn};
use crate::edge::CurrentAccount;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HolidaysQuery {
    /// Năm dương lịch, 1990–2100.
    pub year: i16,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HolidaysResponse {
    pub year: i16,
    /// Ngày nghỉ ngoài thứ Bảy, Chủ nhật thông thường (kể cả ngày lễ trùng cuối tuần).
    pub holidays: Vec<Holiday>,
    /// Ngày cuối tuần phải đi làm bù.
    pub working_weekend_days: Vec<Adjustment>,
}

/// Days off of a year: statutory holidays, compensatory days, announced changes.
#[utoipa::path(get, path = "/api/v1/calendar/holidays", tag = "calendar", params(HolidaysQuery),
    responses((status = 200, body = HolidaysResponse), (status = 400, body = ErrorBody)))]
pub async fn holidays(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<HolidaysQuery>,
) -> ApiResult<Json<HolidaysResponse>> {
    let cal = state.work_calendar().await?;
    let holidays = cal.holidays(q.year)?;
    let working_weekend_days = cal.working_weekend_days(q.year).into_iter().cloned().collect();
    Ok(Json(HolidaysResponse { year: q.year, holidays, working_weekend_days }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DueQuery {
    /// Thời điểm tiếp nhận, RFC 3339 (ví dụ 2025-03-03T09:00:00+07:00).
    pub from: String,
    /// Số ngày làm việc.
    pub days: Option<u16>,
    /// Số giờ làm việc.
    pub hours: Option<u16>,
    /// Số ngày theo lịch (khi luật ghi "ngày").
    pub calendar_days: Option<u16>,
    /// `true`: giải quyết ngay trong ngày.
    pub immediate: Option<bool>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DueResponse {
    /// Thời điểm tiếp nhận (giờ Việt Nam).
    pub received_at: String,
    /// Thời điểm bắt đầu tính thời hạn (sau giờ chốt, ngày nghỉ: sang ngày làm việc kế tiếp).
    pub clock_start: String,
    /// Hạn giải quyết (RFC 3339, giờ Việt Nam).
    pub due_at: String,
    /// Hạn giải quyết dạng "HH:MM dd/mm/yyyy".
    pub due_at_display: String,
    /// Thời hạn, bằng lời.
    pub time_limit: String,
}

/// Due time of a time limit for something received at `from`.
#[utoipa::path(get, path = "/api/v1/calendar/due", tag = "calendar", params(DueQuery),
    responses((status = 200, body = DueResponse), (status = 400, body = ErrorBody)))]
pub async fn due(State(state): State<AppState>, ApiQuery(q): ApiQuery<DueQuery>) -> ApiResult<Json<DueResponse>> {
    let from = parse_instant(&q.from).map_err(|m| AppError::bad_request(ErrorCode::InvalidQuery, m))?;
    let limits: Vec<Result<TimeLimit, motcua_domain::DomainError>> = [
        q.days.map(TimeLimit::working_days),
        q.hours.map(TimeLimit::working_hours),
        q.calendar_days.map(TimeLimit::calendar_days),
        q.immediate.filter(|i| *i).map(|_| Ok(TimeLimit::Immediate)),
    ]
    .into_iter()
    .flatten()
    .collect();
    let [limit] = &limits[..] else {
        return Err(AppError::bad_request(
            ErrorCode::InvalidQuery,
            "Cần đúng một trong các tham số days, hours, calendar_days hoặc immediate=true",
        ));
    };
    let limit = limit.clone()?;
    let cal = state.work_calendar().await?;
    let d = cal.due(from, limit)?;
    Ok(Json(DueResponse {
        received_at: rfc3339_vn(d.received),
        clock_start: rfc3339_vn(d.clock_start),
        due_at: rfc3339_vn(d.due_at),
        due_at_display: display_vn(d.due_at),
        time_limit: limit.to_string(),
    }))
}

/// The announced day swaps and extra days off in force.
#[utoipa::path(get, path = "/api/v1/calendar/adjustments", tag = "calendar",
    responses((status = 200, body = Vec<Adjustment>)))]
pub async fn adjustments(State(state): State<AppState>) -> ApiResult<Json<Vec<Adjustment>>> {
    Ok(Json(Calendars::of(&state).adjustments().await?))
}

/// Adds or replaces announced day swaps (by date). Only an administrator of a province-level
/// People's Committee may change the province's calendar.
#[utoipa::path(put, path = "/api/v1/calendar/adjustments", tag = "calendar", request_body = Vec<Adjustment>,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = Vec<Adjustment>, description = "Danh sách sau khi cập nhật"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn put_adjustments(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiJson(list): ApiJson<Vec<Adjustment>>,
) -> ApiResult<Json<Vec<Adjustment>>> {
    Ok(Json(Calendars::of(&state).change_adjustments(&current.account, list).await?))
}
