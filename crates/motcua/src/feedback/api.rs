//! `/api/v1/feedback`: citizens' feedback and petitions over JSON.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use motcua_domain::OrgCode;
use motcua_domain::feedback::FeedbackStatus;
use motcua_store::Page;
use serde::Deserialize;

use super::{FeedbackAction, FeedbackRequest, FeedbackView, Feedbacks, PublishedView};
use crate::api::error::{ApiResult, ErrorBody};
use crate::api::extract::{ApiPath, ApiQuery};
use crate::api::files::{file_response, read_json_and_files};
use crate::api::page::PageOf;
use crate::app::AppState;
use crate::edge::{CurrentAccount, MaybeAccount};

crate::api::files::with_files!(
    /// Feedback with files (`multipart/form-data`): the feedback as JSON in the part
    /// `feedback`, each file in a part `file`.
    FeedbackWithFiles, feedback: FeedbackRequest
);
crate::api::files::with_files!(
    /// An answer or step with files (`multipart/form-data`): the action as JSON in the part
    /// `action`, each file in a part `file`.
    FeedbackActionWithFiles, action: FeedbackAction
);

/// Sends a feedback or a petition (signed in, or with a name and a phone number or an e-mail
/// address). The answer carries its tracking code. JSON, or multipart with the JSON in the
/// part `feedback` and up to 5 files (20 MB in all: photos, PDF, office documents) in parts
/// named `file`.
#[utoipa::path(post, path = "/api/v1/feedback", tag = "feedback",
    request_body(content((FeedbackRequest = "application/json"), (FeedbackWithFiles = "multipart/form-data"))),
    responses((status = 201, body = FeedbackView), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn submit(
    State(state): State<AppState>,
    MaybeAccount(account): MaybeAccount,
    request: axum::extract::Request,
) -> ApiResult<(StatusCode, Json<FeedbackView>)> {
    let (req, files, _) = read_json_and_files::<FeedbackRequest>(request, "feedback").await?;
    let view = Feedbacks::of(&state).submit(account.as_ref(), &req, files).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
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
#[into_params(parameter_in = Query)]
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
/// officers), or rates the answer (its sender). An answer or a refusal may come as multipart,
/// the JSON in the part `action` and up to 5 files (a letter, a decision) in parts `file`.
#[utoipa::path(post, path = "/api/v1/feedback/{code}/actions", tag = "feedback",
    request_body(content((FeedbackAction = "application/json"), (FeedbackActionWithFiles = "multipart/form-data"))),
    params(("code" = String, Path, description = "Mã phản ánh, kiến nghị")),
    responses((status = 200, body = FeedbackView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn act(
    State(state): State<AppState>,
    MaybeAccount(account): MaybeAccount,
    ApiPath(code): ApiPath<String>,
    request: axum::extract::Request,
) -> ApiResult<Json<FeedbackView>> {
    let (req, files, _) = read_json_and_files::<FeedbackAction>(request, "action").await?;
    Ok(Json(Feedbacks::of(&state).act(account.as_ref(), &code, &req, files).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FileQuery {
    /// true: shown in the browser (preview) instead of saved.
    pub inline: Option<bool>,
}

/// Downloads one of a feedback's files: any of them for the sender and the officers handling
/// it; the answer's for anyone else holding the code (404 otherwise).
#[utoipa::path(get, path = "/api/v1/feedback/{code}/files/{index}", tag = "feedback",
    params(("code" = String, Path, description = "Mã phản ánh, kiến nghị"), ("index" = i32, Path, description = "Số thứ tự tệp"), FileQuery),
    responses((status = 200, description = "Nội dung tệp", content_type = "application/octet-stream"), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn file(
    State(state): State<AppState>,
    MaybeAccount(account): MaybeAccount,
    ApiPath((code, index)): ApiPath<(String, i32)>,
    ApiQuery(q): ApiQuery<FileQuery>,
) -> ApiResult<Response> {
    let (a, bytes) = Feedbacks::of(&state).file(account.as_ref(), &code, index).await?;
    Ok(file_response(&a, bytes, q.inline == Some(true)))
}
