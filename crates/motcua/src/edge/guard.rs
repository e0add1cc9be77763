//! The layers that guard every request before a handler sees it: per-address quotas on the
//! routes [`crate::throttle::LIMITED`] lists, and a cap on large bodies read at once. A
//! refusal is rendered by the adapter that owns the route (`server.rs` passes the renderer).

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderValue, Uri, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::app::{AppError, AppState, ErrorCode, Kind};
use crate::throttle::class_of;

/// A refusal of the layers in this file, put to the caller by the adapter that owns the route
/// (the composition in `server.rs` chooses: JSON under `/api/`, a page elsewhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The route's quota for this address is spent; it refills in so many seconds.
    RateLimited { seconds: u64 },
    /// Every place for a large body is taken.
    Busy,
}

impl Refusal {
    /// The refusal as the application's error (code and Vietnamese message).
    pub fn error(self) -> AppError {
        match self {
            Refusal::RateLimited { seconds } => AppError::new(
                Kind::TooMany,
                ErrorCode::RateLimited,
                format!("Quá nhiều yêu cầu từ địa chỉ của bạn; vui lòng thử lại sau {seconds} giây"),
            ),
            Refusal::Busy => AppError::new(
                Kind::Unavailable,
                ErrorCode::ServerBusy,
                "Máy chủ đang nhận nhiều tệp lớn cùng lúc; vui lòng gửi lại sau ít phút",
            ),
        }
    }

    /// When to come back, in seconds (`Retry-After`).
    pub fn retry_after(self) -> u64 {
        match self {
            Refusal::RateLimited { seconds } => seconds,
            Refusal::Busy => 30,
        }
    }
}

/// The state of this file's layers: the application's, and how a refusal is rendered.
#[derive(Clone)]
pub struct Guard {
    pub state: AppState,
    pub render: fn(&Uri, Refusal) -> Response,
}

impl Guard {
    fn refuse(&self, uri: &Uri, refusal: Refusal) -> Response {
        let mut response = (self.render)(uri, refusal);
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(refusal.retry_after()));
        response
    }
}

/// Puts the caller's [`ClientKey`] on the request and refuses it when its route's quota is
/// spent. Installed with `route_layer`, so the route is known.
pub async fn middleware(State(guard): State<Guard>, mut req: Request, next: Next) -> Response {
    let state = &guard.state;
    let peer =
        req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()).unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let key = state.throttle.client(peer, req.headers());
    req.extensions_mut().insert(key);
    let class = req.extensions().get::<MatchedPath>().and_then(|p| class_of(req.method(), p.as_str()));
    if let Some(class) = class
        && let Err(wait) = state.throttle.check(class, key).await
    {
        tracing::info!(?class, "rate limited");
        return guard.refuse(req.uri(), Refusal::RateLimited { seconds: wait.as_secs().max(1) });
    }
    next.run(req).await
}

/// A body above this size counts as large (files, edXML packages).
pub const LARGE_BODY_BYTES: u64 = 1024 * 1024;

/// At most so many large request bodies are read at once, whatever their senders: each may be
/// held in memory up to the upload limit, and thousands of connections each sending 50 MB would
/// otherwise exhaust the server. One more waits a little for a place, then is told to come back
/// (503 `server_busy`, `Retry-After`), its body unread.
pub async fn large_bodies(State(guard): State<Guard>, req: Request, next: Next) -> Response {
    let state = &guard.state;
    let headers = req.headers();
    let length = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    let large = match length {
        Some(n) => n > LARGE_BODY_BYTES,
        None => headers.contains_key(header::TRANSFER_ENCODING),
    };
    if !large {
        return next.run(req).await;
    }
    let wait = state.settings.connections.large_body_wait;
    match tokio::time::timeout(wait, state.large_bodies.clone().acquire_owned()).await {
        Ok(Ok(permit)) => {
            let response = next.run(req).await;
            drop(permit);
            response
        }
        _ => {
            tracing::warn!("large bodies: all places taken");
            guard.refuse(req.uri(), Refusal::Busy)
        }
    }
}
