//! The recipient's answers: processing statuses, and business requests (recall, update,
//! replace) with their decisions.

use crate::documents::api::*;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusRequest {
    /// `03` accepted, `02` rejected, `04` assigned, `05` in process, `06` completed.
    pub status: String,
    /// Reason (required to reject), who was assigned (required to assign), or a note.
    #[serde(default)]
    pub description: String,
}

/// The recipient records what became of an incoming document; a signed status receipt goes
/// back to the sender.
#[utoipa::path(post, path = "/api/v1/documents/{id}/status", tag = "documents", request_body = StatusRequest,
    params(("id" = i64, Path, description = "Số hiệu bản ghi")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = DocumentView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_status(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<StatusRequest>,
) -> ApiResult<Json<DocumentView>> {
    let status = DocStatusCode::parse(req.status.trim())
        .filter(|s| {
            matches!(
                s,
                DocStatusCode::Accepted
                    | DocStatusCode::Rejected
                    | DocStatusCode::Assigned
                    | DocStatusCode::InProcess
                    | DocStatusCode::Completed
            )
        })
        .ok_or_else(|| AppError::bad_request(ErrorCode::InvalidStatus, "Trạng thái phải là 02, 03, 04, 05 hoặc 06"))?;
    let d = state.exchange.set_status(&current.account, id, status, &req.description).await?;
    Ok(Json(Documents::of(&state).view(&d, &current.account).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BusinessBody {
    /// `recall`, `update` or `replace`.
    pub kind: String,
    pub reason: String,
    pub subject: Option<String>,
    pub content: Option<String>,
}

crate::api::files::with_files!(
    /// A business answer with files (`multipart/form-data`): the answer as JSON in the part
    /// `business`, each file in a part `file`.
    BusinessWithFiles, business: BusinessBody
);

/// The sender recalls (1), updates (2) or replaces (3) a document it sent; recipients answer
/// 15 (accepted) or 16 (refused). JSON, or multipart with a `business` part and new files.
#[utoipa::path(post, path = "/api/v1/documents/{id}/business", tag = "documents",
    request_body(content((BusinessBody = "application/json"), (BusinessWithFiles = "multipart/form-data"))),
    params(("id" = i64, Path, description = "Số hiệu bản ghi")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = DocumentView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn business(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath(id): ApiPath<i64>,
    request: axum::extract::Request,
) -> ApiResult<Json<DocumentView>> {
    let (req, files, _) = read_json_and_files::<BusinessBody>(request, "business").await?;
    let kind = match req.kind.as_str() {
        "recall" => BusinessType::Recall,
        "update" => BusinessType::Update,
        "replace" => BusinessType::Replace,
        _ => return Err(AppError::bad_request(ErrorCode::InvalidBusiness, "kind phải là recall, update hoặc replace")),
    };
    let attachments = (!files.is_empty()).then(|| package_files(files));
    let d = state
        .exchange
        .business(
            &current.account,
            id,
            BusinessRequest { kind, reason: req.reason, subject: req.subject, content: req.content, attachments },
        )
        .await?;
    Ok(Json(Documents::of(&state).view(&d, &current.account).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    pub accept: bool,
    #[serde(default)]
    pub reason: String,
}

/// The recipient accepts (15) or refuses (16) a pending recall, update or replacement.
#[utoipa::path(post, path = "/api/v1/documents/{id}/business-decision", tag = "documents", request_body = DecisionBody,
    params(("id" = i64, Path, description = "Số hiệu bản ghi")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = DocumentView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<DecisionBody>,
) -> ApiResult<Json<DocumentView>> {
    let d = state.exchange.decide(&current.account, id, req.accept, &req.reason).await?;
    Ok(Json(Documents::of(&state).view(&d, &current.account).await?))
}
