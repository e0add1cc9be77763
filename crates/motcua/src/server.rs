//! Running the HTTP server.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use motcua_store::Store;
use tokio::net::TcpListener;

use crate::api::{self, AppState, ServerSettings};

/// Serves the API on `listener` until `shutdown` resolves; expired sessions are purged hourly.
pub async fn serve(
    listener: TcpListener,
    store: Arc<dyn Store>,
    settings: ServerSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    ensure_stats(store.as_ref()).await.map_err(std::io::Error::other)?;
    let purge_store = store.clone();
    let purger = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            if let Err(e) = purge_store.purge_expired_sessions(Timestamp::now()).await {
                tracing::warn!(error = %e, "purging expired sessions failed");
            }
        }
    });
    let state = AppState::new(store, settings);
    // Build the search index now rather than on the first search.
    let warm = state.clone();
    tokio::spawn(async move {
        if let Err(e) = warm.search.current(&warm.store).await {
            tracing::error!(error = %e, "search index");
        }
    });
    // Deliver official documents waiting in the outbox (also those left by a crash).
    let outbox = tokio::spawn(state.exchange.clone().run_outbox());
    // Tell applicants what happened to their dossiers (also what a crash left unsaid).
    let notifier = std::sync::Arc::new(crate::notify::Notifier::new(
        state.store.clone(),
        state.settings.notify.clone(),
        state.settings.public_url.clone(),
    ));
    let notifier = tokio::spawn(notifier.run());
    // Addresses whose quotas have refilled need not be remembered.
    let throttle = state.throttle.clone();
    let forgetter = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            throttle.forget_idle();
        }
    });
    let app = api::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let result = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    forgetter.abort();
    purger.abort();
    outbox.abort();
    notifier.abort();
    result
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
