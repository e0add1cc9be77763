//! The citizen's data store (kho dữ liệu, Decree 45/2020): the results returned to them and
//! the papers of theirs the state accepted, ready to attach to a later dossier instead of
//! uploading again. Such dossiers are flagged as reusing digitised data (766 index).

use axum::Json;
use axum::extract::State;

use crate::api::error::{ApiResult, ErrorBody};
use crate::app::AppState;
use crate::datastore::*;
use crate::edge::CurrentAccount;

/// The signed-in citizen's data store.
#[utoipa::path(get, path = "/api/v1/me/documents", tag = "dossiers", operation_id = "dossiers_list_my_documents",
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = Vec<StoredPaper>), (status = 401, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, current: CurrentAccount) -> ApiResult<Json<Vec<StoredPaper>>> {
    Ok(Json(Papers::of(&state).papers(&current.account).await?.into_iter().map(|(p, _)| p).collect()))
}
