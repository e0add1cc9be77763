//! The one place where errors become HTTP responses:
//! `{ "error": { "code": "...", "message": "..." } }`, message in Vietnamese, stable code.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use motcua_domain::DomainError;
use motcua_store::StoreError;
use serde::Serialize;

pub use super::codes::ErrorCode;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
}

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
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }
    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }
    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated, "Bạn cần đăng nhập để thực hiện thao tác này")
    }
    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, "Bạn không có quyền thực hiện thao tác này")
    }
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::InternalError,
            "Hệ thống gặp sự cố, vui lòng thử lại sau",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: ErrorDetail { code: self.code, message: self.message } };
        (self.status, Json(body)).into_response()
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        Self::bad_request(ErrorCode::from(&e), e.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(_) => Self::new(StatusCode::CONFLICT, ErrorCode::Conflict, "Bản ghi đã tồn tại"),
            StoreError::MissingReference(_) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::MissingReference,
                "Bản ghi tham chiếu không tồn tại",
            ),
            other => {
                tracing::error!(error = %other, "store error");
                Self::internal()
            }
        }
    }
}

impl From<crate::service::ServiceError> for ApiError {
    fn from(e: crate::service::ServiceError) -> Self {
        use crate::service::ServiceError;
        match e {
            ServiceError::WrongCode(_) => Self::new(StatusCode::UNAUTHORIZED, ErrorCode::WrongCode, e.to_string()),
            ServiceError::CodeSpent => Self::new(StatusCode::UNAUTHORIZED, ErrorCode::CodeExpired, e.to_string()),
            ServiceError::Store(s) => s.into(),
            ServiceError::Random(r) => {
                tracing::error!(error = %r, "randomness");
                Self::internal()
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
