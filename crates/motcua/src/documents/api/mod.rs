//! Official documents: the outgoing and incoming registers, sending, status receipts,
//! recall/update/replace, edXML export and import, and the inbox partner servers deliver
//! to with signed requests.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use motcua_domain::OrgCode;
use motcua_exchange::edxml::{BusinessType, StatusCode as DocStatusCode};
use motcua_store::Page;
use motcua_store::documents::{Direction, DocumentFilter};
use serde::{Deserialize, Serialize};

use crate::api::error::{ApiResult, AppError, ErrorBody, Kind};
use crate::api::extract::{ApiJson, ApiPath, ApiQuery};
use crate::api::files::read_json_and_files;
use crate::api::page::PageOf;
use crate::app::AppState;
use crate::app::ErrorCode;
use crate::app::upload::too_large;
use crate::calendar::source::display_vn;
use crate::documents::exchange::{self, BusinessRequest, Source, can_view};
use crate::documents::*;
use crate::edge::CurrentAccount;

mod answers;
mod between_servers;
mod content;
mod work;
pub use answers::*;
pub use between_servers::*;
pub use content::*;
pub use work::*;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Organisation whose register (default: every one the viewer belongs to).
    pub org: Option<String>,
    /// `out` or `in`.
    pub direction: Option<String>,
    pub year: Option<i32>,
    pub state: Option<String>,
    pub offset: Option<i64>,
    pub limit: Option<i64>,
}

pub(crate) fn filter_for(current: &CurrentAccount, q: &ListQuery) -> ApiResult<DocumentFilter> {
    // Registers are the organisations' own: a citizen has none to see.
    if current.account.kind != motcua_domain::AccountKind::Staff {
        return Err(AppError::forbidden());
    }
    let mine: Vec<OrgCode> = current.account.roles.iter().map(|r| r.org.clone()).collect();
    let orgs = match q.org.as_deref().filter(|s| !s.is_empty()) {
        Some(o) => {
            let o = OrgCode::parse(o)?;
            if !can_view(&current.account, &o) {
                return Err(AppError::forbidden());
            }
            vec![o]
        }
        None => mine,
    };
    let direction = match q.direction.as_deref().filter(|s| !s.is_empty()) {
        Some(d) => Some(
            Direction::parse(d)
                .ok_or_else(|| AppError::bad_request(ErrorCode::InvalidDirection, "direction phải là out hoặc in"))?,
        ),
        None => None,
    };
    Ok(DocumentFilter { orgs: Some(orgs), direction, year: q.year, state: q.state.clone().filter(|s| !s.is_empty()) })
}

/// The registers: outgoing and incoming documents of the viewer's organisations.
#[utoipa::path(get, path = "/api/v1/documents", tag = "documents", params(ListQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = PageOf<DocumentSummary>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<PageOf<DocumentSummary>>> {
    let filter = filter_for(&current, &q)?;
    let page = Page::new(q.offset, q.limit);
    let paged = Documents::of(&state).list(&filter, page).await?;
    let items =
        paged.items.iter().map(|d| exchange::header_of(d).map(|h| summary(d, &h))).collect::<Result<Vec<_>, _>>()?;
    Ok(Json(PageOf { items, total: paged.total, offset: page.offset, limit: page.limit }))
}

crate::api::files::with_files!(
    /// A document with its files (`multipart/form-data`): the document as JSON in the part
    /// `document`, each file in a part `file`.
    SendWithFiles, document: SendRequest
);

/// Numbers the document in the sender's outgoing register, signs it with the
/// organisation's certificate and queues it for every recipient. With an `Idempotency-Key`
/// header a retried request returns the first document (200) instead of sending another.
#[utoipa::path(post, path = "/api/v1/documents", tag = "documents",
    request_body(content((SendRequest = "application/json"), (SendWithFiles = "multipart/form-data"))),
    params(("Idempotency-Key" = Option<String>, Header, description = "Khóa chống gửi trùng (tối đa 200 ký tự)")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, body = DocumentView), (status = 200, body = DocumentView, description = "Khóa đã dùng: văn bản đã gửi"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn send(
    State(state): State<AppState>,
    current: CurrentAccount,
    request: axum::extract::Request,
) -> ApiResult<Response> {
    // A key of other bytes than text is refused as an empty one.
    let key = request.headers().get("idempotency-key").map(|v| v.to_str().unwrap_or("").to_owned());
    let (req, files, request_hash) = read_json_and_files::<SendRequest>(request, "document").await?;
    let key = crate::app::idempotency_key(key.as_deref(), &current.account, &request_hash)?;
    let outgoing = outgoing_from(req, package_files(files))?;
    let (d, created) = state.exchange.send(&current.account, outgoing, key.as_ref()).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(Documents::of(&state).view(&d, &current.account).await?)).into_response())
}

/// A document with its recipients' status timelines.
#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "documents",
    params(("id" = i64, Path, description = "Số hiệu bản ghi")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = DocumentView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<DocumentView>> {
    let d = Documents::of(&state).load(id, &current.account).await?;
    Ok(Json(Documents::of(&state).view(&d, &current.account).await?))
}
