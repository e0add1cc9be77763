//! Paperless meetings over JSON: calling one (with its files), the list, the meeting, its
//! steps, its papers, and the live stream every attendee's screen follows.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::response::sse::{Event, KeepAlive, Sse};
use serde::Deserialize;

use super::{LiveView, MeetingAction, MeetingRequest, MeetingView, Meetings};
use crate::api::error::{ApiResult, ErrorBody};
use crate::api::extract::{ApiJson, ApiPath, ApiQuery};
use crate::api::files::{file_response, read_json_and_files};
use crate::api::page::PageOf;
use crate::app::AppState;
use crate::edge::CurrentAccount;

crate::api::files::with_files!(
    /// A meeting called with its pack (`multipart/form-data`): the meeting as JSON in the part
    /// `meeting`, each file in a part `file` (the items name them by number, from 1).
    MeetingWithFiles, meeting: MeetingRequest
);

/// Calls a meeting (an officer of the organising organisation; the chair one of its leaders):
/// invitations go out through the notification outbox. JSON, or multipart with the JSON in
/// the part `meeting` and the pack's files in parts `file` (up to 20, 50 MB in all), which
/// the items name by number.
#[utoipa::path(post, path = "/api/v1/meetings", tag = "meetings",
    request_body(content((MeetingRequest = "application/json"), (MeetingWithFiles = "multipart/form-data"))),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, body = MeetingView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn call(
    State(state): State<AppState>,
    current: CurrentAccount,
    request: axum::extract::Request,
) -> ApiResult<(StatusCode, Json<MeetingView>)> {
    let (req, files, _) = read_json_and_files::<MeetingRequest>(request, "meeting").await?;
    Ok((StatusCode::CREATED, Json(Meetings::of(&state).call(&current.account, &req, files).await?)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub offset: Option<i64>,
    pub limit: Option<i64>,
}

/// The meetings the caller organises, chairs or is invited to, the latest first.
#[utoipa::path(get, path = "/api/v1/meetings", tag = "meetings", params(ListQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = PageOf<MeetingView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<PageOf<MeetingView>>> {
    let page = motcua_store::Page::new(q.offset, q.limit);
    Ok(Json(PageOf::new(Meetings::of(&state).list(&current.account, page).await?, page)))
}

/// A meeting: its agenda and pack, who answered what, who is present, the opinions, the
/// minutes and their signature (404 for anyone not involved).
#[utoipa::path(get, path = "/api/v1/meetings/{id}", tag = "meetings", params(("id" = i64, Path)),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = MeetingView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<MeetingView>> {
    Ok(Json(Meetings::of(&state).get(&current.account, id).await?))
}

/// A step: an answer to the invitation, a comment, the chair's moves, a check-in, an opinion,
/// the minutes, their signature (which issues them through the outgoing register).
#[utoipa::path(post, path = "/api/v1/meetings/{id}/actions", tag = "meetings", request_body = MeetingAction,
    params(("id" = i64, Path)), security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = MeetingView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn act(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<MeetingAction>,
) -> ApiResult<Json<MeetingView>> {
    Ok(Json(Meetings::of(&state).act(&current.account, id, &req).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PaperQuery {
    /// A register document's attached file, from 1 (without it: the document's text).
    pub part: Option<usize>,
    /// true: shown in the browser instead of saved.
    pub inline: Option<bool>,
}

/// One paper of an agenda item, for anyone involved in the meeting: an uploaded file, or a
/// register document (its text, or with `part` one of its files).
#[utoipa::path(get, path = "/api/v1/meetings/{id}/items/{item}/papers/{paper}", tag = "meetings",
    params(("id" = i64, Path), ("item" = usize, Path, description = "Nội dung họp, từ 1"),
        ("paper" = usize, Path, description = "Tài liệu, từ 1"), PaperQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Nội dung tài liệu", content_type = "application/octet-stream"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn paper(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath((id, item, paper)): ApiPath<(i64, usize, usize)>,
    ApiQuery(q): ApiQuery<PaperQuery>,
) -> ApiResult<Response> {
    let (a, bytes) = Meetings::of(&state).paper(&current.account, id, item, paper, q.part).await?;
    Ok(file_response(&a, bytes, q.inline == Some(true)))
}

/// The meeting, live: a `meeting` event with what the screens show (the open item, items
/// taking opinions, their counts, who is present) at once and after every change, made on
/// this server or another; a keep-alive comment every 15 s.
#[utoipa::path(get, path = "/api/v1/meetings/{id}/live", tag = "meetings", params(("id" = i64, Path)),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "text/event-stream", content_type = "text/event-stream"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "Quá nhiều luồng từ một địa chỉ")))]
pub async fn live(
    State(state): State<AppState>,
    current: CurrentAccount,
    client: crate::throttle::ClientKey,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<impl axum::response::IntoResponse> {
    // Subscribed before the first read, so no change between the two is missed.
    let rx = state.events.meeting_changes();
    Meetings::of(&state).live(&current.account, id).await?;
    let slot = state.stream_slot(client)?;
    let account = current.account;
    let stream = futures_util::stream::unfold((rx, state, true), move |(mut rx, state, first)| {
        let account = account.clone();
        async move {
            if !first {
                loop {
                    match rx.recv().await {
                        Ok(changed) if changed == id || changed == 0 => break,
                        Ok(_) => continue,
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => break,
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                    }
                }
                while rx.try_recv().is_ok() {}
            }
            // Someone no longer involved (never the case today) or a failed read ends the stream.
            let live: LiveView = Meetings::of(&state).live(&account, id).await.ok()?;
            let data = serde_json::to_string(&live).unwrap_or_default();
            Some((Ok::<_, Infallible>(Event::default().event("meeting").data(data)), (rx, state, false)))
        }
    });
    let stream = futures_util::StreamExt::map(stream, move |e| {
        let _held = &slot;
        e
    });
    Ok((
        crate::edge::live_stream_headers(),
        Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))),
    ))
}
