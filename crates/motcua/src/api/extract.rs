//! Extractors whose rejections are our JSON errors, not axum's plain text.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::{AppError, Kind};
use crate::app::ErrorCode;

/// JSON body. Malformed → 400 `malformed_json`; wrong shape or value → 400 `invalid_body`;
/// not `application/json` → 415; over the body limit → 413.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> AppError {
    match r {
        JsonRejection::JsonDataError(e) => {
            AppError::bad_request(ErrorCode::InvalidBody, format!("Dữ liệu gửi lên không hợp lệ: {}", e.body_text()))
        }
        JsonRejection::JsonSyntaxError(_) => {
            AppError::bad_request(ErrorCode::MalformedJson, "Nội dung gửi lên không phải JSON hợp lệ")
        }
        JsonRejection::MissingJsonContentType(_) => AppError::new(
            Kind::Unsupported,
            ErrorCode::UnsupportedMediaType,
            "Yêu cầu phải có Content-Type: application/json",
        ),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            AppError::new(Kind::TooLarge, ErrorCode::PayloadTooLarge, "Nội dung gửi lên vượt quá dung lượng cho phép")
        }
        other => AppError::bad_request(
            ErrorCode::InvalidBody,
            format!("Không đọc được nội dung yêu cầu ({})", other.status()),
        ),
    }
}

/// Query string. Bad values → 400 `invalid_query`.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Self(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => Err(AppError::bad_request(
                ErrorCode::InvalidQuery,
                format!("Tham số truy vấn không hợp lệ: {}", e.body_text()),
            )),
            Err(_) => Err(AppError::bad_request(ErrorCode::InvalidQuery, "Tham số truy vấn không hợp lệ")),
        }
    }
}

/// Path parameters. Undecodable → 400 `invalid_path`.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Self(v))
            .map_err(|_| AppError::bad_request(ErrorCode::InvalidPath, "Đường dẫn không hợp lệ"))
    }
}

/// Parses a JSON body already read as bytes (when the handler also needs the raw bytes, as
/// for an idempotency hash), with the same errors as [`ApiJson`].
pub fn json_body<T: DeserializeOwned>(headers: &axum::http::HeaderMap, body: &[u8]) -> Result<T, AppError> {
    let is_json = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json")));
    if !is_json {
        return Err(AppError::new(
            Kind::Unsupported,
            ErrorCode::UnsupportedMediaType,
            "Yêu cầu phải có Content-Type: application/json",
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = T::deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    value.map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            AppError::bad_request(ErrorCode::MalformedJson, "Nội dung gửi lên không phải JSON hợp lệ")
        } else {
            AppError::bad_request(ErrorCode::InvalidBody, format!("Dữ liệu gửi lên không hợp lệ: {e}"))
        }
    })
}
