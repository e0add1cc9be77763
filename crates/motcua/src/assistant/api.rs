//! `POST /api/v1/assistant`: a citizen's question in their own words → the procedure, what
//! to bring, the fee, the time limit, where, whether fully online, and where to start — or,
//! when several procedures fit, a question back listing them. Offline: the search index.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use crate::api::error::{ApiResult, AppError, ErrorBody};
use crate::api::extract::ApiJson;
use crate::app::AppState;
use crate::app::ErrorCode;
use crate::assistant::*;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssistantRequest {
    /// Câu hỏi của người dân, có dấu hoặc không dấu (tối đa 1.000 ký tự).
    #[schema(example = "làm lại bằng lái")]
    pub question: String,
    /// `vi` (mặc định) hoặc `en`: ngôn ngữ của câu trả lời.
    #[serde(default)]
    pub lang: Option<String>,
    /// Thủ tục đang nói tới (`procedure` của câu trả lời trước): câu hỏi tiếp theo như «còn lệ
    /// phí thì sao?» được trả lời về thủ tục này.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "1.002809")]
    pub procedure: Option<motcua_domain::ProcedureCode>,
}

/// Finds the procedure for a citizen's question and says what to do — what was asked (fee,
/// time, papers, where, online, how to start) first. A conversation: send the answer's
/// `procedure` back with the next question, and a follow-up is answered about it.
#[utoipa::path(post, path = "/api/v1/assistant", tag = "catalog", request_body = AssistantRequest,
    responses((status = 200, body = AssistantAnswer), (status = 400, body = ErrorBody)))]
pub async fn ask(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<AssistantRequest>,
) -> ApiResult<Json<AssistantAnswer>> {
    let en = match req.lang.as_deref() {
        None | Some("vi") => false,
        Some("en") => true,
        Some(_) => return Err(AppError::bad_request(ErrorCode::InvalidValue, "lang phải là vi hoặc en")),
    };
    let catalog = crate::catalog::Catalog::of(&state);
    Ok(Json(answer(&catalog, &req.question, en, req.procedure.as_ref()).await?))
}
