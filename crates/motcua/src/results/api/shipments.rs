//! Results returned by public post: the desk records the shipment (recipient, address,
//! postage, an S10 tracking number), the carrier reports its progress with signed
//! requests, and the applicant follows it on the dossier.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use motcua_store::payments::{Shipment, ShipmentEvent};
use serde::{Deserialize, Serialize};

use crate::api::error::{ApiResult, AppError, ErrorBody, Kind};
use crate::api::extract::{ApiJson, ApiPath};
use crate::app::AppState;
use crate::app::ErrorCode;
use crate::calendar::source::display_vn;
use crate::edge::CurrentAccount;
use crate::results::post::Posting;
use crate::results::{Results, STATUSES, status_label};

#[derive(Serialize, utoipa::ToSchema)]
pub struct ShipmentView {
    pub tracking_number: String,
    pub carrier: String,
    pub recipient: String,
    pub address: String,
    pub postage_fee: i64,
    pub status: String,
    pub status_label: String,
    /// What happened to the parcel, oldest first.
    pub events: Vec<ShipmentEventView>,
}

/// One step of a parcel's journey.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ShipmentEventView {
    /// The status code (`created`, `in_transit`, `delivered`, …).
    pub status: String,
    /// The status in Vietnamese.
    pub label: String,
    pub note: String,
    /// When, `dd/mm/yyyy HH:MM` (Vietnam time).
    pub at: String,
}

fn view(s: &Shipment, events: &[ShipmentEvent]) -> ShipmentView {
    ShipmentView {
        tracking_number: s.tracking_number.clone(),
        carrier: s.carrier.clone(),
        recipient: s.recipient.clone(),
        address: s.address.clone(),
        postage_fee: s.postage_fee,
        status: s.status.clone(),
        status_label: status_label(&s.status).to_owned(),
        events: events
            .iter()
            .map(|e| ShipmentEventView {
                status: e.status.clone(),
                label: status_label(&e.status).to_owned(),
                note: e.note.clone(),
                at: display_vn(e.at),
            })
            .collect(),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipmentRequest {
    /// Default: the applicant.
    pub recipient: Option<String>,
    pub address: String,
    /// Default: the applicant's.
    pub phone: Option<String>,
    /// Postage, VND (paid by the applicant).
    pub postage_fee: i64,
    /// The carrier's registered name (its signed status updates come under it).
    #[serde(default = "default_carrier")]
    pub carrier: String,
}

fn default_carrier() -> String {
    "vnpost".into()
}

/// The desk sends the result by post: the shipment and its tracking number.
#[utoipa::path(post, path = "/api/v1/dossiers/{code}/shipment", tag = "results", operation_id = "results_create_shipment", request_body = ShipmentRequest,
    params(("code" = String, Path, description = "Mã hồ sơ")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, body = ShipmentView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath(code): ApiPath<String>,
    ApiJson(req): ApiJson<ShipmentRequest>,
) -> ApiResult<(StatusCode, Json<ShipmentView>)> {
    let stored = crate::dossiers::Dossiers::of(&state).load_visible(&code, &current.account).await?;
    let d = &stored.dossier;
    let results = Results::of(&state);
    // Who may, and whether there is a result, before what the request says.
    crate::results::post::may_post(&current.account, d)?;
    let invalid = |m: &str| AppError::new(Kind::Unprocessable, ErrorCode::InvalidShipment, m.to_owned());
    let address = req.address.trim();
    if address.chars().count() < 10 || address.chars().count() > 300 {
        return Err(invalid("Địa chỉ nhận phải có từ 10 đến 300 ký tự"));
    }
    if !(0..=10_000_000).contains(&req.postage_fee) {
        return Err(invalid("Cước phí không hợp lệ"));
    }
    let recipient = req.recipient.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let recipient = recipient.map_or_else(|| d.applicant.full_name.to_string(), str::to_owned);
    let phone = match req.phone.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(p) => motcua_domain::Phone::parse(p)?.as_str().to_owned(),
        None => d
            .applicant
            .phone
            .as_ref()
            .map(|p| p.as_str().to_owned())
            .ok_or_else(|| invalid("Cần số điện thoại người nhận"))?,
    };
    let carrier = req.carrier.trim().to_owned();
    if carrier.is_empty() || carrier.len() > 50 {
        return Err(invalid("Tên đơn vị bưu chính không hợp lệ"));
    }
    let posting = Posting { recipient, address: address.to_owned(), phone, postage_fee: req.postage_fee, carrier };
    let (s, events) = results.send_by_post(&current.account, d, posting).await?;
    Ok((StatusCode::CREATED, Json(view(&s, &events))))
}

/// The shipment of a dossier's result, with its status timeline.
#[utoipa::path(get, path = "/api/v1/dossiers/{code}/shipment", tag = "results", operation_id = "results_get_shipment",
    params(("code" = String, Path, description = "Mã hồ sơ")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = ShipmentView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<Json<ShipmentView>> {
    let stored = crate::dossiers::Dossiers::of(&state).load_visible(&code, &current.account).await?;
    let (s, events) = Results::of(&state).shipment(&stored.dossier.code).await?;
    Ok(Json(view(&s, &events)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct StatusUpdate {
    /// `picked_up`, `in_transit`, `delivered`, `failed`, `returned`.
    pub status: String,
    #[serde(default)]
    pub note: String,
}

/// The carrier reports a shipment's progress, signed like payment callbacks (`X-Gateway`
/// is the carrier's registered name). A repeat of the last update changes nothing.
#[utoipa::path(post, path = "/api/v1/shipments/{tracking}/status", tag = "results", operation_id = "results_shipment_status_from_carrier", request_body = StatusUpdate,
    params(("tracking" = String, Path, description = "Số hiệu bưu gửi")),
    responses((status = 204, description = "Đã ghi nhận"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn carrier_update(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(tracking): ApiPath<String>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let carrier = crate::payments::api::authenticate_partner(
        &state,
        &headers,
        &body,
        motcua_domain::payment::PartnerKind::Carrier,
    )
    .await?;
    let req: StatusUpdate = serde_json::from_slice(&body)
        .map_err(|e| AppError::bad_request(ErrorCode::InvalidBody, format!("Nội dung không hợp lệ: {e}")))?;
    if !STATUSES.iter().any(|(k, _)| *k == req.status && *k != "created") {
        return Err(AppError::bad_request(ErrorCode::InvalidStatus, "Trạng thái bưu gửi không hợp lệ"));
    }
    Results::of(&state).carrier_update(&carrier, &tracking, req.status, &req.note).await?;
    Ok(StatusCode::NO_CONTENT)
}
