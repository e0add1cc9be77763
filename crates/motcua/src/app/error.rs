//! What a use case answers when it does not do what was asked: a [`Kind`] (what sort of
//! refusal or fault), a stable [`ErrorCode`] a program may match on, and a message in
//! Vietnamese for people. The adapters render it: the JSON API as
//! `{ "error": { "code", "message" } }` with a status, the pages as a page.

use motcua_domain::DomainError;
use motcua_store::StoreError;

use super::codes::ErrorCode;

/// What sort of refusal or fault; each adapter maps it to its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The input does not parse or breaks a rule.
    Invalid,
    /// Nobody is signed in, or the credentials are wrong.
    Unauthenticated,
    /// Signed in, but not allowed.
    Forbidden,
    /// Nothing by that name, or nothing the caller may see.
    NotFound,
    /// The state of things does not allow it now (taken, already done, changed meanwhile).
    Conflict,
    /// It was there and is no longer.
    Gone,
    /// More bytes than allowed.
    TooLarge,
    /// A content type not taken here.
    Unsupported,
    /// Well formed, but refers to or asks for what cannot be done.
    Unprocessable,
    /// Too many in too short a time.
    TooMany,
    /// Busy or a part is down; try again later.
    Unavailable,
    /// Our fault.
    Internal,
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct AppError {
    pub kind: Kind,
    pub code: ErrorCode,
    pub message: String,
    /// Problems at named fields of what was sent (a declaration's), for an error summary.
    pub fields: Vec<FieldProblem>,
}

/// A problem with one field of what was sent.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    /// `name`, or `group[row].name` (rows from 0).
    pub path: String,
    pub label: String,
    pub message: String,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(kind: Kind, code: ErrorCode, message: impl Into<String>) -> Self {
        Self { kind, code, message: message.into(), fields: Vec::new() }
    }
    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(Kind::Invalid, code, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(Kind::NotFound, ErrorCode::NotFound, message)
    }
    pub fn unauthenticated() -> Self {
        Self::new(Kind::Unauthenticated, ErrorCode::Unauthenticated, "Bạn cần đăng nhập để thực hiện thao tác này")
    }
    pub fn forbidden() -> Self {
        Self::new(Kind::Forbidden, ErrorCode::Forbidden, "Bạn không có quyền thực hiện thao tác này")
    }
    pub fn internal() -> Self {
        Self::new(Kind::Internal, ErrorCode::InternalError, "Hệ thống gặp sự cố, vui lòng thử lại sau")
    }
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        Self::bad_request(ErrorCode::from(&e), e.to_string())
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(_) => Self::new(Kind::Conflict, ErrorCode::Conflict, "Bản ghi đã tồn tại"),
            StoreError::MissingReference(_) => {
                Self::new(Kind::Unprocessable, ErrorCode::MissingReference, "Bản ghi tham chiếu không tồn tại")
            }
            other => {
                tracing::error!(error = %other, "store error");
                Self::internal()
            }
        }
    }
}

impl From<crate::service::ServiceError> for AppError {
    fn from(e: crate::service::ServiceError) -> Self {
        use crate::service::ServiceError;
        match e {
            ServiceError::WrongCode(_) => Self::new(Kind::Unauthenticated, ErrorCode::WrongCode, e.to_string()),
            ServiceError::CodeSpent => Self::new(Kind::Unauthenticated, ErrorCode::CodeExpired, e.to_string()),
            ServiceError::Store(s) => s.into(),
            ServiceError::Random(r) => {
                tracing::error!(error = %r, "randomness");
                Self::internal()
            }
        }
    }
}
