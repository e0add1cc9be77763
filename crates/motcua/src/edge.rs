//! What both adapters (the JSON API and the web pages) share at the HTTP edge: the status of
//! each kind of refusal, who is asking (session cookie or bearer token), the session cookie
//! itself, and the headers of live event streams. It imports the application layer and
//! neither adapter.

use axum::http::StatusCode;

use crate::app::{AppError, Kind};

/// The HTTP status of a kind of refusal or fault.
pub fn status_of(kind: Kind) -> StatusCode {
    match kind {
        Kind::Invalid => StatusCode::BAD_REQUEST,
        Kind::Unauthenticated => StatusCode::UNAUTHORIZED,
        Kind::Forbidden => StatusCode::FORBIDDEN,
        Kind::NotFound => StatusCode::NOT_FOUND,
        Kind::Conflict => StatusCode::CONFLICT,
        Kind::Gone => StatusCode::GONE,
        Kind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Kind::Unsupported => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Kind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        Kind::TooMany => StatusCode::TOO_MANY_REQUESTS,
        Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The kind of a status that came without one of ours (the router's and extractors' own).
pub fn kind_of(status: StatusCode) -> Kind {
    match status {
        StatusCode::UNAUTHORIZED => Kind::Unauthenticated,
        StatusCode::FORBIDDEN => Kind::Forbidden,
        StatusCode::NOT_FOUND => Kind::NotFound,
        StatusCode::CONFLICT => Kind::Conflict,
        StatusCode::GONE => Kind::Gone,
        StatusCode::PAYLOAD_TOO_LARGE => Kind::TooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Kind::Unsupported,
        StatusCode::UNPROCESSABLE_ENTITY => Kind::Unprocessable,
        StatusCode::TOO_MANY_REQUESTS => Kind::TooMany,
        StatusCode::SERVICE_UNAVAILABLE => Kind::Unavailable,
        s if s.is_server_error() => Kind::Internal,
        _ => Kind::Invalid,
    }
}

impl AppError {
    /// The HTTP status either adapter answers this with.
    pub fn status(&self) -> StatusCode {
        status_of(self.kind)
    }
}

/// Headers every live stream (server-sent events) carries, so that no proxy holds events
/// back — nginx buffers a response unless told not to, and a display then shows each change
/// one event late — and none compresses or caches it.
pub fn live_stream_headers() -> [(axum::http::HeaderName, &'static str); 2] {
    [
        (axum::http::header::CACHE_CONTROL, "no-cache, no-transform"),
        (axum::http::HeaderName::from_static("x-accel-buffering"), "no"),
    ]
}
