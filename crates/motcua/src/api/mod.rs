//! The JSON adapter's kit, shared by every capability's `api`: the error body and its
//! rendering (`error.rs`), extractors that refuse with our errors (`extract.rs`), pages of a
//! list (`page.rs`), and the JSON answers of the server's own layers (an unknown path, a
//! method not allowed, a refusal, a panic). The router and the OpenAPI document are
//! composed in `server/api_routes.rs`.

pub mod error;

pub mod extract;
pub(crate) mod files;
pub mod page;
pub use page::PageOf;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::app::{AppError, ErrorCode};

/// A refusal of the server's own layers (quotas, large bodies), as JSON.
pub fn refusal(refusal: crate::edge::guard::Refusal) -> Response {
    refusal.error().into_response()
}

/// What a panic in a handler is answered with.
pub fn panicked() -> Response {
    AppError::internal().into_response()
}

/// Our JSON error for a status that came without one.
pub fn error_for_status(status: StatusCode) -> Response {
    let (code, message) = match status {
        StatusCode::BAD_REQUEST => (ErrorCode::BadRequest, "Yêu cầu không hợp lệ (đường dẫn, tham số hoặc nội dung)"),
        StatusCode::UNAUTHORIZED => (ErrorCode::Unauthenticated, "Bạn cần đăng nhập để thực hiện thao tác này"),
        StatusCode::FORBIDDEN => (ErrorCode::Forbidden, "Yêu cầu bị từ chối"),
        StatusCode::NOT_FOUND => (ErrorCode::NotFound, "Không tìm thấy địa chỉ yêu cầu"),
        StatusCode::METHOD_NOT_ALLOWED => {
            (ErrorCode::MethodNotAllowed, "Phương thức không được hỗ trợ cho địa chỉ này")
        }
        StatusCode::REQUEST_TIMEOUT => (ErrorCode::RequestTimeout, "Gửi yêu cầu quá lâu; vui lòng thử lại"),
        StatusCode::PAYLOAD_TOO_LARGE => (ErrorCode::PayloadTooLarge, "Nội dung gửi lên vượt quá dung lượng cho phép"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (ErrorCode::UnsupportedMediaType, "Kiểu nội dung không được hỗ trợ"),
        s if s.is_server_error() => return AppError::internal().into_response(),
        _ => (ErrorCode::RequestRefused, "Yêu cầu không thực hiện được"),
    };
    json_error(status, code, message)
}

/// An error answer with a status that no [`crate::app::Kind`] stands for (405, 408).
fn json_error(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    let body = error::ErrorBody { error: error::ErrorDetail { code, message: message.to_owned(), fields: Vec::new() } };
    (status, Json(body)).into_response()
}

/// An unknown path; one that only ends in a slash it should not have (`/ho-so/`) is sent to
/// the path without it.
pub async fn not_found(uri: axum::http::Uri) -> Response {
    let path = uri.path();
    let trimmed = path.trim_end_matches('/');
    // Never `//host` or `/\host`: a browser would take those for another site.
    let local = trimmed.starts_with('/') && !trimmed[1..].starts_with(['/', '\\']);
    if path.ends_with('/') && !path.ends_with("//") && local {
        let to = match uri.query() {
            Some(q) => format!("{trimmed}?{q}"),
            None => trimmed.to_owned(),
        };
        return axum::response::Redirect::permanent(&to).into_response();
    }
    AppError::not_found("Không tìm thấy địa chỉ yêu cầu").into_response()
}

pub async fn method_not_allowed() -> Response {
    json_error(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        "Phương thức không được hỗ trợ cho địa chỉ này",
    )
}

/// A page to print (forms 01–05, result sheets, receipts): inline styles and an inline SVG,
/// no script at all, so its own policy allows inline styles and nothing else.
pub(crate) fn printable(html: String) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "private, no-store"),
            (header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
        ],
        html,
    )
        .into_response()
}
