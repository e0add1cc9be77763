//! The JSON API as one router: every capability's endpoints (`<capability>/api`), gathered
//! here with their OpenAPI document, the health check and the document itself.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json, Router};
use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::api_conventions::{Conventions, describe};
use crate::api::error;
use crate::app::{AppError, AppState, ErrorCode, Kind};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "motcua API",
        description = "API của hệ thống một cửa điện tử motcua: đơn vị hành chính, cơ quan, danh mục thủ tục hành chính, tài khoản.\n\nMọi lỗi trả về `{ \"error\": { \"code\": \"...\", \"message\": \"...\" } }`."
    ),
    modifiers(&SecurityAddon),
    // A form's field kinds hold fields again (a group's): named here, since the schema of a
    // field refers to them without recursing.
    components(schemas(motcua_domain::eform::FieldKind)),
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
        (name = "feedback", description = "Phản ánh, kiến nghị: gửi, phân loại, chuyển, trả lời, công khai, đánh giá"),
        (name = "meetings", description = "Phòng họp không giấy: mời họp, tài liệu, theo dõi trực tiếp, ý kiến, biên bản ký số"),
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
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::edge::SESSION_COOKIE))),
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
                    responses.entry("400".into()).or_insert_with(|| error(describe("400")));
                }
                if has_body {
                    responses.entry("413".into()).or_insert_with(|| error(describe("413")));
                    responses.entry("415".into()).or_insert_with(|| error(describe("415")));
                }
                if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    responses.entry("401".into()).or_insert_with(|| error(describe("401")));
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
    use crate::results::api::shipments;
    use crate::service::api::{appointments, kiosk, queue};
    use crate::{
        accounts::api as accounts, admin::api as admin, assistant::api as assistant, calendar::api as calendar,
        catalog::api as catalog, datastore::api as datastore, documents::api as documents, dossiers::api as dossiers,
        feedback::api as feedback, meetings::api as meetings, payments::api as payments, results::api as results,
        statistics::api as stats,
    };
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(super::metrics::metrics))
        .routes(routes!(openapi_json))
        .routes(routes!(catalog::list_units))
        .routes(routes!(catalog::get_unit))
        .routes(routes!(catalog::list_organisations))
        .routes(routes!(catalog::get_organisation))
        .routes(routes!(catalog::list_procedures))
        .routes(routes!(catalog::get_procedure))
        .routes(routes!(catalog::get_declaration))
        .routes(routes!(assistant::ask))
        .routes(routes!(accounts::login))
        .routes(routes!(accounts::second_factor))
        .routes(routes!(accounts::logout))
        .routes(routes!(accounts::me))
        .routes(routes!(accounts::change_password))
        .routes(routes!(accounts::register))
        .routes(routes!(accounts::confirm_registration))
        .routes(routes!(accounts::start_reset))
        .routes(routes!(accounts::finish_reset))
        .routes(routes!(accounts::organisation_staff))
        .routes(routes!(calendar::holidays))
        .routes(routes!(calendar::due))
        .routes(routes!(calendar::adjustments, calendar::put_adjustments))
        .routes(routes!(admin::list_workflows))
        .routes(routes!(admin::put_workflow))
        // Submissions and actions carry files: a larger body limit for those routes alone.
        .merge(routes_with_files())
        .routes(routes!(datastore::list))
        .routes(routes!(stats::summary))
        .routes(routes!(stats::series))
        .routes(routes!(stats::breakdown))
        .routes(routes!(stats::index))
        .routes(routes!(stats::weights))
        .routes(routes!(stats::centres))
        .routes(routes!(stats::savings))
        .routes(routes!(stats::feedback))
        .routes(routes!(stats::work))
        .routes(routes!(stats::events))
        .routes(routes!(payments::receipts))
        .routes(routes!(payments::callback))
        .routes(routes!(payments::reconciliation))
        .routes(routes!(payments::receipt_page))
        .routes(routes!(results::list))
        .routes(routes!(results::signature))
        .routes(routes!(results::verify))
        .routes(routes!(results::revoke))
        .routes(routes!(feedback::published))
        .routes(routes!(feedback::get))
        .routes(routes!(feedback::file))
        .routes(routes!(results::sheet))
        .routes(routes!(shipments::create, shipments::get))
        .routes(routes!(shipments::carrier_update))
        .routes(routes!(documents::get))
        .routes(routes!(documents::edxml))
        .routes(routes!(documents::signed_content))
        .routes(routes!(documents::signature))
        .routes(routes!(documents::attachment))
        .routes(routes!(documents::set_status))
        .routes(routes!(documents::assign_work, documents::get_work))
        .routes(routes!(documents::work_action))
        .routes(routes!(documents::list_work))
        .routes(routes!(meetings::get))
        .routes(routes!(meetings::act))
        .routes(routes!(meetings::paper))
        .routes(routes!(meetings::live))
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

/// The routes whose requests carry files (submissions, actions, official documents, partner
/// packages, feedback): each group with the body limit its files need.
fn routes_with_files() -> OpenApiRouter<AppState> {
    use crate::{
        documents::api as documents, dossiers::api as dossiers, feedback::api as feedback, meetings::api as meetings,
    };
    OpenApiRouter::new()
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
        .merge(
            OpenApiRouter::new()
                .routes(routes!(documents::peer_batch))
                .layer(DefaultBodyLimit::max(crate::documents::exchange::batch::MAX_BATCH_BYTES + 64 * 1024)),
        )
        // Feedback and its answers: a body as large as their files together.
        .merge(
            OpenApiRouter::new()
                .routes(routes!(feedback::submit, feedback::list))
                .routes(routes!(feedback::act))
                .layer(DefaultBodyLimit::max(motcua_domain::feedback::MAX_TOTAL_BYTES + 1024 * 1024)),
        )
        // A meeting called with its pack.
        .merge(
            OpenApiRouter::new()
                .routes(routes!(meetings::call, meetings::list))
                .layer(DefaultBodyLimit::max(crate::meetings::MAX_FILES_BYTES + 1024 * 1024)),
        )
}

/// What the annotations leave to the document as a whole: the errors every operation can
/// give, then the ids and descriptions every operation follows.
fn complete(doc: &mut utoipa::openapi::OpenApi) {
    CommonErrors.modify(doc);
    Conventions.modify(doc);
}

/// The OpenAPI document of every endpoint (what `GET /api/v1/openapi.json` serves).
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = documented_routes().into_openapi();
    complete(&mut doc);
    doc
}

/// The API's routes, ready for the server to compose with the pages, and their OpenAPI
/// document (served at `/api/v1/openapi.json`, and read by the reference pages).
pub fn routes() -> (Router<AppState>, Arc<utoipa::openapi::OpenApi>) {
    let (api_router, mut openapi) = documented_routes().split_for_parts();
    complete(&mut openapi);
    let openapi = Arc::new(openapi);
    (api_router.layer(Extension(openapi.clone())), openapi)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`
    status: &'static str,
    /// `sqlite` or `postgres`
    database: &'static str,
}

fn engine(state: &AppState) -> &'static str {
    match state.store.backend() {
        motcua_store::Backend::Sqlite => "sqlite",
        motcua_store::Backend::Postgres => "postgres",
    }
}

/// Liveness: the process answers. It touches nothing else, so a database outage does not
/// make a supervisor restart every server; [`readyz`] says whether to send it work.
#[utoipa::path(get, path = "/healthz", tag = "system", responses((status = 200, body = Health)))]
async fn healthz(State(state): State<AppState>) -> Json<Health> {
    Json(Health { status: "ok", database: engine(&state) })
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Ready {
    /// `ready`
    status: &'static str,
    /// `sqlite` or `postgres`
    database: &'static str,
}

/// Readiness, for a load balancer: the database answers and the file store can be read.
#[utoipa::path(get, path = "/readyz", tag = "system",
    responses((status = 200, body = Ready), (status = 503, body = error::ErrorBody)))]
async fn readyz(State(state): State<AppState>) -> Result<Json<Ready>, AppError> {
    state.store.ping().await.map_err(|e| {
        tracing::error!(error = %e, "readiness: database unreachable");
        AppError::new(Kind::Unavailable, ErrorCode::DatabaseUnavailable, "Cơ sở dữ liệu không phản hồi")
    })?;
    state.blobs.ready().await.map_err(|e| {
        tracing::error!(error = %e, "readiness: file store unreachable");
        AppError::new(Kind::Unavailable, ErrorCode::FileStoreUnavailable, "Kho tệp đính kèm không truy cập được")
    })?;
    Ok(Json(Ready { status: "ready", database: engine(&state) }))
}

/// This OpenAPI document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "system",
    responses((status = 200, description = "Tài liệu OpenAPI 3.1", content_type = "application/json")))]
async fn openapi_json(Extension(doc): Extension<Arc<utoipa::openapi::OpenApi>>) -> Response {
    Json(doc.as_ref().clone()).into_response()
}

#[cfg(test)]
mod tests {
    use crate::app::ErrorCode;

    #[test]
    fn the_openapi_document_lists_the_codes_themselves() {
        let doc = super::openapi().to_json().unwrap();
        let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
        let listed: Vec<&str> = v["components"]["schemas"]["ErrorCode"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c.as_str())
            .collect();
        let mut expected: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        expected.sort_unstable();
        let mut listed_sorted = listed.clone();
        listed_sorted.sort_unstable();
        assert_eq!(listed_sorted, expected);
    }
}
