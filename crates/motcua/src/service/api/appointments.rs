//! Appointments at any service point — a centre's desk service, a hospital department, a
//! doctor: the point publishes slots with a capacity, people book, change or cancel with
//! their confirmation code and phone number, staff see the day's list. A slot can never hold
//! more bookings than its capacity, however many book at once (the store takes a place with
//! a conditional update). Confirmations and reminders go through the notification outbox.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::SignedDuration;
use motcua_domain::service::{Capacity, PointCode, PointKind};
use motcua_domain::{OrgCode, Role};
use motcua_store::service::{NewSlot, ServicePoint};
use serde::{Deserialize, Serialize};

use crate::api::error::{ApiResult, AppError, ErrorBody};
use crate::api::extract::{ApiJson, ApiPath, ApiQuery};
use crate::app::AppState;
use crate::app::ErrorCode;
use crate::edge::{CurrentAccount, MaybeAccount};
use crate::service::appointments::*;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PointsParams {
    /// Only this organisation's points.
    pub org: Option<String>,
}

/// The points that take appointments (active ones).
#[utoipa::path(get, path = "/api/v1/appointments/points", tag = "appointments", params(PointsParams),
    responses((status = 200, body = Vec<PointView>), (status = 400, body = ErrorBody)))]
pub async fn list_points(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PointsParams>,
) -> ApiResult<Json<Vec<PointView>>> {
    let org = q.org.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(OrgCode::parse).transpose()?;
    let appointments = Appointments::of(&state);
    let mut out = Vec::new();
    for p in appointments.points(org.as_ref()).await?.iter().filter(|p| p.active) {
        out.push(appointments.point_view(p).await?);
    }
    Ok(Json(out))
}

/// One point.
#[utoipa::path(get, path = "/api/v1/appointments/points/{code}", tag = "appointments",
    params(("code" = String, Path, description = "Mã điểm hẹn")),
    responses((status = 200, body = PointView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_point(State(state): State<AppState>, ApiPath(code): ApiPath<String>) -> ApiResult<Json<PointView>> {
    let p = Appointments::of(&state).point_of(&code).await?;
    Ok(Json(Appointments::of(&state).point_view(&p).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointRequest {
    pub org: String,
    pub name: String,
    pub kind: PointKind,
    #[serde(default)]
    pub description: String,
    #[schema(value_type = Option<String>)]
    pub parent: Option<PointCode>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// Creates or changes a point (administrators of its organisation).
#[utoipa::path(put, path = "/api/v1/appointments/points/{code}", tag = "appointments", request_body = PointRequest,
    params(("code" = String, Path, description = "Mã điểm hẹn")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = PointView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_point(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath(code): ApiPath<String>,
    ApiJson(req): ApiJson<PointRequest>,
) -> ApiResult<Json<PointView>> {
    let code = PointCode::parse(&code)?;
    let org = OrgCode::parse(&req.org)?;
    if !current.account.can_act(&org, Role::Administrator) {
        return Err(AppError::forbidden());
    }
    let p = ServicePoint {
        code,
        org,
        name: text(&req.name, "Tên điểm hẹn", 200, true)?,
        kind: req.kind,
        description: text(&req.description, "Mô tả", 1000, false)?,
        parent: req.parent,
        active: req.active,
    };
    let appointments = Appointments::of(&state);
    appointments.save_point(&current.account, &p).await?;
    Ok(Json(appointments.point_view(&p).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlotsParams {
    /// First day, `dd/mm/yyyy` or `yyyy-mm-dd` (default today).
    pub from: Option<String>,
    /// How many days (1–62, default 7).
    pub days: Option<i64>,
}

/// A point's slots with their free places (public).
#[utoipa::path(get, path = "/api/v1/appointments/points/{code}/slots", tag = "appointments",
    params(("code" = String, Path, description = "Mã điểm hẹn"), SlotsParams),
    responses((status = 200, body = Vec<SlotView>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_slots(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<SlotsParams>,
) -> ApiResult<Json<Vec<SlotView>>> {
    let p = Appointments::of(&state).point_of(&code).await?;
    let from = day_or(q.from.as_deref(), crate::statistics::figures::today())?;
    let days = q.days.unwrap_or(7);
    if !(1..=62).contains(&days) {
        return Err(AppError::bad_request(ErrorCode::InvalidQuery, "Số ngày phải từ 1 đến 62"));
    }
    Ok(Json(Appointments::of(&state).upcoming_slots(&p, from, days).await?.iter().map(slot_view).collect()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// First day, `dd/mm/yyyy` or `yyyy-mm-dd`.
    pub from: String,
    /// Last day (at most 92 days after the first).
    pub to: String,
    /// Start times of the day's slots, `HH:MM`.
    pub times: Vec<String>,
    /// Length of a slot, 5–480 minutes.
    pub minutes: i64,
    /// Places in each slot, 1–500.
    pub capacity: i64,
    /// Skip days off of the Vietnamese working calendar (default true).
    #[serde(default = "yes")]
    pub working_days_only: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Published {
    /// Slots added (one that already started at the same time is kept as it was).
    pub added: u64,
    /// Slots asked for.
    pub asked: u64,
}

/// Slots for days × times (administrators and desk officers of the point's organisation).
#[utoipa::path(post, path = "/api/v1/appointments/points/{code}/slots", tag = "appointments",
    request_body = PublishRequest, params(("code" = String, Path, description = "Mã điểm hẹn")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, body = Published), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn publish_slots(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath(code): ApiPath<String>,
    ApiJson(req): ApiJson<PublishRequest>,
) -> ApiResult<(StatusCode, Json<Published>)> {
    let p = Appointments::of(&state).point_of(&code).await?;
    if !staff_of(&current.account, &p) {
        return Err(AppError::forbidden());
    }
    let from = day_or(Some(&req.from), crate::statistics::figures::today())?;
    let to = day_or(Some(&req.to), from)?;
    if to < from || (to - from).get_days() > 92 {
        return Err(AppError::bad_request(
            ErrorCode::InvalidDate,
            "Ngày kết thúc phải sau ngày bắt đầu, tối đa 92 ngày",
        ));
    }
    if !(5..=480).contains(&req.minutes) {
        return Err(AppError::bad_request(ErrorCode::InvalidSlot, "Độ dài khung giờ phải từ 5 đến 480 phút"));
    }
    let capacity = Capacity::parse(req.capacity)?;
    if req.times.is_empty() || req.times.len() > 96 {
        return Err(AppError::bad_request(ErrorCode::InvalidSlot, "Cần từ 1 đến 96 giờ bắt đầu"));
    }
    let mut times = Vec::new();
    for t in &req.times {
        let time =
            crate::calendar::source::parse_time(t).map_err(|e| AppError::bad_request(ErrorCode::InvalidSlot, e))?;
        times.push(time);
    }
    times.sort();
    times.dedup();
    let calendar = state.work_calendar().await?;
    let mut slots = Vec::new();
    let mut day = from;
    while day <= to {
        if !req.working_days_only || calendar.is_working_day(day)? {
            for t in &times {
                let starts_at = vn().to_timestamp(day.to_datetime(*t)).map_err(|_| {
                    AppError::bad_request(ErrorCode::InvalidDate, "Ngày giờ nằm ngoài phạm vi cho phép")
                })?;
                slots.push(NewSlot {
                    starts_at,
                    ends_at: starts_at + SignedDuration::from_mins(req.minutes),
                    capacity,
                });
            }
        }
        let Ok(next) = day.tomorrow() else { break };
        day = next;
    }
    let added = Appointments::of(&state).add_slots(&current.account, &p, &slots).await?;
    Ok((StatusCode::CREATED, Json(Published { added, asked: slots.len() as u64 })))
}

/// Books a place in a slot (anyone; a signed-in citizen's booking is linked to the account).
#[utoipa::path(post, path = "/api/v1/appointments", tag = "appointments", request_body = BookRequest,
    responses((status = 201, body = BookingView), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn book(
    State(state): State<AppState>,
    MaybeAccount(account): MaybeAccount,
    ApiJson(req): ApiJson<BookRequest>,
) -> ApiResult<(StatusCode, Json<BookingView>)> {
    let b = Appointments::of(&state).make_booking(account.as_ref(), req).await?;
    Ok((StatusCode::CREATED, Json(Appointments::of(&state).booking_view(&b, true).await?)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HolderParams {
    /// The phone number given when booking.
    pub phone: Option<String>,
}

/// A booking, by its code and the phone number it was made with.
#[utoipa::path(get, path = "/api/v1/appointments/{code}", tag = "appointments",
    params(("code" = String, Path, description = "Mã xác nhận"), HolderParams),
    responses((status = 200, body = BookingView), (status = 404, body = ErrorBody)))]
pub async fn get_booking(
    State(state): State<AppState>,
    MaybeAccount(account): MaybeAccount,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<HolderParams>,
) -> ApiResult<Json<BookingView>> {
    let (b, staff) = Appointments::of(&state).booking_for(&code, q.phone.as_deref(), account.as_ref()).await?;
    Ok(Json(Appointments::of(&state).booking_view(&b, staff).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleRequest {
    pub phone: Option<String>,
    /// Another slot of the same point.
    pub slot_id: i64,
}

/// Moves a booking to another slot of its point (code and phone, or the citizen who booked).
#[utoipa::path(post, path = "/api/v1/appointments/{code}/reschedule", tag = "appointments",
    request_body = RescheduleRequest, params(("code" = String, Path, description = "Mã xác nhận")),
    responses((status = 200, body = BookingView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn reschedule(
    State(state): State<AppState>,
    MaybeAccount(account): MaybeAccount,
    ApiPath(code): ApiPath<String>,
    ApiJson(req): ApiJson<RescheduleRequest>,
) -> ApiResult<Json<BookingView>> {
    let (b, staff) = Appointments::of(&state).booking_for(&code, req.phone.as_deref(), account.as_ref()).await?;
    let moved = Appointments::of(&state).move_booking(&b, req.slot_id).await?;
    Ok(Json(Appointments::of(&state).booking_view(&moved, staff).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HolderRequest {
    pub phone: Option<String>,
}

/// Cancels a booking (code and phone, the citizen who booked, or staff of the point).
#[utoipa::path(post, path = "/api/v1/appointments/{code}/cancel", tag = "appointments", request_body = HolderRequest,
    params(("code" = String, Path, description = "Mã xác nhận")),
    responses((status = 200, body = BookingView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    MaybeAccount(account): MaybeAccount,
    ApiPath(code): ApiPath<String>,
    ApiJson(req): ApiJson<HolderRequest>,
) -> ApiResult<Json<BookingView>> {
    let (b, staff) = Appointments::of(&state).booking_for(&code, req.phone.as_deref(), account.as_ref()).await?;
    Appointments::of(&state).cancel_booking(&b).await?;
    let b = Appointments::of(&state).reload(b).await?;
    Ok(Json(Appointments::of(&state).booking_view(&b, staff).await?))
}

/// Marks that the person came (staff of the point).
#[utoipa::path(post, path = "/api/v1/appointments/{code}/attend", tag = "appointments",
    params(("code" = String, Path, description = "Mã xác nhận")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = BookingView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn attend(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<Json<BookingView>> {
    let (b, staff) = Appointments::of(&state).booking_for(&code, None, Some(&current.account)).await?;
    if !staff {
        return Err(AppError::forbidden());
    }
    let b = Appointments::of(&state).attend(&current.account, b).await?;
    Ok(Json(Appointments::of(&state).booking_view(&b, true).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayParams {
    /// The day, `dd/mm/yyyy` or `yyyy-mm-dd` (default today).
    pub date: Option<String>,
}

/// The day's list at a point (administrators and desk officers of its organisation).
#[utoipa::path(get, path = "/api/v1/appointments/points/{code}/day", tag = "appointments",
    params(("code" = String, Path, description = "Mã điểm hẹn"), DayParams),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = Vec<BookingView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn day_list(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<DayParams>,
) -> ApiResult<Json<Vec<BookingView>>> {
    let p = Appointments::of(&state).point_of(&code).await?;
    if !staff_of(&current.account, &p) {
        return Err(AppError::forbidden());
    }
    let day = day_or(q.date.as_deref(), crate::statistics::figures::today())?;
    let mut out = Vec::new();
    for b in Appointments::of(&state).day_bookings(&p, day).await? {
        out.push(Appointments::of(&state).booking_view(&b, true).await?);
    }
    Ok(Json(out))
}
