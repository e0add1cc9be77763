//! Work files for incoming documents over JSON: assigning, the work's steps, the lists.

use crate::documents::api::*;
use crate::documents::work::{AssignRequest, WorkAction, WorkView, Works};

/// A leader of the receiving organisation assigns an accepted incoming document: a main
/// handler, co-handlers, a direction and a deadline in working days. The sender receives
/// status 04 (who, by when).
#[utoipa::path(post, path = "/api/v1/documents/{id}/work", tag = "documents", request_body = AssignRequest,
    params(("id" = i64, Path, description = "Số hiệu bản ghi văn bản đến")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, body = WorkView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn assign_work(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<AssignRequest>,
) -> ApiResult<(StatusCode, Json<WorkView>)> {
    Ok((StatusCode::CREATED, Json(Works::of(&state).assign(&current.account, id, &req).await?)))
}

/// The work on an incoming document: who, by when, where it stands, every step.
#[utoipa::path(get, path = "/api/v1/documents/{id}/work", tag = "documents",
    params(("id" = i64, Path, description = "Số hiệu bản ghi văn bản đến")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = WorkView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_work(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<WorkView>> {
    Ok(Json(Works::of(&state).get(&current.account, id).await?))
}

/// A step of the work: progress, a question to a co-handler, a co-handler's input, a draft,
/// approval or sending back, reading (for information), reassigning, the reply sent.
#[utoipa::path(post, path = "/api/v1/documents/{id}/work/actions", tag = "documents", request_body = WorkAction,
    params(("id" = i64, Path, description = "Số hiệu bản ghi văn bản đến")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = WorkView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn work_action(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<WorkAction>,
) -> ApiResult<Json<WorkView>> {
    Ok(Json(Works::of(&state).act(&current.account, id, &req).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct WorkQuery {
    /// An organisation's work (one the officer works at); without it, the officer's own (as
    /// main handler or co-handler).
    pub org: Option<OrgCode>,
    /// Open work only.
    pub open: Option<bool>,
    /// Open work past its deadline only.
    pub overdue: Option<bool>,
    pub offset: Option<i64>,
    pub limit: Option<i64>,
}

/// Work on incoming documents, open first and the earliest due first (the overdue lead).
#[utoipa::path(get, path = "/api/v1/documents/work", tag = "documents", params(WorkQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = PageOf<WorkView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_work(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiQuery(q): ApiQuery<WorkQuery>,
) -> ApiResult<Json<PageOf<WorkView>>> {
    if current.account.kind != motcua_domain::AccountKind::Staff {
        return Err(AppError::forbidden());
    }
    let page = Page::new(q.offset, q.limit);
    let found =
        Works::of(&state).list(&current.account, q.org, q.open == Some(true), q.overdue == Some(true), page).await?;
    Ok(Json(PageOf::new(found, page)))
}
