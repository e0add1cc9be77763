//! The pages as one router: every capability's pages (`<capability>/pages`) behind the forms'
//! cross-site check, the stylesheet and the icon.

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::app::AppState;
use crate::web::csrf;

const CSS: &str = include_str!("../../static/app.css");

/// Every page: the API reference and each capability's pages with the forms' cross-site
/// check, then the stylesheet and the icon.
pub(super) fn routes(reference: std::sync::Arc<crate::web::api_reference::Reference>) -> Router<AppState> {
    Router::new()
        .merge(crate::web::api_reference::routes(reference))
        .merge(crate::catalog::pages::routes())
        .merge(crate::assistant::pages::routes())
        .merge(crate::results::pages::routes())
        .merge(crate::feedback::pages::routes())
        .merge(crate::accounts::pages::routes())
        .merge(crate::dossiers::pages::routes())
        .merge(crate::admin::pages::routes())
        .merge(crate::documents::pages::routes())
        .merge(crate::meetings::pages::routes())
        .merge(crate::statistics::pages::routes())
        .merge(crate::service::pages::kiosk::routes())
        .merge(crate::service::pages::appointments::routes())
        .layer(axum::middleware::from_fn(csrf::ensure_token))
        .route("/static/app.css", get(css))
        .route("/static/favicon.svg", get(favicon))
}

async fn favicon() -> Response {
    (
        [(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")],
        include_str!("../../static/favicon.svg"),
    )
        .into_response()
}

async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], CSS)
        .into_response()
}
