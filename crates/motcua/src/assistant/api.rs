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
    /// Xã, phường của người hỏi (`commune` của câu trả lời trước, mã đơn vị hành chính 2025):
    /// câu trả lời chỉ đúng cơ quan nơi người hỏi nộp hồ sơ.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "06688")]
    pub commune: Option<motcua_domain::UnitCode>,
    /// Tờ khai đang khai trong cuộc trò chuyện (`form` của câu trả lời trước): câu tiếp theo là
    /// giá trị của mục vừa hỏi.
    #[serde(default)]
    pub form: Option<form::Filling>,
}

/// Finds the procedure for a citizen's question and says what to do — what was asked (fee,
/// time, papers, where, online, how to start) first. A conversation: send the answer's
/// `procedure` (and `commune`, once the citizen named it) back with the next question, and
/// a follow-up is answered about it, at the citizen's office.
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
    let commune = match req.commune {
        None => None,
        Some(c) if places::named_by_code(c.as_str()).is_some() => Some(c.as_str().to_owned()),
        Some(_) => {
            return Err(AppError::bad_request(ErrorCode::InvalidValue, "commune không phải mã xã, phường nào"));
        }
    };
    if let Some(f) = &req.form
        && (req.procedure.is_none() || crate::catalog::declarations::form(&f.form).is_none())
    {
        return Err(AppError::bad_request(ErrorCode::InvalidValue, "form phải là tờ khai của thủ tục đang nói tới"));
    }
    let catalog = crate::catalog::Catalog::of(&state);
    let context = Context { procedure: req.procedure, commune, form: req.form };
    Ok(Json(answer(&catalog, &req.question, en, &context).await?))
}
