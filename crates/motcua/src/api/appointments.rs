//! Appointments at any service point — a centre's desk service, a hospital department, a
//! doctor: the point publishes slots with a capacity, people book, change or cancel with
//! their confirmation code and phone number, staff see the day's list. A slot can never hold
//! more bookings than its capacity, however many book at once (the store takes a place with
//! a conditional update). Confirmations and reminders go through the notification outbox.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use motcua_domain::service::{Capacity, ConfirmationCode, PointCode, PointKind};
use motcua_domain::{Account, AccountKind, Email, OrgCode, Phone, Role};
use motcua_store::StoreError;
use motcua_store::service::{Appointment, AppointmentStatus, BookOutcome, Booking, NewSlot, ServicePoint, Slot};
use serde::{Deserialize, Serialize};

use super::accounts::{CurrentAccount, MaybeAccount};
use super::error::{ApiResult, AppError, ErrorBody, Kind};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::app::AppState;
use crate::app::ErrorCode;
use crate::calendar::rfc3339_vn;
use crate::service::{AppointmentNews, appointment_messages};

fn vn() -> jiff::tz::TimeZone {
    motcua_domain::calendar::vietnam()
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PointView {
    #[schema(value_type = String)]
    pub code: PointCode,
    pub org: String,
    pub org_name: String,
    pub name: String,
    pub kind: PointKind,
    pub kind_label: String,
    pub description: String,
    #[schema(value_type = Option<String>)]
    pub parent: Option<PointCode>,
    pub active: bool,
}

pub async fn point_view(state: &AppState, p: &ServicePoint) -> ApiResult<PointView> {
    let org_name = state.store.organisation(&p.org).await?.map_or_else(|| p.org.to_string(), |o| o.name.to_string());
    Ok(PointView {
        code: p.code.clone(),
        org: p.org.to_string(),
        org_name,
        name: p.name.clone(),
        kind: p.kind,
        kind_label: p.kind.label_vi().to_owned(),
        description: p.description.clone(),
        parent: p.parent.clone(),
        active: p.active,
    })
}

pub async fn point_of(state: &AppState, code: &str) -> ApiResult<ServicePoint> {
    let code = PointCode::parse(code)?;
    state.store.point(&code).await?.ok_or_else(|| AppError::not_found(format!("Không có điểm hẹn {code}")))
}

#[derive(Deserialize, utoipa::IntoParams)]
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
    let mut out = Vec::new();
    for p in state.store.points(org.as_ref()).await?.iter().filter(|p| p.active) {
        out.push(point_view(&state, p).await?);
    }
    Ok(Json(out))
}

/// One point.
#[utoipa::path(get, path = "/api/v1/appointments/points/{code}", tag = "appointments",
    params(("code" = String, Path, description = "Mã điểm hẹn")),
    responses((status = 200, body = PointView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_point(State(state): State<AppState>, ApiPath(code): ApiPath<String>) -> ApiResult<Json<PointView>> {
    let p = point_of(&state, &code).await?;
    Ok(Json(point_view(&state, &p).await?))
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

fn text(v: &str, what: &str, max: usize, required: bool) -> ApiResult<String> {
    let v = motcua_domain::text::nfc(v.trim());
    if (required && v.is_empty()) || v.chars().count() > max || v.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AppError::bad_request(ErrorCode::InvalidText, format!("{what}: bắt buộc, tối đa {max} ký tự")));
    }
    Ok(v)
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
    if let Some(old) = state.store.point(&code).await?
        && !current.account.can_act(&old.org, Role::Administrator)
    {
        return Err(AppError::forbidden());
    }
    if state.store.organisation(&org).await?.is_none() {
        return Err(AppError::new(Kind::Unprocessable, ErrorCode::MissingReference, "Không có cơ quan này"));
    }
    if let Some(parent) = &req.parent
        && (parent == &code || state.store.point(parent).await?.is_none())
    {
        return Err(AppError::new(Kind::Unprocessable, ErrorCode::MissingReference, "Điểm hẹn cha không hợp lệ"));
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
    state.store.upsert_point(&p).await?;
    Ok(Json(point_view(&state, &p).await?))
}

#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct SlotView {
    pub id: i64,
    /// RFC 3339, Vietnam time.
    pub starts_at: String,
    pub ends_at: String,
    /// `dd/mm/yyyy`
    pub date: String,
    /// `HH:MM–HH:MM`
    pub time: String,
    pub capacity: i64,
    pub free: i64,
}

pub fn slot_view(s: &Slot) -> SlotView {
    let z = s.starts_at.to_zoned(vn());
    let e = s.ends_at.to_zoned(vn());
    SlotView {
        id: s.id,
        starts_at: rfc3339_vn(s.starts_at),
        ends_at: rfc3339_vn(s.ends_at),
        date: z.strftime("%d/%m/%Y").to_string(),
        time: format!("{}–{}", z.strftime("%H:%M"), e.strftime("%H:%M")),
        capacity: s.capacity,
        free: (s.capacity - s.booked).max(0),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct SlotsParams {
    /// First day, `dd/mm/yyyy` or `yyyy-mm-dd` (default today).
    pub from: Option<String>,
    /// How many days (1–62, default 7).
    pub days: Option<i64>,
}

/// The slots of days `[from, from + days)` that have not started.
pub async fn upcoming_slots(state: &AppState, p: &ServicePoint, from: Date, days: i64) -> ApiResult<Vec<Slot>> {
    let start = motcua_domain::stats::vietnam_midnight(from).max(Timestamp::now());
    let end = motcua_domain::stats::vietnam_midnight(from) + SignedDuration::from_hours(24 * days);
    Ok(state.store.slots(&p.code, start, end).await?)
}

fn day_or(v: Option<&str>, default: Date) -> ApiResult<Date> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => crate::stats::parse_date(s).ok_or_else(|| {
            AppError::bad_request(ErrorCode::InvalidDate, format!("Ngày không hợp lệ: «{s}» (dd/mm/yyyy)"))
        }),
    }
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
    let p = point_of(&state, &code).await?;
    let from = day_or(q.from.as_deref(), crate::stats::today())?;
    let days = q.days.unwrap_or(7);
    if !(1..=62).contains(&days) {
        return Err(AppError::bad_request(ErrorCode::InvalidQuery, "Số ngày phải từ 1 đến 62"));
    }
    Ok(Json(upcoming_slots(&state, &p, from, days).await?.iter().map(slot_view).collect()))
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

/// Staff who may publish slots and see the bookings: an administrator or desk officer of the
/// point's organisation.
fn staff_of(account: &Account, p: &ServicePoint) -> bool {
    account.can_act(&p.org, Role::Administrator) || account.can_act(&p.org, Role::DeskOfficer)
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
    let p = point_of(&state, &code).await?;
    if !staff_of(&current.account, &p) {
        return Err(AppError::forbidden());
    }
    let from = day_or(Some(&req.from), crate::stats::today())?;
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
        let time = crate::calendar::parse_time(t).map_err(|e| AppError::bad_request(ErrorCode::InvalidSlot, e))?;
        times.push(time);
    }
    times.sort();
    times.dedup();
    let calendar = state.calendar.current(&state.store).await?;
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
    let added = state.store.add_slots(&p.code, &slots).await?;
    Ok((StatusCode::CREATED, Json(Published { added, asked: slots.len() as u64 })))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct BookingView {
    /// The confirmation code.
    pub code: String,
    /// `booked`, `cancelled`, `attended`
    pub status: String,
    pub full_name: String,
    /// Masked unless staff of the point ask (`09******78`).
    pub phone: String,
    pub note: String,
    pub point: PointView,
    pub slot: SlotView,
}

pub async fn booking_view(state: &AppState, b: &Booking, full_phone: bool) -> ApiResult<BookingView> {
    Ok(BookingView {
        code: b.appointment.code.to_string(),
        status: b.appointment.status.as_str().to_owned(),
        full_name: b.appointment.full_name.clone(),
        phone: if full_phone { b.appointment.phone.clone() } else { crate::notify::mask_phone(&b.appointment.phone) },
        note: b.appointment.note.clone(),
        point: point_view(state, &b.point).await?,
        slot: slot_view(&b.slot),
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookRequest {
    pub slot_id: i64,
    pub full_name: String,
    pub phone: String,
    pub email: Option<String>,
    /// What the visit is about (at most 500 characters).
    #[serde(default)]
    pub note: String,
}

fn refused(outcome: BookOutcome) -> AppError {
    match outcome {
        BookOutcome::Full => {
            AppError::new(Kind::Conflict, ErrorCode::SlotFull, "Khung giờ này đã hết chỗ, vui lòng chọn khung giờ khác")
        }
        BookOutcome::NoSlot => AppError::new(
            Kind::Conflict,
            ErrorCode::SlotUnavailable,
            "Khung giờ không còn nhận đặt lịch (đã qua hoặc không có)",
        ),
        BookOutcome::NotActive | BookOutcome::Booked(_) => {
            AppError::new(Kind::Conflict, ErrorCode::AppointmentNotActive, "Lịch hẹn đã hủy hoặc đã hoàn thành")
        }
    }
}

/// Books a place: the booking, or the error to answer with.
pub async fn make_booking(state: &AppState, account: Option<&Account>, req: BookRequest) -> ApiResult<Booking> {
    let full_name = text(&req.full_name, "Họ và tên", 100, true)?;
    let phone = Phone::parse(&req.phone)?;
    let email = req.email.as_deref().map(str::trim).filter(|e| !e.is_empty()).map(Email::parse).transpose()?;
    let note = text(&req.note, "Nội dung", 500, false)?;
    let now = Timestamp::now();
    for _ in 0..5 {
        let code = crate::service::new_confirmation_code().map_err(|_| AppError::internal())?;
        let appointment = Appointment {
            code: code.clone(),
            slot_id: req.slot_id,
            full_name: full_name.clone(),
            phone: phone.as_str().to_owned(),
            email: email.as_ref().map(|e| e.as_str().to_owned()),
            note: note.clone(),
            account_id: account.filter(|a| a.kind == AccountKind::Citizen).map(|a| a.id),
            status: AppointmentStatus::Booked,
            created_at: now,
            updated_at: now,
            reminded_for: None,
        };
        // The messages need the slot and point: build them from what the booking will be.
        let preview = preview(state, &appointment).await?;
        let notes = appointment_messages(AppointmentNews::Booked, &preview, state.email_on(), state.public_url());
        match state.store.book(req.slot_id, &appointment, &notes, now).await {
            Ok(BookOutcome::Booked(b)) => {
                tracing::info!(slot = req.slot_id, "appointment booked");
                return Ok(*b);
            }
            Ok(other) => return Err(refused(other)),
            // A confirmation code already taken: draw another.
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::internal())
}

/// The booking an appointment would make in its slot (for its messages).
async fn preview(state: &AppState, a: &Appointment) -> ApiResult<Booking> {
    let slot = state.store.slot(a.slot_id).await?.ok_or_else(|| refused(BookOutcome::NoSlot))?;
    let point = state.store.point(&slot.point).await?.ok_or_else(|| refused(BookOutcome::NoSlot))?;
    Ok(Booking { appointment: a.clone(), slot, point })
}

/// Books a place in a slot (anyone; a signed-in citizen's booking is linked to the account).
#[utoipa::path(post, path = "/api/v1/appointments", tag = "appointments", request_body = BookRequest,
    responses((status = 201, body = BookingView), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn book(
    State(state): State<AppState>,
    MaybeAccount(account): MaybeAccount,
    ApiJson(req): ApiJson<BookRequest>,
) -> ApiResult<(StatusCode, Json<BookingView>)> {
    let b = make_booking(&state, account.as_ref(), req).await?;
    Ok((StatusCode::CREATED, Json(booking_view(&state, &b, true).await?)))
}

/// Who may see or change a booking: whoever has its code and phone number, the citizen who
/// booked it signed in, and staff of the point. Anyone else gets the same 404 as for a code
/// that does not exist.
pub async fn booking_for(
    state: &AppState,
    code: &str,
    phone: Option<&str>,
    account: Option<&Account>,
) -> ApiResult<(Booking, bool)> {
    let not_found = || AppError::not_found("Không tìm thấy lịch hẹn với mã và số điện thoại này");
    let code = ConfirmationCode::parse(code).map_err(|_| not_found())?;
    let b = state.store.booking(&code).await?.ok_or_else(not_found)?;
    let staff = account.is_some_and(|a| staff_of(a, &b.point));
    let owner = account.is_some_and(|a| Some(a.id) == b.appointment.account_id);
    let phone_ok = phone.and_then(|p| Phone::parse(p).ok()).is_some_and(|p| p.as_str() == b.appointment.phone);
    if staff || owner || phone_ok { Ok((b, staff)) } else { Err(not_found()) }
}

#[derive(Deserialize, utoipa::IntoParams)]
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
    let (b, staff) = booking_for(&state, &code, q.phone.as_deref(), account.as_ref()).await?;
    Ok(Json(booking_view(&state, &b, staff).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleRequest {
    pub phone: Option<String>,
    /// Another slot of the same point.
    pub slot_id: i64,
}

/// Moves a booking to another slot of the point.
pub async fn move_booking(state: &AppState, b: &Booking, slot_id: i64) -> ApiResult<Booking> {
    let mut target = b.clone();
    target.slot = state.store.slot(slot_id).await?.ok_or_else(|| refused(BookOutcome::NoSlot))?;
    let notes = appointment_messages(AppointmentNews::Moved, &target, state.email_on(), state.public_url());
    match state.store.reschedule(&b.appointment.code, slot_id, &notes, Timestamp::now()).await? {
        BookOutcome::Booked(moved) => Ok(*moved),
        other => Err(refused(other)),
    }
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
    let (b, staff) = booking_for(&state, &code, req.phone.as_deref(), account.as_ref()).await?;
    let moved = move_booking(&state, &b, req.slot_id).await?;
    Ok(Json(booking_view(&state, &moved, staff).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HolderRequest {
    pub phone: Option<String>,
}

/// Cancels a booking and gives its place back.
pub async fn cancel_booking(state: &AppState, b: &Booking) -> ApiResult<()> {
    let notes = appointment_messages(AppointmentNews::Cancelled, b, state.email_on(), state.public_url());
    if state.store.cancel_appointment(&b.appointment.code, &notes, Timestamp::now()).await? {
        Ok(())
    } else {
        Err(refused(BookOutcome::NotActive))
    }
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
    let (b, staff) = booking_for(&state, &code, req.phone.as_deref(), account.as_ref()).await?;
    cancel_booking(&state, &b).await?;
    let b = state.store.booking(&b.appointment.code).await?.unwrap_or(b);
    Ok(Json(booking_view(&state, &b, staff).await?))
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
    let (b, staff) = booking_for(&state, &code, None, Some(&current.account)).await?;
    if !staff {
        return Err(AppError::forbidden());
    }
    if !state.store.attend_appointment(&b.appointment.code, Timestamp::now()).await? {
        return Err(refused(BookOutcome::NotActive));
    }
    let b = state.store.booking(&b.appointment.code).await?.unwrap_or(b);
    Ok(Json(booking_view(&state, &b, true).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct DayParams {
    /// The day, `dd/mm/yyyy` or `yyyy-mm-dd` (default today).
    pub date: Option<String>,
}

/// The bookings of a day at a point (staff of the point), by time.
pub async fn day_bookings(state: &AppState, p: &ServicePoint, day: Date) -> ApiResult<Vec<Booking>> {
    let start = motcua_domain::stats::vietnam_midnight(day);
    Ok(state.store.appointments_between(&p.code, start, start + SignedDuration::from_hours(24)).await?)
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
    let p = point_of(&state, &code).await?;
    if !staff_of(&current.account, &p) {
        return Err(AppError::forbidden());
    }
    let day = day_or(q.date.as_deref(), crate::stats::today())?;
    let mut out = Vec::new();
    for b in day_bookings(&state, &p, day).await? {
        out.push(booking_view(&state, &b, true).await?);
    }
    Ok(Json(out))
}

/// A day from a query (`dd/mm/yyyy` or `yyyy-mm-dd`), today when absent.
pub fn parse_day_param(v: Option<&str>) -> ApiResult<Date> {
    day_or(v, crate::stats::today())
}
