//! Prometheus metrics at `/metrics`, with the `metrics` crates: requests and their latency per
//! route (the route as declared, so a flood of random paths makes no new series), and, read
//! at each scrape, the database pool's use, the official documents and messages waiting to go
//! and the tickets waiting at each centre. Off unless `--metrics-token` is given; then a
//! scraper sends it as a bearer token (Prometheus: `authorization: {credentials: …}`).
//!
//! The recorder is the process's: servers started in one process (tests) share it.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sha2::{Digest, Sha256};

use crate::app::{AppError, AppState};

/// Latency buckets, in seconds: around the 50 ms a request should stay under.
const BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// The process's recorder, installed on first use; `None` if another was installed first.
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| match PrometheusBuilder::new().set_buckets(BUCKETS).map(|b| b.install_recorder()) {
            Ok(Ok(h)) => Some(h),
            Ok(Err(e)) | Err(e) => {
                tracing::warn!(error = %e, "metrics recorder not installed");
                None
            }
        })
        .as_ref()
}

/// Installs the recorder (so the first requests are counted too).
pub fn install() {
    let _ = handle();
}

/// Counts a routed request and times it, by method, route and status.
pub async fn track(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!("motcua_http_request_duration_seconds", "method" => method.clone(), "route" => route.clone())
        .record(started.elapsed().as_secs_f64());
    metrics::counter!("motcua_http_requests_total", "method" => method, "route" => route, "status" => status)
        .increment(1);
    response
}

fn digest(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

/// Whether the request carries the metrics token (compared as hashes, so the time taken does
/// not tell how much of it matched).
fn allowed(expected: &str, headers: &HeaderMap) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    digest(given) == digest(expected)
}

/// Prometheus metrics (text exposition format); 404 when no token is configured, 401 without
/// the right one.
#[utoipa::path(get, path = "/metrics", tag = "system",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain"),
        (status = 401, body = crate::api::error::ErrorBody), (status = 404, body = crate::api::error::ErrorBody)))]
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    let Some(crate::app::Secret(token)) = state.settings.metrics_token.as_ref() else {
        return Err(AppError::not_found("Không có trang này"));
    };
    if !allowed(token, &headers) {
        return Err(AppError::unauthenticated());
    }
    let Some(handle) = handle() else { return Err(AppError::internal()) };
    let (size, idle) = state.store.pool_use();
    metrics::gauge!("motcua_db_pool_connections").set(f64::from(size));
    metrics::gauge!("motcua_db_pool_idle_connections").set(idle as f64);
    let today = crate::statistics::figures::today();
    let backlogs = state.store.backlogs(today).await?;
    metrics::gauge!("motcua_documents_outbox_waiting").set(backlogs.documents_outbox as f64);
    metrics::gauge!("motcua_notifications_waiting").set(backlogs.notifications as f64);
    for (centre, n) in backlogs.waiting_tickets {
        metrics::gauge!("motcua_queue_tickets_waiting", "centre" => centre).set(n as f64);
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], handle.render()).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_bearer_token_is_allowed() {
        let mut h = HeaderMap::new();
        assert!(!allowed("bi-mat", &h));
        h.insert(header::AUTHORIZATION, "Bearer bi-mat".parse().unwrap());
        assert!(allowed("bi-mat", &h));
        h.insert(header::AUTHORIZATION, "Bearer bi-ma".parse().unwrap());
        assert!(!allowed("bi-mat", &h));
        h.insert(header::AUTHORIZATION, "bi-mat".parse().unwrap());
        assert!(!allowed("bi-mat", &h), "the scheme is required");
    }
}
