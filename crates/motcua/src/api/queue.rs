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
use jiff::Timestamp;
use jiff::civil::Date;
use motcua_domain::service::ServiceLetter;
use motcua_domain::{Account, OrgCode, Organisation, Role};
use motcua_store::service::{IssueOutcome, QueueCounter, QueueService, Ticket, TicketStatus};
use serde::{Deserialize, Serialize};

use super::accounts::CurrentAccount;
use super::error::{ApiResult, AppError, ErrorBody, Kind};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::app::AppState;
use crate::app::ErrorCode;

/// A centre by its code, or 404.
pub async fn centre(state: &AppState, code: &str) -> ApiResult<Organisation> {
    let org = OrgCode::parse(code)?;
    state.store.organisation(&org).await?.ok_or_else(|| AppError::not_found(format!("Không có cơ quan mã {org}")))
}

fn hm(t: Timestamp) -> String {
    t.to_zoned(motcua_domain::calendar::vietnam()).strftime("%H:%M").to_string()
}

fn dmy(d: Date) -> String {
    d.strftime("%d/%m/%Y").to_string()
}

#[derive(Serialize, Deserialize, utoipa::ToSchema, Clone)]
pub struct ServiceView {
    pub letter: ServiceLetter,
    pub name: String,
    /// Tickets of the day still waiting.
    #[serde(default)]
    pub waiting: i64,
    /// Tickets issued today.
    #[serde(default)]
    pub issued: i64,
}

#[derive(Serialize, Deserialize, utoipa::ToSchema, Clone)]
pub struct CounterView {
    pub number: i32,
    pub name: String,
    /// The services whose tickets it calls.
    pub letters: Vec<ServiceLetter>,
    /// The ticket it is serving now.
    #[serde(default)]
    pub serving: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema, Clone)]
pub struct CalledView {
    pub label: String,
    pub counter: i32,
    pub counter_name: String,
    /// `HH:MM`, Vietnam time.
    pub at: String,
}

/// What a display shows and a kiosk offers.
#[derive(Serialize, utoipa::ToSchema, Clone)]
pub struct Board {
    pub centre: String,
    pub centre_name: String,
    /// `dd/mm/yyyy`
    pub day: String,
    pub services: Vec<ServiceView>,
    pub counters: Vec<CounterView>,
    /// The latest calls, newest first (at most 10).
    pub called: Vec<CalledView>,
}

pub async fn board(state: &AppState, centre: &Organisation) -> ApiResult<Board> {
    let day = crate::stats::today();
    let services = state.store.queue_services(&centre.code).await?;
    let counters = state.store.queue_counters(&centre.code).await?;
    let tickets = state.store.tickets_of_day(&centre.code, day).await?;
    let counter_name =
        |n: i32| counters.iter().find(|c| c.number == n).map_or_else(|| n.to_string(), |c| c.name.clone());
    let mut called: Vec<&Ticket> = tickets.iter().filter(|t| t.called_at.is_some()).collect();
    called.sort_by_key(|t| std::cmp::Reverse((t.called_at, t.id)));
    Ok(Board {
        centre: centre.code.to_string(),
        centre_name: centre.name.to_string(),
        day: dmy(day),
        services: services
            .iter()
            .map(|s| ServiceView {
                letter: s.letter,
                name: s.name.clone(),
                waiting: tickets.iter().filter(|t| t.letter == s.letter && t.status == TicketStatus::Waiting).count()
                    as i64,
                issued: tickets.iter().filter(|t| t.letter == s.letter).count() as i64,
            })
            .collect(),
        counters: counters
            .iter()
            .map(|c| CounterView {
                number: c.number,
                name: c.name.clone(),
                letters: c.letters.clone(),
                serving: tickets
                    .iter()
                    .find(|t| t.counter == Some(c.number) && t.status == TicketStatus::Called)
                    .map(Ticket::label),
            })
            .collect(),
        called: called
            .iter()
            .take(10)
            .filter_map(|t| {
                Some(CalledView {
                    label: t.label(),
                    counter: t.counter?,
                    counter_name: counter_name(t.counter?),
                    at: hm(t.called_at?),
                })
            })
            .collect(),
    })
}

/// A centre's queue today.
#[utoipa::path(get, path = "/api/v1/queue/{centre}", tag = "queue",
    params(("centre" = String, Path, description = "Mã cơ quan (trung tâm phục vụ hành chính công)")),
    responses((status = 200, body = Board), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_board(State(state): State<AppState>, ApiPath(code): ApiPath<String>) -> ApiResult<Json<Board>> {
    let c = centre(&state, &code).await?;
    Ok(Json(board(&state, &c).await?))
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
    let c = centre(&state, &code).await?;
    if !current.account.can_act(&c.code, Role::Administrator) {
        return Err(AppError::forbidden());
    }
    let (services, counters) = checked_setup(req)?;
    state.store.set_queue(&c.code, &services, &counters).await?;
    state.queue_changed(&c.code);
    Ok(Json(board(&state, &c).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TicketView {
    pub id: i64,
    /// `A007`
    pub label: String,
    pub letter: ServiceLetter,
    pub number: i64,
    pub service: String,
    pub centre: String,
    pub centre_name: String,
    /// `waiting`, `called`, `served`, `no_show`
    pub status: String,
    /// `dd/mm/yyyy`
    pub day: String,
    /// `HH:MM`
    pub issued_at: String,
    pub called_at: Option<String>,
    pub counter: Option<i32>,
    pub counter_name: Option<String>,
    /// Tickets of the same service issued before this one and still waiting.
    pub waiting_before: i64,
}

pub async fn ticket_view(state: &AppState, centre: &Organisation, t: &Ticket) -> ApiResult<TicketView> {
    let services = state.store.queue_services(&centre.code).await?;
    let counters = state.store.queue_counters(&centre.code).await?;
    let waiting_before = if t.status == TicketStatus::Waiting {
        state
            .store
            .tickets_of_day(&centre.code, t.day)
            .await?
            .iter()
            .filter(|x| x.letter == t.letter && x.status == TicketStatus::Waiting && x.id < t.id)
            .count() as i64
    } else {
        0
    };
    Ok(TicketView {
        id: t.id,
        label: t.label(),
        letter: t.letter,
        number: t.number,
        service: services.iter().find(|s| s.letter == t.letter).map_or_else(String::new, |s| s.name.clone()),
        centre: centre.code.to_string(),
        centre_name: centre.name.to_string(),
        status: t.status.as_str().to_owned(),
        day: dmy(t.day),
        issued_at: hm(t.issued_at),
        called_at: t.called_at.map(hm),
        counter: t.counter,
        counter_name: t.counter.and_then(|n| counters.iter().find(|c| c.number == n).map(|c| c.name.clone())),
        waiting_before,
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketRequest {
    /// The service's letter.
    pub letter: ServiceLetter,
}

/// Issues a ticket at the centre, as a kiosk does (no sign-in).
pub async fn issue(state: &AppState, centre: &Organisation, letter: ServiceLetter) -> ApiResult<Ticket> {
    let day = crate::stats::today();
    match state.store.issue_ticket(&centre.code, letter, day, Timestamp::now()).await? {
        IssueOutcome::Issued(t) => {
            state.queue_changed(&centre.code);
            Ok(t)
        }
        IssueOutcome::NoService => Err(AppError::not_found(format!("Trung tâm không có dịch vụ {letter}"))),
        IssueOutcome::DayFull => {
            Err(AppError::new(Kind::Conflict, ErrorCode::QueueFull, "Đã hết số thứ tự của dịch vụ trong ngày hôm nay"))
        }
    }
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
    let c = centre(&state, &code).await?;
    let t = issue(&state, &c, req.letter).await?;
    Ok((StatusCode::CREATED, Json(ticket_view(&state, &c, &t).await?)))
}

/// A ticket's status (what the holder sees; no personal data).
#[utoipa::path(get, path = "/api/v1/queue/{centre}/tickets/{id}", tag = "queue",
    params(("centre" = String, Path, description = "Mã cơ quan"), ("id" = i64, Path, description = "Số hiệu vé")),
    responses((status = 200, body = TicketView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_ticket(
    State(state): State<AppState>,
    ApiPath((code, id)): ApiPath<(String, i64)>,
) -> ApiResult<Json<TicketView>> {
    let c = centre(&state, &code).await?;
    let t = state.store.ticket(&c.code, id).await?.ok_or_else(|| AppError::not_found("Không có vé này"))?;
    Ok(Json(ticket_view(&state, &c, &t).await?))
}

/// Only the centre's desk officers work its counters.
fn desk_of(account: &Account, centre: &Organisation) -> ApiResult<()> {
    if account.can_act(&centre.code, Role::DeskOfficer) { Ok(()) } else { Err(AppError::forbidden()) }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CallResult {
    /// The ticket called, or none when nobody waits for this counter's services.
    pub ticket: Option<TicketView>,
}

/// The counter finishes its current ticket and calls the next waiting one (the API and the
/// counter's page).
pub async fn call(
    state: &AppState,
    account: &Account,
    centre: &Organisation,
    counter: i32,
) -> ApiResult<Option<Ticket>> {
    desk_of(account, centre)?;
    let day = crate::stats::today();
    let t =
        state.store.call_next(&centre.code, counter, day, Timestamp::now(), account.id).await.map_err(|e| match e {
            motcua_store::StoreError::MissingReference(_) => AppError::not_found(format!("Không có quầy số {counter}")),
            other => other.into(),
        })?;
    state.queue_changed(&centre.code);
    Ok(t)
}

/// Marks a called ticket served or not come (the API and the counter's page).
pub async fn finish_called(
    state: &AppState,
    account: &Account,
    centre: &Organisation,
    id: i64,
    status: TicketStatus,
) -> ApiResult<()> {
    desk_of(account, centre)?;
    if !state.store.finish_ticket(&centre.code, id, status, Timestamp::now()).await? {
        return Err(AppError::new(Kind::Conflict, ErrorCode::TicketNotCalled, "Vé này chưa được gọi hoặc đã xong"));
    }
    state.queue_changed(&centre.code);
    Ok(())
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
    let c = centre(&state, &code).await?;
    let ticket = match call(&state, &current.account, &c, number).await? {
        Some(t) => Some(ticket_view(&state, &c, &t).await?),
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
    let c = centre(&state, &code).await?;
    desk_of(&current.account, &c)?;
    let status = match TicketStatus::parse(&req.status) {
        Some(s @ (TicketStatus::Served | TicketStatus::NoShow)) => s,
        _ => return Err(AppError::bad_request(ErrorCode::InvalidStatus, "Trạng thái phải là served hoặc no_show")),
    };
    let t = state.store.ticket(&c.code, id).await?.ok_or_else(|| AppError::not_found("Không có vé này"))?;
    finish_called(&state, &current.account, &c, id, status).await?;
    let t = state.store.ticket(&c.code, t.id).await?.unwrap_or(t);
    Ok(Json(ticket_view(&state, &c, &t).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct StatsParams {
    /// First day, `dd/mm/yyyy` or `yyyy-mm-dd` (default today).
    pub from: Option<String>,
    /// Last day (default today).
    pub to: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ServiceStats {
    pub letter: ServiceLetter,
    pub name: String,
    pub issued: i64,
    pub waiting: i64,
    pub called: i64,
    pub served: i64,
    pub no_show: i64,
    /// Mean wait from taking the ticket to being called, minutes.
    pub mean_wait_minutes: Option<f64>,
    pub max_wait_minutes: Option<f64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct QueueStatsView {
    pub centre: String,
    pub from: String,
    pub to: String,
    pub services: Vec<ServiceStats>,
    pub issued: i64,
    /// Over every ticket called in the period, minutes.
    pub mean_wait_minutes: Option<f64>,
}

fn day_param(v: Option<&str>, default: Date) -> ApiResult<Date> {
    let Some(s) = v.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(default) };
    crate::stats::parse_date(s)
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
    let c = centre(&state, &code).await?;
    let today = crate::stats::today();
    let from = day_param(q.from.as_deref(), today)?;
    let to = day_param(q.to.as_deref(), today)?;
    if from > to || (to - from).get_days() > 366 {
        return Err(AppError::bad_request(ErrorCode::InvalidFilter, "Khoảng thời gian không hợp lệ (tối đa 366 ngày)"));
    }
    let names = state.store.queue_services(&c.code).await?;
    let rows = state.store.queue_stats(&c.code, from, to).await?;
    let minutes = |s: f64| (s / 60.0 * 10.0).round() / 10.0;
    let called: i64 = rows.iter().map(|r| r.called + r.served + r.no_show).sum();
    let total_wait: f64 =
        rows.iter().filter_map(|r| r.mean_wait_secs.map(|m| m * (r.called + r.served + r.no_show) as f64)).sum();
    Ok(Json(QueueStatsView {
        centre: c.code.to_string(),
        from: dmy(from),
        to: dmy(to),
        issued: rows.iter().map(|r| r.issued).sum(),
        mean_wait_minutes: (called > 0).then(|| minutes(total_wait / called as f64)),
        services: rows
            .iter()
            .map(|r| ServiceStats {
                letter: r.letter,
                name: names.iter().find(|n| n.letter == r.letter).map_or_else(String::new, |n| n.name.clone()),
                issued: r.issued,
                waiting: r.waiting,
                called: r.called,
                served: r.served,
                no_show: r.no_show,
                mean_wait_minutes: r.mean_wait_secs.map(minutes),
                max_wait_minutes: r.max_wait_secs.map(|s| minutes(s as f64)),
            })
            .collect(),
    }))
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
    let c = centre(&state, &code).await?;
    let slot = state.stream_slot(client)?;
    let rx = state.queue.subscribe();
    let stream = futures_util::stream::unfold((rx, state, c, true), |(mut rx, state, c, first)| async move {
        if !first {
            loop {
                match rx.recv().await {
                    Ok(changed) if changed == c.code.as_str() => break,
                    Ok(_) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => break,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            while rx.try_recv().is_ok() {}
        }
        let data = match board(&state, &c).await {
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
