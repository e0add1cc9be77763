//! Results returned by public post: the desk records the shipment (recipient, address,
//! postage, an S10 tracking number), the carrier reports its progress with signed
//! requests, and the applicant follows it on the dossier.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use jiff::Timestamp;
use motcua_domain::workflow::Status;
use motcua_domain::{AccountKind, Role};
use motcua_store::StoreError;
use motcua_store::payments::{Shipment, ShipmentEvent};
use serde::{Deserialize, Serialize};

use crate::api::error::{ApiResult, AppError, ErrorBody, Kind};
use crate::api::extract::{ApiJson, ApiPath};
use crate::app::AppState;
use crate::app::ErrorCode;
use crate::calendar::source::display_vn;
use crate::edge::CurrentAccount;
use crate::results::{STATUSES, status_label};

/// The UPU S10 check digit of an 8-digit serial (weights 8 6 4 2 3 5 9 7).
pub fn s10_check_digit(serial: &str) -> Option<u8> {
    if serial.len() != 8 || !serial.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let weights = [8u32, 6, 4, 2, 3, 5, 9, 7];
    let sum: u32 = serial.bytes().zip(weights).map(|(b, w)| u32::from(b - b'0') * w).sum();
    Some(match 11 - sum % 11 {
        10 => 0,
        11 => 5,
        d => d as u8,
    })
}

/// A tracking number `EB12345678 5VN` (without the space): service letters, serial, check
/// digit, country.
pub fn tracking_number(serial: u32) -> String {
    let serial = format!("{:08}", serial % 100_000_000);
    let check = s10_check_digit(&serial).unwrap_or(0);
    format!("EB{serial}{check}VN")
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ShipmentView {
    pub tracking_number: String,
    pub carrier: String,
    pub recipient: String,
    pub address: String,
    pub postage_fee: i64,
    pub status: String,
    pub status_label: String,
    /// (status, label, note, at)
    pub events: Vec<(String, String, String, String)>,
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
            .map(|e| (e.status.clone(), status_label(&e.status).to_owned(), e.note.clone(), display_vn(e.at)))
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
#[utoipa::path(post, path = "/api/v1/dossiers/{code}/shipment", tag = "results", request_body = ShipmentRequest,
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
    let stored = crate::dossiers::load_visible(&state, &code, &current.account).await?;
    let d = &stored.dossier;
    if current.account.kind != AccountKind::Staff || !current.account.can_act(&d.desk_org, Role::DeskOfficer) {
        return Err(AppError::forbidden());
    }
    if !matches!(d.status, Status::Done | Status::Returned) {
        return Err(AppError::new(Kind::Conflict, ErrorCode::ResultNotReady, "Hồ sơ chưa có kết quả để gửi"));
    }
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
    let now = Timestamp::now();
    for _ in 0..5 {
        let mut raw = [0u8; 4];
        getrandom::fill(&mut raw).map_err(|_| AppError::internal())?;
        let s = Shipment {
            dossier: d.code.clone(),
            tracking_number: tracking_number(u32::from_le_bytes(raw)),
            carrier: carrier.clone(),
            recipient: recipient.clone(),
            address: address.to_owned(),
            phone: phone.clone(),
            postage_fee: req.postage_fee,
            status: "created".into(),
            created_by: current.account.username.to_string(),
            created_at: now,
            updated_at: now,
        };
        match state.store.create_shipment(&s).await {
            Ok(()) => {
                let events = state.store.shipment(&d.code).await?.map(|x| x.1).unwrap_or_default();
                return Ok((StatusCode::CREATED, Json(view(&s, &events))));
            }
            Err(StoreError::Conflict(_)) if state.store.shipment(&d.code).await?.is_some() => {
                return Err(AppError::new(
                    Kind::Conflict,
                    ErrorCode::ShipmentExists,
                    "Hồ sơ đã được gửi qua bưu chính",
                ));
            }
            // A tracking number taken already: draw another.
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::internal())
}

/// The shipment of a dossier's result, with its status timeline.
#[utoipa::path(get, path = "/api/v1/dossiers/{code}/shipment", tag = "results",
    params(("code" = String, Path, description = "Mã hồ sơ")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = ShipmentView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<Json<ShipmentView>> {
    let stored = crate::dossiers::load_visible(&state, &code, &current.account).await?;
    let (s, events) = state
        .store
        .shipment(&stored.dossier.code)
        .await?
        .ok_or_else(|| AppError::not_found("Hồ sơ không gửi qua bưu chính"))?;
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
#[utoipa::path(post, path = "/api/v1/shipments/{tracking}/status", tag = "results", request_body = StatusUpdate,
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
    let shipment = state
        .store
        .shipment_by_tracking(&tracking)
        .await?
        .ok_or_else(|| AppError::not_found("Không có bưu gửi này"))?;
    if shipment.carrier != carrier {
        // Another carrier's parcel: as if it did not exist.
        return Err(AppError::not_found("Không có bưu gửi này"));
    }
    let note: String = req.note.trim().chars().take(300).collect();
    state
        .store
        .add_shipment_event(&tracking, &ShipmentEvent { status: req.status, note, at: Timestamp::now() })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s10_check_digits_follow_the_upu_rule() {
        // The commonly cited S10 number EE 12345678 5 US.
        assert_eq!(s10_check_digit("12345678"), Some(5));
        // 4·8+7·6+3·4+1·2+2·3+4·5+8·9+2·7 = 200; 200 mod 11 = 2; 11 − 2 = 9.
        assert_eq!(s10_check_digit("47312482"), Some(9));
        assert_eq!(s10_check_digit("00000000"), Some(5), "sum 0: 11 → 5");
        assert_eq!(s10_check_digit("1234567"), None);
        assert_eq!(tracking_number(12_345_678), "EB123456785VN");
    }
}
