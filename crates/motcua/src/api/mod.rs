//! The HTTP API: routes, OpenAPI document, and the layers every request passes.

pub mod accounts;
pub mod appointments;
pub mod assistant;
pub mod calendar;
pub mod catalog;
pub mod codes;
pub mod datastore;
pub mod documents;
pub mod dossiers;
pub mod error;
pub use error::ErrorCode;
pub mod extract;
pub mod kiosk;
pub mod payments;
pub mod queue;
pub mod results;
pub mod shipments;
pub mod stats;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json, Router};
use jiff::SignedDuration;
use motcua_store::Store;
use serde::Serialize;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use error::ApiError;

/// Settings the HTTP layer needs.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub session_ttl: SignedDuration,
    /// Mark the session cookie `Secure` (when served over TLS).
    pub secure_cookies: bool,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Holiday layout, working hours and cut-off.
    pub calendar_rules: motcua_domain::calendar::CalendarRules,
    /// How waiting for a supplement affects deadlines.
    pub supplement_mode: motcua_domain::workflow::SupplementMode,
    /// Where attachments are kept (`blobs/` inside).
    pub data_dir: std::path::PathBuf,
    /// The address citizens reach the server at (QR codes on printed forms link to it).
    pub public_url: Option<String>,
    /// Decrypts the signing keys of document exchange; None: nothing can be signed.
    pub key_passphrase: Option<crate::exchange::Passphrase>,
    /// Retry and backoff of document delivery.
    pub outbox: crate::exchange::OutboxSettings,
    /// E-mail and SMS to applicants.
    pub notify: crate::notify::NotifySettings,
    /// The operations centre: 766 weights, postage and travel saved.
    pub stats: crate::stats::StatsSettings,
    /// Per-address quotas on anonymous lookups, writes and wrong passwords.
    pub limits: crate::throttle::Limits,
    /// Timeouts and caps of connections and event streams.
    pub connections: crate::server::ConnectionLimits,
    /// What one citizen account may submit in a day.
    pub quotas: AccountQuotas,
}

/// What one citizen account may submit in 24 hours: registration is open to anyone, so the
/// disk and the desks must not be anyone's to fill (0: no limit). Desk officers receiving at
/// the counter are not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountQuotas {
    pub dossiers_per_day: i64,
    pub bytes_per_day: i64,
}

impl Default for AccountQuotas {
    fn default() -> Self {
        // Far above what a person or a family files in a day; two full submissions of files.
        Self { dossiers_per_day: 20, bytes_per_day: 100 * 1024 * 1024 }
    }
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            session_ttl: SignedDuration::from_hours(12),
            secure_cookies: false,
            body_limit: 1024 * 1024,
            calendar_rules: Default::default(),
            supplement_mode: Default::default(),
            data_dir: "./motcua-data".into(),
            public_url: None,
            key_passphrase: None,
            outbox: Default::default(),
            notify: Default::default(),
            stats: Default::default(),
            limits: Default::default(),
            connections: Default::default(),
            quotas: Default::default(),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub settings: Arc<ServerSettings>,
    pub calendar: Arc<crate::calendar::CalendarSource>,
    pub search: Arc<crate::search::SearchSource>,
    pub exchange: Arc<crate::exchange::Exchange>,
    /// Told whenever a dossier is created or changes (the operations centre's live refresh).
    pub changes: tokio::sync::broadcast::Sender<()>,
    /// Told the centre's code whenever its queue changes (displays' live boards).
    pub queue: tokio::sync::broadcast::Sender<String>,
    /// Wrong passwords per username and address, to slow guessing.
    pub logins: Arc<crate::auth::LoginGuard>,
    /// Quotas per address on anonymous lookups and writes.
    pub throttle: Arc<crate::throttle::Throttle>,
    /// Live event streams open per address.
    pub streams: Arc<crate::throttle::StreamSlots>,
    /// Places for large request bodies being read (see `throttle::large_bodies`).
    pub large_bodies: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, settings: ServerSettings) -> Self {
        let calendar = Arc::new(crate::calendar::CalendarSource::new(settings.calendar_rules.clone()));
        let exchange =
            Arc::new(crate::exchange::Exchange::new(store.clone(), settings.key_passphrase.clone(), settings.outbox));
        let (changes, _) = tokio::sync::broadcast::channel(64);
        let (queue, _) = tokio::sync::broadcast::channel(256);
        let logins = Arc::new(crate::auth::LoginGuard::new(settings.limits.sign_in_failures));
        let throttle = Arc::new(crate::throttle::Throttle::new(&settings.limits));
        let streams = crate::throttle::StreamSlots::new(settings.connections.streams_per_address);
        let large_bodies = Arc::new(tokio::sync::Semaphore::new(settings.connections.large_bodies.max(1)));
        Self {
            store,
            settings: Arc::new(settings),
            calendar,
            search: Default::default(),
            exchange,
            changes,
            queue,
            logins,
            throttle,
            streams,
            large_bodies,
        }
    }

    /// A place for one more live event stream from `client`, or 429 `too_many_streams`.
    pub fn stream_slot(&self, client: crate::throttle::ClientKey) -> Result<crate::throttle::StreamSlot, ApiError> {
        self.streams.open(client).ok_or_else(|| {
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::TooManyStreams,
                "Địa chỉ của bạn đang mở quá nhiều kết nối theo dõi trực tiếp; hãy đóng bớt trang",
            )
        })
    }

    /// Tells live dashboards that dossiers changed (nobody listening is fine).
    pub fn dossiers_changed(&self) {
        let _ = self.changes.send(());
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

    /// Tells displays that a centre's queue changed.
    pub fn queue_changed(&self, centre: &motcua_domain::OrgCode) {
        let _ = self.queue.send(centre.to_string());
    }

    /// Whether messages go out by e-mail too (an SMTP server is configured).
    pub fn email_on(&self) -> bool {
        self.settings.notify.smtp_url.is_some()
    }

    /// The address citizens reach the server at, for links in messages.
    pub fn public_url(&self) -> &str {
        self.settings.public_url.as_deref().unwrap_or("")
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "motcua API",
        description = "API của hệ thống một cửa điện tử motcua: đơn vị hành chính, cơ quan, danh mục thủ tục hành chính, tài khoản.\n\nMọi lỗi trả về `{ \"error\": { \"code\": \"...\", \"message\": \"...\" } }`."
    ),
    modifiers(&SecurityAddon),
    tags(
        (name = "system", description = "Tình trạng hệ thống"),
        (name = "catalog", description = "Đơn vị hành chính, cơ quan, thủ tục hành chính"),
        (name = "accounts", description = "Đăng nhập và tài khoản"),
        (name = "calendar", description = "Lịch làm việc: ngày nghỉ lễ, hạn giải quyết"),
        (name = "dossiers", description = "Hồ sơ: nộp, xử lý, tra cứu"),
        (name = "payments", description = "Phí, lệ phí không dùng tiền mặt: VietQR, cổng thanh toán, biên lai, đối soát"),
        (name = "results", description = "Kết quả điện tử có ký số và trang xác minh công khai"),
        (name = "documents", description = "Văn bản điện tử: sổ đi, sổ đến, gửi nhận có ký số và báo nhận (edXML)"),
        (name = "stats", description = "Trung tâm điều hành: số liệu tiếp nhận, giải quyết, chỉ số 766, tiết kiệm; xuất CSV, XLSX"),
        (name = "queue", description = "Xếp hàng tại trung tâm: dịch vụ, quầy, số thứ tự, gọi số, màn hình, thời gian chờ"),
        (name = "kiosk", description = "Ki-ốt tự phục vụ: đọc mã QR thẻ căn cước, xác thực bằng mã một lần gửi về điện thoại"),
        (name = "appointments", description = "Đặt lịch hẹn: điểm hẹn, khung giờ, đặt, đổi, hủy, nhắc lịch"),
    )
)]
struct ApiDoc;

struct SecurityAddon;

impl Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("Mã phiên từ /api/v1/auth/login"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(accounts::SESSION_COOKIE))),
        );
    }
}

/// The error answers every operation can give because of the layers and extractors it passes,
/// whether or not its own annotation lists them: 400 for a parameter or body that does not
/// parse, 413 and 415 for bodies too large or of another type, 401 where a session is needed,
/// 429 on the routes limited per address ([`crate::throttle::LIMITED`]).
struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let error = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
                    )
                    .build(),
            )
        };
        use axum::http::Method;
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                (Method::GET, &mut item.get),
                (Method::PUT, &mut item.put),
                (Method::POST, &mut item.post),
                (Method::DELETE, &mut item.delete),
                (Method::PATCH, &mut item.patch),
            ];
            for (method, op) in operations {
                let Some(op) = op else { continue };
                let responses = &mut op.responses.responses;
                let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let has_body = op.request_body.is_some();
                if has_params || has_body {
                    responses
                        .entry("400".into())
                        .or_insert_with(|| error("Tham số hoặc dữ liệu không hợp lệ (mã lỗi trong error.code)"));
                }
                if has_body {
                    responses.entry("413".into()).or_insert_with(|| error("Dữ liệu gửi lên quá lớn"));
                    responses.entry("415".into()).or_insert_with(|| error("Kiểu nội dung không được hỗ trợ"));
                }
                if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    responses.entry("401".into()).or_insert_with(|| error("Chưa đăng nhập hoặc phiên đã hết hạn"));
                }
                if crate::throttle::class_of(&method, path).is_some() {
                    responses.entry("429".into()).or_insert_with(|| {
                        error("Quá nhiều yêu cầu từ một địa chỉ; thử lại sau số giây trong Retry-After")
                    });
                }
            }
        }
    }
}

/// Every documented route; the one source of both the router and the OpenAPI document.
fn documented_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(healthz))
        .routes(routes!(openapi_json))
        .routes(routes!(catalog::list_units))
        .routes(routes!(catalog::get_unit))
        .routes(routes!(catalog::list_organisations))
        .routes(routes!(catalog::get_organisation))
        .routes(routes!(catalog::list_procedures))
        .routes(routes!(catalog::get_procedure))
        .routes(routes!(assistant::ask))
        .routes(routes!(accounts::login))
        .routes(routes!(accounts::logout))
        .routes(routes!(accounts::me))
        .routes(routes!(accounts::change_password))
        .routes(routes!(accounts::register))
        .routes(routes!(accounts::confirm_registration))
        .routes(routes!(accounts::organisation_staff))
        .routes(routes!(calendar::holidays))
        .routes(routes!(calendar::due))
        .routes(routes!(calendar::adjustments, calendar::put_adjustments))
        // Submissions and actions carry files: a larger body limit for those routes alone.
        .merge(
            OpenApiRouter::new()
                .routes(routes!(dossiers::submit, dossiers::list))
                .routes(routes!(dossiers::act))
                .layer(DefaultBodyLimit::max(motcua_domain::attachment::MAX_TOTAL_BYTES + 1024 * 1024)),
        )
        .merge(
            OpenApiRouter::new()
                .routes(routes!(documents::list, documents::send))
                .routes(routes!(documents::business))
                .layer(DefaultBodyLimit::max(motcua_domain::attachment::MAX_TOTAL_BYTES + 1024 * 1024)),
        )
        .merge(
            OpenApiRouter::new()
                .routes(routes!(documents::import))
                .routes(routes!(documents::peer_inbox))
                .layer(DefaultBodyLimit::max(motcua_exchange::edxml::MAX_PACKAGE_BYTES)),
        )
        .routes(routes!(datastore::list))
        .routes(routes!(stats::summary))
        .routes(routes!(stats::series))
        .routes(routes!(stats::breakdown))
        .routes(routes!(stats::index))
        .routes(routes!(stats::weights))
        .routes(routes!(stats::centres))
        .routes(routes!(stats::savings))
        .routes(routes!(stats::events))
        .routes(routes!(payments::receipts))
        .routes(routes!(payments::callback))
        .routes(routes!(payments::reconciliation))
        .routes(routes!(payments::receipt_page))
        .routes(routes!(results::list))
        .routes(routes!(results::signature))
        .routes(routes!(results::verify))
        .routes(routes!(results::sheet))
        .routes(routes!(shipments::create, shipments::get))
        .routes(routes!(shipments::carrier_update))
        .routes(routes!(documents::get))
        .routes(routes!(documents::edxml))
        .routes(routes!(documents::signed_content))
        .routes(routes!(documents::signature))
        .routes(routes!(documents::attachment))
        .routes(routes!(documents::set_status))
        .routes(routes!(documents::decide))
        .routes(routes!(documents::ca_pem))
        .routes(routes!(documents::quarantine))
        .routes(routes!(queue::get_board, queue::put_setup))
        .routes(routes!(queue::take_ticket))
        .routes(routes!(queue::get_ticket))
        .routes(routes!(queue::call_next))
        .routes(routes!(queue::finish))
        .routes(routes!(queue::stats))
        .routes(routes!(queue::events))
        .routes(routes!(kiosk::chip_id))
        .routes(routes!(kiosk::request_code))
        .routes(routes!(kiosk::open_session))
        .routes(routes!(appointments::list_points))
        .routes(routes!(appointments::get_point, appointments::put_point))
        .routes(routes!(appointments::list_slots, appointments::publish_slots))
        .routes(routes!(appointments::day_list))
        .routes(routes!(appointments::book))
        .routes(routes!(appointments::get_booking))
        .routes(routes!(appointments::reschedule))
        .routes(routes!(appointments::cancel))
        .routes(routes!(appointments::attend))
        .routes(routes!(dossiers::attachments))
        .routes(routes!(dossiers::download))
        .routes(routes!(dossiers::form))
        .routes(routes!(dossiers::get))
        .routes(routes!(dossiers::rate))
        .routes(routes!(dossiers::events))
        .routes(routes!(dossiers::track))
}

/// The OpenAPI document of every endpoint (what `GET /api/v1/openapi.json` serves).
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = documented_routes().into_openapi();
    CommonErrors.modify(&mut doc);
    doc
}

/// The whole application: API routes, OpenAPI document, fallbacks and layers.
pub fn router(state: AppState) -> Router {
    let body_limit = state.settings.body_limit;
    let (api_router, mut openapi) = documented_routes().split_for_parts();
    CommonErrors.modify(&mut openapi);

    api_router
        .merge(crate::web::routes())
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), crate::throttle::middleware))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(Extension(Arc::new(openapi)))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::throttle::large_bodies))
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
        .layer(CatchPanicLayer::custom(|_| ApiError::internal().into_response()))
        .layer(
            // Method and path only: query strings and bodies may carry personal data.
            TraceLayer::new_for_http().make_span_with(
                |req: &Request| tracing::info_span!("http", method = %req.method(), path = %req.uri().path()),
            ),
        )
        .with_state(state)
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
    let api = path.starts_with("/api/") || path == "/healthz";
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
        crate::web::page_for_error(&uri, status)
    } else if (api || !browser) && !is_json && !is_html {
        error_for_status(status).into_response()
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

/// Our JSON error for a status that came without one.
fn error_for_status(status: StatusCode) -> ApiError {
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
        s if s.is_server_error() => return ApiError::internal(),
        _ => (ErrorCode::RequestRefused, "Yêu cầu không thực hiện được"),
    };
    ApiError::new(status, code, message)
}

/// Whatever a signed-in caller is answered (their dossiers, CCCD, phone) is theirs alone: no
/// cache may keep it, so Back on a shared kiosk after sign-out shows nothing of the previous
/// citizen. Only answers meant for everyone (`public`: styles, scripts, icons) are left as
/// they are.
async fn no_store_when_signed_in(req: Request, next: axum::middleware::Next) -> Response {
    let credentials = accounts::bearer_or_cookie(req.headers()).is_some();
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

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`
    status: &'static str,
    /// `sqlite` or `postgres`
    database: &'static str,
}

/// Liveness and database reachability.
#[utoipa::path(get, path = "/healthz", tag = "system",
    responses((status = 200, body = Health), (status = 503, body = error::ErrorBody)))]
async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    let database = match state.store.backend() {
        motcua_store::Backend::Sqlite => "sqlite",
        motcua_store::Backend::Postgres => "postgres",
    };
    state.store.ping().await.map_err(|e| {
        tracing::error!(error = %e, "health check: database unreachable");
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::DatabaseUnavailable, "Cơ sở dữ liệu không phản hồi")
    })?;
    Ok(Json(Health { status: "ok", database }))
}

/// This OpenAPI document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "system",
    responses((status = 200, description = "Tài liệu OpenAPI 3.1", content_type = "application/json")))]
async fn openapi_json(Extension(doc): Extension<Arc<utoipa::openapi::OpenApi>>) -> Response {
    Json(doc.as_ref().clone()).into_response()
}

/// An unknown path; one that only ends in a slash it should not have (`/ho-so/`) is sent to
/// the path without it.
async fn not_found(uri: axum::http::Uri) -> Response {
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
    ApiError::not_found("Không tìm thấy địa chỉ yêu cầu").into_response()
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        "Phương thức không được hỗ trợ cho địa chỉ này",
    )
}

/// A page of results.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PageOf<T> {
    pub items: Vec<T>,
    /// Number of matching records in all pages.
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
}

impl<T> PageOf<T> {
    pub fn new(paged: motcua_store::Paged<T>, page: motcua_store::Page) -> Self {
        Self { items: paged.items, total: paged.total, offset: page.offset, limit: page.limit }
    }
}
