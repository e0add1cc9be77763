//! The one place where the application's errors become JSON answers:
//! `{ "error": { "code": "...", "message": "..." } }`, message in Vietnamese, stable code,
//! with the status of its [`Kind`](crate::app::Kind).

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub use crate::app::{AppError, ErrorCode, Kind};

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine code, e.g. `not_found`, `invalid_credentials`.
    pub code: ErrorCode,
    /// Human message in Vietnamese.
    pub message: String,
    /// Each field at fault, when the request was a form (a declaration).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<crate::app::FieldProblem>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = crate::edge::status_of(self.kind);
        let body = ErrorBody { error: ErrorDetail { code: self.code, message: self.message, fields: self.fields } };
        (status, Json(body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, AppError>;
