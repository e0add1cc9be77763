//! Queues at the centres: services and counters (set by the centre's administrator),
//! tickets numbered per service and day (taken at a kiosk, nobody signed in), counters
//! calling the next ticket (desk officers of the centre), the board a display shows — also
//! as a live server-sent event stream — and waiting times.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use jiff::civil::Date;
use motcua_domain::Role;
use motcua_domain::service::ServiceLetter;
use motcua_store::service::{QueueCounter, QueueService, TicketStatus};
use serde::{Deserialize, Serialize};

use crate::api::error::{ApiResult, AppError, ErrorBody, Kind};
use crate::api::extract::{ApiJson, ApiPath, ApiQuery};
use crate::app::AppState;
use crate::app::ErrorCode;
use crate::edge::CurrentAccount;
use crate::service::queue::*;

/// A centre's queue today.
#[utoipa::path(get, path = "/api/v1/queue/{centre}", tag = "queue",
    params(("centre" = String, Path, description = "Mã cơ quan (trung tâm phục vụ hành chính công)")),
    responses((status = 200, body = Board), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_board(State(state): State<AppState>, ApiPath(code): ApiPath<String>) -> ApiResult<Json<Board>> {
    let queues = Queues::of(&state);
    let c = queues.centre(&code).await?;
    Ok(Json(queues.board(&c).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueSetup {
    pub services: Vec<ServiceSetup>,
    pub counters: Vec<CounterSetup>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceSetup {
    pub letter: ServiceLetter,
    pub name: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CounterSetup {
    pub number: i32,
    pub name: String,
    pub letters: Vec<ServiceLetter>,
}

fn bad_setup(message: impl Into<String>) -> AppError {
    AppError::new(Kind::Unprocessable, ErrorCode::InvalidQueue, message)
}

/// Checks a queue setup: letters once each, counters numbered 1–99 once each, calling only
/// services that exist, names 1–100 characters.
pub fn checked_setup(req: QueueSetup) -> ApiResult<(Vec<QueueService>, Vec<QueueCounter>)> {
    let name = |n: &str, what: &str| -> ApiResult<String> {
        let n = motcua_domain::text::nfc(n.trim());
        if n.is_empty() || n.chars().count() > 100 || n.chars().any(char::is_control) {
            return Err(bad_setup(format!("Tên {what} phải có từ 1 đến 100 ký tự")));
        }
        Ok(n)
    };
    if req.services.is_empty() || req.services.len() > 26 {
        return Err(bad_setup("Cần từ 1 đến 26 dịch vụ"));
    }
    if req.counters.is_empty() || req.counters.len() > 99 {
        return Err(bad_setup("Cần từ 1 đến 99 quầy"));
    }
    let mut services = Vec::new();
    for s in req.services {
        if services.iter().any(|x: &QueueService| x.letter == s.letter) {
            return Err(bad_setup(format!("Ký hiệu dịch vụ {} bị trùng", s.letter)));
        }
        services.push(QueueService { letter: s.letter, name: name(&s.name, "dịch vụ")? });
    }
    let mut counters = Vec::new();
    for c in req.counters {
        if !(1..=99).contains(&c.number) || counters.iter().any(|x: &QueueCounter| x.number == c.number) {
            return Err(bad_setup(format!("Số quầy {} không hợp lệ hoặc bị trùng (1–99)", c.number)));
        }
        if let Some(l) = c.letters.iter().find(|l| !services.iter().any(|s| s.letter == **l)) {
            return Err(bad_setup(format!("Quầy {} gọi dịch vụ {l} không có", c.number)));
        }
        let mut letters = c.letters;
        letters.sort();
        letters.dedup();
        counters.push(QueueCounter { number: c.number, name: name(&c.name, "quầy")?, letters });
    }
    Ok((services, counters))
}

/// Sets the centre's services and counters (its administrator).
#[utoipa::path(put, path = "/api/v1/queue/{centre}", tag = "queue", request_body = QueueSetup,
    params(("centre" = String, Path, description = "Mã cơ quan")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = Board), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_setup(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath(code): ApiPath<String>,
    ApiJson(req): ApiJson<QueueSetup>,
) -> ApiResult<Json<Board>> {
    let queues = Queues::of(&state);
    let c = queues.centre(&code).await?;
    if !current.account.can_act(&c.code, Role::Administrator) {
        return Err(AppError::forbidden());
    }
    let (services, counters) = checked_setup(req)?;
    queues.set_up(&current.account, &c, &services, &counters).await?;
    Ok(Json(queues.board(&c).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketRequest {
    /// The service's letter.
    pub letter: ServiceLetter,
}

/// Takes a queue ticket for a service (a kiosk; no sign-in).
#[utoipa::path(post, path = "/api/v1/queue/{centre}/tickets", tag = "queue", request_body = TicketRequest,
    params(("centre" = String, Path, description = "Mã cơ quan")),
    responses((status = 201, body = TicketView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn take_ticket(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
    ApiJson(req): ApiJson<TicketRequest>,
) -> ApiResult<(StatusCode, Json<TicketView>)> {
    let queues = Queues::of(&state);
    let c = queues.centre(&code).await?;
    let t = queues.issue(&c, req.letter).await?;
    Ok((StatusCode::CREATED, Json(queues.ticket_view(&c, &t).await?)))
}

/// A ticket's status (what the holder sees; no personal data).
#[utoipa::path(get, path = "/api/v1/queue/{centre}/tickets/{id}", tag = "queue",
    params(("centre" = String, Path, description = "Mã cơ quan"), ("id" = i64, Path, description = "Số hiệu vé")),
    responses((status = 200, body = TicketView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_ticket(
    State(state): State<AppState>,
    ApiPath((code, id)): ApiPath<(String, i64)>,
) -> ApiResult<Json<TicketView>> {
    let queues = Queues::of(&state);
    let c = queues.centre(&code).await?;
    let t = queues.ticket(&c, id).await?;
    Ok(Json(queues.ticket_view(&c, &t).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CallResult {
    /// The ticket called, or none when nobody waits for this counter's services.
    pub ticket: Option<TicketView>,
}

/// Calls the next ticket to the counter (the centre's desk officers).
#[utoipa::path(post, path = "/api/v1/queue/{centre}/counters/{number}/next", tag = "queue",
    params(("centre" = String, Path, description = "Mã cơ quan"), ("number" = i32, Path, description = "Số quầy")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = CallResult), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn call_next(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath((code, number)): ApiPath<(String, i32)>,
) -> ApiResult<Json<CallResult>> {
    let queues = Queues::of(&state);
    let c = queues.centre(&code).await?;
    let ticket = match queues.call(&current.account, &c, number).await? {
        Some(t) => Some(queues.ticket_view(&c, &t).await?),
        None => None,
    };
    Ok(Json(CallResult { ticket }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinishRequest {
    /// `served` or `no_show`
    pub status: String,
}

/// Marks a called ticket served or not come (the centre's desk officers).
#[utoipa::path(post, path = "/api/v1/queue/{centre}/tickets/{id}/finish", tag = "queue", request_body = FinishRequest,
    params(("centre" = String, Path, description = "Mã cơ quan"), ("id" = i64, Path, description = "Số hiệu vé")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = TicketView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn finish(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath((code, id)): ApiPath<(String, i64)>,
    ApiJson(req): ApiJson<FinishRequest>,
) -> ApiResult<Json<TicketView>> {
    let queues = Queues::of(&state);
    let c = queues.centre(&code).await?;
    desk_of(&current.account, &c)?;
    let status = match TicketStatus::parse(&req.status) {
        Some(s @ (TicketStatus::Served | TicketStatus::NoShow)) => s,
        _ => return Err(AppError::bad_request(ErrorCode::InvalidStatus, "Trạng thái phải là served hoặc no_show")),
    };
    let t = queues.ticket(&c, id).await?;
    queues.finish_called(&current.account, &c, id, status).await?;
    let t = queues.ticket(&c, t.id).await?;
    Ok(Json(queues.ticket_view(&c, &t).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// First day, `dd/mm/yyyy` or `yyyy-mm-dd` (default today).
    pub from: Option<String>,
    /// Last day (default today).
    pub to: Option<String>,
}

fn day_param(v: Option<&str>, default: Date) -> ApiResult<Date> {
    let Some(s) = v.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(default) };
    crate::statistics::figures::parse_date(s)
        .ok_or_else(|| AppError::bad_request(ErrorCode::InvalidFilter, format!("Ngày không hợp lệ: «{s}»")))
}

/// Waiting times and tickets per service over a period (public, like the other statistics).
#[utoipa::path(get, path = "/api/v1/queue/{centre}/stats", tag = "queue", params(("centre" = String, Path), StatsParams),
    responses((status = 200, body = QueueStatsView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn stats(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<StatsParams>,
) -> ApiResult<Json<QueueStatsView>> {
    let queues = Queues::of(&state);
    let c = queues.centre(&code).await?;
    let today = crate::statistics::figures::today();
    let from = day_param(q.from.as_deref(), today)?;
    let to = day_param(q.to.as_deref(), today)?;
    if from > to || (to - from).get_days() > 366 {
        return Err(AppError::bad_request(ErrorCode::InvalidFilter, "Khoảng thời gian không hợp lệ (tối đa 366 ngày)"));
    }
    Ok(Json(queues.stats(&c, from, to).await?))
}

/// The board, live: a `board` event with the board as JSON at once and after every change
/// (a burst coalesced into one event), a keep-alive comment every 15 s.
#[utoipa::path(get, path = "/api/v1/queue/{centre}/events", tag = "queue", params(("centre" = String, Path)),
    responses((status = 200, description = "text/event-stream", content_type = "text/event-stream"),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody, description = "Quá nhiều luồng từ một địa chỉ")))]
pub async fn events(
    State(state): State<AppState>,
    client: crate::throttle::ClientKey,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<impl axum::response::IntoResponse> {
    let (c, rx) = {
        let queues = Queues::of(&state);
        (queues.centre(&code).await?, queues.changes())
    };
    let slot = state.stream_slot(client)?;
    let stream = futures_util::stream::unfold((rx, state, c, true), |(mut rx, state, c, first)| async move {
        if !first {
            loop {
                match rx.recv().await {
                    Ok(changed) if changed == c.code.as_str() || changed.is_empty() => break,
                    Ok(_) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => break,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            while rx.try_recv().is_ok() {}
        }
        let data = match Queues::of(&state).board(&c).await {
            Ok(b) => serde_json::to_string(&b).unwrap_or_default(),
            Err(e) => {
                tracing::warn!(error = %e.message, "queue board");
                String::from("{}")
            }
        };
        Some((Ok(Event::default().event("board").data(data)), (rx, state, c, false)))
    });
    // The place is held while the stream lives, given back when the display goes.
    let stream = futures_util::StreamExt::map(stream, move |e: Result<Event, Infallible>| {
        let _held = &slot;
        e
    });
    Ok((
        crate::edge::live_stream_headers(),
        Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))),
    ))
}
