//! Paying fees without cash: the payment shown on a dossier (amount, VietQR code, bank),
//! callbacks from banks and payment gateways (HMAC-signed, idempotent, matched by dossier
//! code and amount; anything else recorded for reconciliation, never applied), electronic
//! receipts, and the daily reconciliation report per unit.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use motcua_domain::OrgCode;
use motcua_store::payments::Receipt;
use serde::Deserialize;

use crate::api::error::{ApiResult, AppError, ErrorBody, Kind};
use crate::api::extract::{ApiPath, ApiQuery};
use crate::app::AppState;
use crate::app::ErrorCode;
use crate::app::display::vnd;
use crate::calendar::source::display_vn;
use crate::edge::CurrentAccount;
use crate::payments::*;

pub use crate::payments::partners::{CALLBACK_SKEW_SECONDS, callback_signature};
pub const HEADER_GATEWAY: &str = "x-gateway";
pub const HEADER_TIMESTAMP: &str = "x-timestamp";
pub const HEADER_SIGNATURE: &str = "x-signature";

/// Receipts of a dossier.
#[utoipa::path(get, path = "/api/v1/dossiers/{code}/receipts", tag = "payments",
    params(("code" = String, Path, description = "Mã hồ sơ")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = Vec<ReceiptView>), (status = 404, body = ErrorBody)))]
pub async fn receipts(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<Json<Vec<ReceiptView>>> {
    let stored = crate::dossiers::Dossiers::of(&state).load_visible(&code, &current.account).await?;
    Ok(Json(Payments::of(&state).receipts_of(&stored.dossier).await?.iter().map(receipt_view).collect()))
}

/// Checks a partner's (gateway's, carrier's) signed request: `X-Gateway` registered as a
/// partner of `kind` (another kind's name is as unknown), `X-Timestamp` within 5 minutes,
/// `X-Signature` the HMAC of `{timestamp}.{body}`. Its name.
pub async fn authenticate_partner(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
    kind: motcua_domain::payment::PartnerKind,
) -> ApiResult<String> {
    let unauthorised =
        |m: &str| AppError::new(Kind::Unauthenticated, ErrorCode::InvalidCallbackSignature, m.to_owned());
    let get = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::trim);
    let (Some(gateway), Some(ts), Some(sig)) = (get(HEADER_GATEWAY), get(HEADER_TIMESTAMP), get(HEADER_SIGNATURE))
    else {
        return Err(unauthorised("Thiếu X-Gateway, X-Timestamp hoặc X-Signature"));
    };
    Payments::of(state).authenticate_partner(gateway, ts, sig, body, kind).await?;
    Ok(gateway.to_owned())
}

/// A bank or payment gateway confirms a transfer. Authenticated by `X-Gateway`,
/// `X-Timestamp` (Unix seconds, within 5 minutes) and `X-Signature`
/// (hex HMAC-SHA256 with the gateway's secret over `{timestamp}.{body}`).
#[utoipa::path(post, path = "/api/v1/payments/callback", tag = "payments", request_body = CallbackBody,
    responses((status = 200, body = CallbackReply), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<CallbackReply>> {
    let gateway =
        authenticate_partner(&state, &headers, &body, motcua_domain::payment::PartnerKind::PaymentGateway).await?;
    let gateway = gateway.as_str();
    let text = std::str::from_utf8(&body)
        .map_err(|_| AppError::bad_request(ErrorCode::InvalidBody, "Nội dung phải là UTF-8"))?;
    let req: CallbackBody = serde_json::from_str(text)
        .map_err(|e| AppError::bad_request(ErrorCode::InvalidBody, format!("Nội dung không hợp lệ: {e}")))?;
    Ok(Json(Payments::of(&state).transfer_reported(gateway, text, &req).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReconciliationQuery {
    /// The collecting unit; left out, the whole province with the transfers that matched no
    /// dossier (the province's administrators).
    pub org: Option<String>,
    /// `YYYY-MM-DD` (Vietnam time).
    pub date: String,
}

/// The day's receipts and callbacks of a unit, as CSV (UTF-8 with BOM, for spreadsheets):
/// what was collected, and every transfer that did not match, to settle by hand.
#[utoipa::path(get, path = "/api/v1/payments/reconciliation", tag = "payments", params(ReconciliationQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn reconciliation(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiQuery(q): ApiQuery<ReconciliationQuery>,
) -> ApiResult<Response> {
    let org = q.org.as_deref().filter(|s| !s.trim().is_empty()).map(OrgCode::parse).transpose()?;
    let (day, table) = Payments::of(&state).reconciliation(&current.account, org.as_ref(), &q.date).await?;
    let out = table.to_csv();
    let name = format!("doi-soat-{}-{day}.csv", org.as_ref().map_or("toan-tinh", |o| o.as_str()));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        out,
    )
        .into_response())
}

#[derive(askama::Template)]
#[template(path = "forms/receipt.html")]
struct ReceiptPage {
    r: Receipt,
    org: String,
    org_name: String,
    dossier: String,
    procedure: String,
    method: &'static str,
    transaction: String,
    issued_at: String,
    /// (description, unit price, quantity, amount, exempt group)
    lines: Vec<(String, String, u16, String, String)>,
    total: String,
    qr_svg: String,
    verify_url: String,
    /// The QR code carries a seal (checkable offline), not only the address.
    sealed: bool,
}

/// The printable electronic receipt (biên lai) of a dossier's fees.
#[utoipa::path(get, path = "/dossiers/{code}/receipts/{number}", tag = "payments",
    params(("code" = String, Path, description = "Mã hồ sơ"), ("number" = String, Path, description = "Số biên lai")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Biên lai", content_type = "text/html"), (status = 404, body = ErrorBody)))]
pub async fn receipt_page(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath((code, number)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    use askama::Template;
    let stored = crate::dossiers::Dossiers::of(&state).load_visible(&code, &current.account).await?;
    let sheet = Payments::of(&state).receipt_sheet(&stored.dossier, &number).await?;
    let (r, org_name, procedure, url) = (sheet.receipt, sheet.org_name, sheet.procedure, sheet.url);
    let lines: Vec<motcua_domain::payment::FeeLine> =
        serde_json::from_str::<Option<Vec<_>>>(&r.lines).ok().flatten().unwrap_or_default();
    let page = ReceiptPage {
        org: r.org.to_string(),
        org_name,
        dossier: r.dossier.to_string(),
        procedure,
        method: if r.method == "desk" {
            "Nộp tại Bộ phận Một cửa"
        } else {
            "Chuyển khoản (VietQR, không dùng tiền mặt)"
        },
        transaction: r.transaction_id.clone().unwrap_or_default(),
        issued_at: display_vn(r.issued_at),
        lines: lines
            .iter()
            .map(|l| {
                (
                    if l.online_rate {
                        format!("{} (mức nộp trực tuyến)", l.description)
                    } else {
                        l.description.clone()
                    },
                    l.unit_amount.to_string(),
                    l.quantity,
                    l.amount.to_string(),
                    l.exempt.map(|g| g.label_vi().to_owned()).unwrap_or_default(),
                )
            })
            .collect(),
        total: vnd(r.amount),
        sealed: sheet.seal.is_some(),
        qr_svg: crate::dossiers::forms::qr_svg(sheet.seal.as_deref().unwrap_or(&url)).map_err(|e| {
            tracing::error!(error = %e, "receipt QR");
            AppError::internal()
        })?,
        verify_url: url.clone(),
        r,
    };
    let html = page.render().map_err(|e| {
        tracing::error!(error = %e, "receipt template");
        AppError::internal()
    })?;
    Ok(crate::api::printable(html))
}
