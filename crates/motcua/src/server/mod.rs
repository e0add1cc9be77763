//! Running the HTTP server, and the one place where its routes are composed.

mod api_conventions;
mod api_routes;
mod metrics;
mod page_routes;

pub use api_routes::openapi;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use motcua_store::Store;
use tokio::net::TcpListener;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, Uri, header};
use axum::response::Response;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::app::{AppState, ConnectionLimits, ServerSettings};
use crate::edge::guard;
use crate::{api, web};

/// Serves the API on `listener` until `shutdown` resolves; expired sessions are purged hourly.
pub async fn serve(
    listener: TcpListener,
    store: Arc<dyn Store>,
    settings: ServerSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    ensure_stats(store.as_ref()).await.map_err(std::io::Error::other)?;
    let state = AppState::new(store.clone(), settings);
    let purge_store = store.clone();
    let purge_exchange = state.exchange.clone();
    let purger = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            if let Err(e) = purge_store.purge_expired_sessions(Timestamp::now()).await {
                tracing::warn!(error = %e, "purging expired sessions failed");
            }
            // Sign-ins left waiting for a second factor that never came.
            if let Err(e) = purge_store.purge_sign_ins(Timestamp::now()).await {
                tracing::warn!(error = %e, "purging waiting sign-ins failed");
            }
            // Requests to the identity provider the browser never came back from, and offers
            // to link an account nobody answered.
            if let Err(e) = purge_store.purge_identity_requests(Timestamp::now()).await {
                tracing::warn!(error = %e, "purging identity requests failed");
            }
            match purge_exchange.purge_quarantine().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(dropped = n, "quarantine past its retention"),
                Err(e) => tracing::warn!(error = %e, "purging the quarantine failed"),
            }
        }
    });
    // Build the search index now rather than on the first search.
    let warm = state.clone();
    tokio::spawn(async move {
        if let Err(e) = warm.search.current(warm.store.as_ref(), warm.store.as_ref()).await {
            tracing::error!(error = %e, "search index");
        }
    });
    // Deliver official documents waiting in the outbox (also those left by a crash).
    let outbox = tokio::spawn(state.exchange.clone().run_outbox());
    // Take in what the national document axis holds for this system, if connected.
    let axis = tokio::spawn(state.exchange.clone().run_axis());
    // Tell applicants what happened to their dossiers (also what a crash left unsaid).
    let notifier = std::sync::Arc::new(crate::notifications::Notifier::new(
        state.store.clone(),
        state.settings.notify.clone(),
        state.settings.public_url.clone(),
    ));
    let notifier = tokio::spawn(notifier.run());
    metrics::install();
    // Live events to and from the other servers sharing a PostgreSQL database.
    let relay = tokio::spawn(state.events.clone().run(state.store.clone()));
    // Addresses whose quotas have refilled need not be remembered, and memory that large
    // bodies freed goes back to the system (see memory.rs).
    let throttle = state.throttle.clone();
    let trim_every = state.settings.connections.trim_every;
    let forgetter = tokio::spawn(async move {
        let mut tick = tokio::time::interval(trim_every);
        loop {
            tick.tick().await;
            throttle.forget_idle(crate::accounts::lockout::LoginGuard::WINDOW).await;
            let _ = tokio::task::spawn_blocking(crate::memory::give_back_freed).await;
        }
    });
    // Reminders and escalations of dossiers near or past their due time, and linked
    // applications left half moved on, by one server at a time (each fires or moves once
    // whoever runs it).
    let escalating = state.clone();
    let escalator = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(30));
        loop {
            tick.tick().await;
            let lead = match escalating.store.lead("escalations").await {
                Ok(Some(lead)) => lead,
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "escalations: no lead");
                    continue;
                }
            };
            if let Err(e) = crate::dossiers::escalation::Escalations::of(&escalating).run(Timestamp::now()).await {
                tracing::error!(error = %e.message, "escalations");
            }
            // Feedback near or past its deadline.
            if let Err(e) = crate::feedback::Feedbacks::of(&escalating).remind(Timestamp::now()).await {
                tracing::error!(error = %e.message, "feedback reminders");
            }
            // Work on incoming documents near or past its deadline.
            if let Err(e) = crate::documents::work::Works::of(&escalating).remind(Timestamp::now()).await {
                tracing::error!(error = %e.message, "work reminders");
            }
            // Linked applications a crash or a lost race left half moved on.
            if let Err(e) = crate::dossiers::Dossiers::of(&escalating).settle_running().await {
                tracing::error!(error = %e.message, "linked applications");
            }
            drop(lead);
        }
    });
    let connections = state.settings.connections.clone();
    let app = router(state);
    let result = serve_connections(listener, app, &connections, shutdown).await;
    forgetter.abort();
    escalator.abort();
    purger.abort();
    outbox.abort();
    axis.abort();
    notifier.abort();
    relay.abort();
    result
}

/// Accepts connections and serves each with HTTP/1.1 under the limits; on `shutdown`, stops
/// accepting and lets requests under way finish (for at most 30 s).
async fn serve_connections(
    listener: TcpListener,
    app: axum::Router,
    limits: &ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt;
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    tokio::pin!(shutdown);
    loop {
        // A free slot first, so connections past the cap wait in the backlog, not in memory.
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => p.map_err(std::io::Error::other)?,
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(x) => x,
                Err(e) => {
                    // Out of descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "accept");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
            let mut req = req.map(axum::body::Body::new);
            req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            app.clone().oneshot(req)
        });
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(30), graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still under way after 30 s at shutdown");
    }
    Ok(())
}

/// Computes the statistics from the dossiers once, on a database that has never had them
/// (created before they existed, or restored without them); afterwards every change keeps
/// them current.
pub async fn ensure_stats(store: &dyn Store) -> Result<(), motcua_store::StoreError> {
    if store.meta("stats_built").await?.is_none() {
        let n = store.rebuild_stats().await?;
        tracing::info!(dossiers = n, "statistics computed from the dossiers");
    }
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// The whole application, composed here and only here: the API's routes and the pages'
/// routes side by side (neither adapter knows the other), fallbacks, and the layers every
/// request passes.
pub fn router(state: AppState) -> Router {
    let body_limit = state.settings.body_limit;
    let guard = guard::Guard { state: state.clone(), render: render_refusal };
    let (api_routes, openapi) = api_routes::routes();
    let reference = Arc::new(web::api_reference::Reference::of(&openapi));
    api_routes
        .merge(page_routes::routes(reference))
        .route_layer(axum::middleware::from_fn_with_state(guard.clone(), guard::middleware))
        .route_layer(axum::middleware::from_fn(metrics::track))
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(guard, guard::large_bodies))
        // A body that stops arriving is cut off rather than holding its connection.
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(state.settings.connections.body_timeout))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("content-security-policy"),
            HeaderValue::from_static(CSP),
        ))
        .layer(axum::middleware::from_fn(no_store_when_signed_in))
        .layer(axum::middleware::from_fn(errors_in_the_callers_language))
        .layer(CatchPanicLayer::custom(|_| api::panicked()))
        .layer(
            // Method and path only: query strings and bodies may carry personal data.
            TraceLayer::new_for_http().make_span_with(
                |req: &Request| tracing::info_span!("http", method = %req.method(), path = %req.uri().path()),
            ),
        )
        .with_state(state)
}

/// A refusal of the quota and large-body layers, rendered by the adapter that owns the route:
/// a page for an over-quota page route, JSON otherwise (a browser still gets a page for a
/// JSON refusal outside `/api/`, from [`errors_in_the_callers_language`]).
fn render_refusal(uri: &Uri, refusal: guard::Refusal) -> Response {
    match refusal {
        guard::Refusal::RateLimited { seconds } if !uri.path().starts_with("/api/") => {
            web::too_many_requests(uri, seconds)
        }
        _ => api::refusal(refusal),
    }
}

/// The content security policy of every page and answer that sets none of its own: only this
/// site's scripts, styles and images; forms post only here; no `<base>` and no plugins.
pub const CSP: &str =
    "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";

/// Every error answers in the caller's language, whoever produced it (our handlers, or the
/// router and its extractors, which answer in plain text): a browser opening a page gets a
/// page, never raw text or JSON; everyone else, and everything under `/api/`, gets our JSON
/// error with a stable code. `Retry-After` and `Allow` are kept.
async fn errors_in_the_callers_language(req: Request, next: axum::middleware::Next) -> Response {
    let path = req.uri().path();
    let api = path.starts_with("/api/") || path == "/healthz" || path == "/readyz" || path == "/metrics";
    let browser =
        req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    let uri = req.uri().clone();
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let kind = resp.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let (is_json, is_html) = (kind.starts_with("application/json"), kind.starts_with("text/html"));
    let mut replaced = if !api && browser && !is_html {
        web::page_for_error(&uri, status)
    } else if (api || !browser) && !is_json && !is_html {
        api::error_for_status(status)
    } else {
        return resp;
    };
    for name in [header::RETRY_AFTER, header::ALLOW] {
        if let Some(v) = resp.headers().get(&name) {
            replaced.headers_mut().insert(name, v.clone());
        }
    }
    replaced
}

/// Whatever a signed-in caller is answered (their dossiers, CCCD, phone) is theirs alone: no
/// cache may keep it, so Back on a shared kiosk after sign-out shows nothing of the previous
/// citizen. Only answers meant for everyone (`public`: styles, scripts, icons) are left as
/// they are.
async fn no_store_when_signed_in(req: Request, next: axum::middleware::Next) -> Response {
    let credentials = crate::edge::bearer_or_cookie(req.headers()).is_some();
    let mut resp = next.run(req).await;
    let public = resp
        .headers()
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|d| d.trim().eq_ignore_ascii_case("public")));
    if credentials && !public {
        resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    }
    resp
}
