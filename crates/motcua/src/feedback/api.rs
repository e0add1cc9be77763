//! `/api/v1/feedback`: citizens' feedback and petitions over JSON.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use motcua_domain::OrgCode;
use motcua_domain::feedback::FeedbackStatus;
use motcua_store::Page;
use serde::Deserialize;

use super::{FeedbackAction, FeedbackRequest, FeedbackView, Feedbacks, PublishedView};
use crate::api::error::{ApiResult, ErrorBody};
use crate::api::extract::{ApiJson, ApiPath, ApiQuery};
use crate::api::page::PageOf;
use crate::app::AppState;
use crate::edge::{CurrentAccount, MaybeAccount};

/// Sends a feedback or a petition (signed in, or with a name and a phone number or an e-mail
/// address). The answer carries its tracking code.
#[utoipa::path(post, path = "/api/v1/feedback", tag = "feedback", request_body = FeedbackRequest,
    responses((status = 201, body = FeedbackView), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn submit(
    State(state): State<AppState>,
    MaybeAccount(account): MaybeAccount,
    ApiJson(req): ApiJson<FeedbackRequest>,
) -> ApiResult<(StatusCode, Json<FeedbackView>)> {
    let view = Feedbacks::of(&state).submit(account.as_ref(), &req).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Cán bộ: cơ quan (một trong các cơ quan của mình); mặc định cơ quan đầu tiên.
    pub org: Option<OrgCode>,
    /// `received`, `processing`, `answered` hoặc `refused`.
    pub status: Option<FeedbackStatus>,
    pub offset: Option<i64>,
    pub limit: Option<i64>,
}

/// Officers: the feedback their organisation holds; citizens: their own.
#[utoipa::path(get, path = "/api/v1/feedback", tag = "feedback", params(ListQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = PageOf<FeedbackView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<PageOf<FeedbackView>>> {
    let page = Page::new(q.offset, q.limit);
    let found = Feedbacks::of(&state).list(&current.account, q.org, q.status, page).await?;
    Ok(Json(PageOf::new(found, page)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PublishedQuery {
    /// Từ khóa (có hoặc không dấu).
    pub q: Option<String>,
    pub offset: Option<i64>,
    pub limit: Option<i64>,
}

/// The published answers: answered feedback whose senders agreed — the title, the topic, the
/// organisation and the answer; not the sender, what they wrote, nor the tracking code.
#[utoipa::path(get, path = "/api/v1/feedback/published", tag = "feedback", params(PublishedQuery),
    responses((status = 200, body = PageOf<PublishedView>), (status = 400, body = ErrorBody)))]
pub async fn published(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PublishedQuery>,
) -> ApiResult<Json<PageOf<PublishedView>>> {
    let page = Page::new(q.offset, q.limit);
    let words = q.q.as_deref().map(|s| s.chars().take(200).collect::<String>());
    let found = Feedbacks::of(&state).published(words.as_deref(), page).await?;
    Ok(Json(PageOf::new(found, page)))
}

/// A feedback by its tracking code: how it stands, and the answer; the sender's identity
/// only to the sender and the officers handling it.
#[utoipa::path(get, path = "/api/v1/feedback/{code}", tag = "feedback",
    params(("code" = String, Path, description = "Mã phản ánh, kiến nghị")),
    responses((status = 200, body = FeedbackView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    MaybeAccount(account): MaybeAccount,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<Json<FeedbackView>> {
    Ok(Json(Feedbacks::of(&state).get(account.as_ref(), &code).await?))
}

/// Classifies (and sends on), answers or refuses a feedback (the handling organisation's
/// officers), or rates the answer (its sender).
#[utoipa::path(post, path = "/api/v1/feedback/{code}/actions", tag = "feedback", request_body = FeedbackAction,
    params(("code" = String, Path, description = "Mã phản ánh, kiến nghị")),
    responses((status = 200, body = FeedbackView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn act(
    State(state): State<AppState>,
    MaybeAccount(account): MaybeAccount,
    ApiPath(code): ApiPath<String>,
    ApiJson(req): ApiJson<FeedbackAction>,
) -> ApiResult<Json<FeedbackView>> {
    Ok(Json(Feedbacks::of(&state).act(account.as_ref(), &code, &req).await?))
}
