//! `GET /api/v1/stats/...`: the operations centre's figures as JSON, every table also as CSV
//! or XLSX (`format=csv|xlsx`), and a server-sent event stream that says when dossiers
//! change. Aggregates only, no personal data: public, like the national portal's index.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use motcua_domain::stats::{Figures, IndexWeights};
use serde::Serialize;

use crate::api::error::{ApiResult, AppError, ErrorBody};
use crate::api::extract::ApiQuery;
use crate::app::AppState;
use crate::app::ErrorCode;
use crate::statistics::figures::{
    By, Centre, FigureRow, RankedOrg, Savings, Scope, StatsParams, Table, centres_table, figure_table, ranking_table,
};
use crate::statistics::{now_clock, service};

enum Format {
    Json,
    Csv,
    Xlsx,
}

fn format_of(p: &StatsParams) -> ApiResult<Format> {
    match p.format.as_deref().map(str::trim) {
        None | Some("") | Some("json") => Ok(Format::Json),
        Some("csv") => Ok(Format::Csv),
        Some("xlsx") => Ok(Format::Xlsx),
        Some(_) => Err(AppError::bad_request(ErrorCode::InvalidFormat, "Định dạng phải là json, csv hoặc xlsx")),
    }
}

/// The table as a download.
pub fn export(table: &Table, name: &str, csv: bool) -> ApiResult<Response> {
    if csv {
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.csv\"")),
            ],
            table.to_csv(),
        )
            .into_response());
    }
    let bytes = table.to_xlsx().map_err(|e| {
        tracing::error!(error = %e, "xlsx export failed");
        AppError::internal()
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.xlsx\"")),
        ],
        bytes,
    )
        .into_response())
}

fn reply<T: Serialize>(format: Format, json: T, table: impl FnOnce() -> Table, name: &str) -> ApiResult<Response> {
    match format {
        Format::Json => Ok(Json(json).into_response()),
        Format::Csv => export(&table(), name, true),
        Format::Xlsx => export(&table(), name, false),
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SummaryReply {
    pub scope: Scope,
    pub figures: Figures,
    pub savings: Savings,
}

/// Every figure for a period and filters: received and what became of them, on-time rate
/// (766), online, full-online and cashless shares, processing time against the limit,
/// satisfaction, supplement rate, dossiers open, overdue and due within a working day now,
/// and the money saved.
#[utoipa::path(get, path = "/api/v1/stats/summary", tag = "stats", params(StatsParams),
    responses((status = 200, body = SummaryReply), (status = 400, body = ErrorBody)))]
pub async fn summary(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<StatsParams>,
) -> ApiResult<Json<SummaryReply>> {
    let scope = p.scope()?;
    let s = service(&state);
    let clock = now_clock(&state).await?;
    let (figures, savings) = s.summary_and_savings(&scope, &clock).await?;
    Ok(Json(SummaryReply { scope, figures, savings }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RowsReply<T> {
    pub scope: Scope,
    pub rows: Vec<T>,
}

/// Figures per day (`by=day`) or month (`by=month`, the default) of the period.
#[utoipa::path(get, path = "/api/v1/stats/series", tag = "stats", params(StatsParams),
    responses((status = 200, body = RowsReply<FigureRow>), (status = 400, body = ErrorBody)))]
pub async fn series(State(state): State<AppState>, ApiQuery(p): ApiQuery<StatsParams>) -> ApiResult<Response> {
    let scope = p.scope()?;
    let monthly = match p.by.as_deref().map(str::trim) {
        None | Some("") | Some("month") => true,
        Some("day") => {
            if (scope.to - scope.from).get_days() > 400 {
                return Err(AppError::bad_request(ErrorCode::InvalidFilter, "Theo ngày: tối đa 400 ngày"));
            }
            false
        }
        Some(_) => return Err(AppError::bad_request(ErrorCode::InvalidFilter, "Chuỗi thời gian theo day hoặc month")),
    };
    let format = format_of(&p)?;
    let rows = service(&state).series(&scope, monthly).await?;
    let header = if monthly { "Tháng" } else { "Ngày" };
    reply(
        format,
        RowsReply { scope: scope.clone(), rows: rows.clone() },
        || figure_table(header, header, &rows),
        "chuoi-thoi-gian",
    )
}

/// Figures per organisation, procedure, field, level or channel (`by`), most dossiers first.
#[utoipa::path(get, path = "/api/v1/stats/breakdown", tag = "stats", params(StatsParams),
    responses((status = 200, body = RowsReply<FigureRow>), (status = 400, body = ErrorBody)))]
pub async fn breakdown(State(state): State<AppState>, ApiQuery(p): ApiQuery<StatsParams>) -> ApiResult<Response> {
    let scope = p.scope()?;
    let by = By::parse(p.by.as_deref())?;
    let format = format_of(&p)?;
    let clock = now_clock(&state).await?;
    let rows = service(&state).breakdown(&scope, by, &clock).await?;
    reply(
        format,
        RowsReply { scope: scope.clone(), rows: rows.clone() },
        || figure_table(by.header(), by.header(), &rows),
        "phan-tich",
    )
}

/// The 766 index of each organisation (groups and sub-indicators with their configured
/// weights), ranked.
#[utoipa::path(get, path = "/api/v1/stats/index", tag = "stats", params(StatsParams),
    responses((status = 200, body = RowsReply<RankedOrg>), (status = 400, body = ErrorBody)))]
pub async fn index(State(state): State<AppState>, ApiQuery(p): ApiQuery<StatsParams>) -> ApiResult<Response> {
    let scope = p.scope()?;
    let format = format_of(&p)?;
    let clock = now_clock(&state).await?;
    let rows = service(&state).ranking(&scope, &clock).await?;
    reply(format, RowsReply { scope: scope.clone(), rows: rows.clone() }, || ranking_table(&rows), "chi-so-766")
}

/// The weights and thresholds the 766 index is computed with.
#[utoipa::path(get, path = "/api/v1/stats/index/weights", tag = "stats",
    responses((status = 200, body = IndexWeights)))]
pub async fn weights(State(state): State<AppState>) -> Json<IndexWeights> {
    Json(state.settings.stats.weights.clone())
}

/// Live counts of every organisation handling dossiers: open, overdue, due within a working
/// day, received and ended today, on-time rate this month.
#[utoipa::path(get, path = "/api/v1/stats/centres", tag = "stats", params(StatsParams),
    responses((status = 200, body = RowsReply<Centre>), (status = 400, body = ErrorBody)))]
pub async fn centres(State(state): State<AppState>, ApiQuery(p): ApiQuery<StatsParams>) -> ApiResult<Response> {
    let scope = p.scope()?;
    let format = format_of(&p)?;
    let clock = now_clock(&state).await?;
    let rows = service(&state).centres(&scope, &clock).await?;
    reply(format, RowsReply { scope: scope.clone(), rows: rows.clone() }, || centres_table(&rows), "trung-tam")
}

/// Citizens' feedback received in the period (by the organisation holding it, within `org`
/// and the organisations below it): answered, refused, closed on time, overdue now — in all,
/// by organisation and by topic.
#[utoipa::path(get, path = "/api/v1/stats/feedback", tag = "stats", params(StatsParams),
    responses((status = 200, body = crate::feedback::figures::FeedbackReport), (status = 400, body = ErrorBody)))]
pub async fn feedback(State(state): State<AppState>, ApiQuery(p): ApiQuery<StatsParams>) -> ApiResult<Response> {
    let scope = p.scope()?;
    let format = format_of(&p)?;
    let tree = service(&state).tree().await?;
    let orgs = scope.org.as_ref().map(|o| tree.subtree(o));
    let report =
        crate::feedback::Feedbacks::of(&state).figures(scope.from, scope.to, orgs.as_deref(), |c| tree.name(c)).await?;
    let table = || crate::feedback::figures::feedback_table(&report);
    reply(format, &report, table, "phan-anh-kien-nghi")
}

/// Incoming documents assigned as work in the period (within `org` and the organisations
/// below it): done, done on time, overdue now — in all and by organisation.
#[utoipa::path(get, path = "/api/v1/stats/work", tag = "stats", params(StatsParams),
    responses((status = 200, body = crate::documents::work_figures::WorkReport), (status = 400, body = ErrorBody)))]
pub async fn work(State(state): State<AppState>, ApiQuery(p): ApiQuery<StatsParams>) -> ApiResult<Response> {
    let scope = p.scope()?;
    let format = format_of(&p)?;
    let tree = service(&state).tree().await?;
    let orgs = scope.org.as_ref().map(|o| tree.subtree(o));
    let report = crate::documents::work::Works::of(&state)
        .figures(scope.from, scope.to, orgs.as_deref(), |c| tree.name(c))
        .await?;
    let table = || crate::documents::work_figures::work_table(&report);
    reply(format, &report, table, "xu-ly-van-ban-den")
}

/// Postage saved by electronic documents and travel saved by online submissions.
#[utoipa::path(get, path = "/api/v1/stats/savings", tag = "stats", params(StatsParams),
    responses((status = 200, body = Savings), (status = 400, body = ErrorBody)))]
pub async fn savings(State(state): State<AppState>, ApiQuery(p): ApiQuery<StatsParams>) -> ApiResult<Json<Savings>> {
    let scope = p.scope()?;
    Ok(Json(service(&state).savings(&scope).await?))
}

/// Server-sent events: `change` whenever a dossier is created or changes, on this server or
/// another sharing its database (at most one per second), a comment every 15 s to keep the
/// connection open.
#[utoipa::path(get, path = "/api/v1/stats/events", tag = "stats",
    responses((status = 200, description = "text/event-stream", content_type = "text/event-stream"),
        (status = 429, body = crate::api::error::ErrorBody, description = "Quá nhiều luồng từ một địa chỉ")))]
pub async fn events(
    State(state): State<AppState>,
    client: crate::throttle::ClientKey,
) -> ApiResult<impl axum::response::IntoResponse> {
    let slot = state.stream_slot(client)?;
    let rx = state.events.changes();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        match rx.recv().await {
            Ok(()) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                // Coalesce a burst into one event.
                tokio::time::sleep(Duration::from_secs(1)).await;
                while rx.try_recv().is_ok() {}
                Some((Ok(Event::default().event("change").data("dossiers")), rx))
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => None,
        }
    });
    // The place is held while the stream lives, given back when the client goes.
    let stream = futures_util::StreamExt::map(stream, move |e: Result<Event, Infallible>| {
        let _held = &slot;
        e
    });
    Ok((
        crate::edge::live_stream_headers(),
        Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))),
    ))
}
