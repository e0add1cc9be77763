//! The province's workflows over HTTP: read them, store a new version (the province's
//! administrator).

use axum::Json;
use axum::extract::State;
use motcua_domain::workflow::Workflow;

use crate::admin::Administration;
use crate::api::error::{ApiResult, ErrorBody};
use crate::api::extract::{ApiJson, ApiPath};
use crate::app::AppState;
use crate::edge::CurrentAccount;

/// Every workflow procedures follow, each at its current version.
#[utoipa::path(get, path = "/api/v1/workflows", tag = "catalog",
    responses((status = 200, body = Vec<Workflow>)))]
pub async fn list_workflows(State(state): State<AppState>) -> ApiResult<Json<Vec<Workflow>>> {
    Ok(Json(crate::catalog::Catalog::of(&state).workflows().await?))
}

/// Stores a workflow: a new one, or the next version of one whose steps changed (the
/// `version` sent is ignored). Dossiers already started go on under the version they
/// started under; new ones start under this. Only the administrator of the provincial
/// People's Committee may change workflows. 422 `invalid_workflow` names the broken rule.
#[utoipa::path(put, path = "/api/v1/workflows/{code}", tag = "catalog", request_body = Workflow,
    params(("code" = String, Path, description = "Mã quy trình, ví dụ 5-buoc")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = Workflow, description = "Quy trình đã lưu, với phiên bản"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_workflow(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath(code): ApiPath<String>,
    ApiJson(workflow): ApiJson<Workflow>,
) -> ApiResult<Json<Workflow>> {
    Ok(Json(Administration::of(&state).save_workflow(&current.account, &code, workflow).await?))
}
