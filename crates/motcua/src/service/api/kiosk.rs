//! What a self-service kiosk asks of the server: read the chip ID card's QR code, send a
//! one-time code to the phone registered with an ID number, and open a short session with
//! it (then the kiosk lists the citizen's dossiers and submits with the ordinary API).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use motcua_domain::service::{ChipId, Otp};
use motcua_domain::{Account, Cccd};
use serde::{Deserialize, Serialize};

use crate::api::error::{ApiResult, ErrorBody};
use crate::api::extract::ApiJson;
use crate::app::AppState;
use crate::service::kiosk::{KioskSignIn, Kiosks};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChipIdRequest {
    /// The text the scanner read, fields separated by `|`.
    pub qr: String,
}

/// Reads the QR code of a chip ID card (to fill in the applicant); nothing is stored.
#[utoipa::path(post, path = "/api/v1/kiosk/chip-id", tag = "kiosk", request_body = ChipIdRequest,
    responses((status = 200, body = ChipId), (status = 400, body = ErrorBody)))]
pub async fn chip_id(ApiJson(req): ApiJson<ChipIdRequest>) -> ApiResult<Response> {
    let c = ChipId::parse(&req.qr, crate::statistics::figures::today())?;
    Ok(([(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))], Json(c)).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// The citizen's 12-digit ID number.
    pub cccd: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CodeChallenge {
    /// Sent back with the code.
    pub challenge: String,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
    /// The same whether or not the number has an account.
    pub message: String,
}

/// Sends a one-time code to the phone (and e-mail) registered with the ID number. The
/// answer does not say whether an account has that number.
#[utoipa::path(post, path = "/api/v1/kiosk/code", tag = "kiosk", request_body = CodeRequest,
    responses((status = 202, body = CodeChallenge), (status = 400, body = ErrorBody)))]
pub async fn request_code(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<CodeRequest>,
) -> ApiResult<(axum::http::StatusCode, Json<CodeChallenge>)> {
    let cccd = Cccd::parse(&req.cccd)?;
    let c = Kiosks::of(&state).request_code(&cccd, Timestamp::now()).await?;
    Ok((
        axum::http::StatusCode::ACCEPTED,
        Json(CodeChallenge { challenge: c.challenge, expires_at: c.expires_at, message: CODE_SENT.to_owned() }),
    ))
}

pub const CODE_SENT: &str = "Nếu số định danh đã có tài khoản trên Cổng dịch vụ công, mã xác thực gồm 6 chữ số vừa được gửi tới số điện thoại (và thư điện tử) đã đăng ký. Mã có hiệu lực 5 phút.";

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    pub challenge: String,
    /// The 6 digits received.
    pub code: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct KioskSession {
    /// Bearer token; also set as the session cookie. Ends after 10 minutes.
    pub token: String,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
    pub account: Account,
}

/// Opens a 10-minute session with a one-time code (wrong: 401 `wrong_code` with the tries
/// left; expired, used or out of tries: 401 `code_expired`).
#[utoipa::path(post, path = "/api/v1/kiosk/session", tag = "kiosk", request_body = SessionRequest,
    responses((status = 200, body = KioskSession), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn open_session(State(state): State<AppState>, ApiJson(req): ApiJson<SessionRequest>) -> ApiResult<Response> {
    let otp = Otp::parse(&req.code)?;
    let now = Timestamp::now();
    let KioskSignIn { account, token, expires_at } = Kiosks::of(&state).sign_in(&req.challenge, &otp, now).await?;
    let cookie =
        crate::edge::session_cookie(&token, crate::service::KIOSK_SESSION.as_secs(), state.settings.secure_cookies);
    Ok((
        [(header::SET_COOKIE, cookie), (header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(KioskSession { token, expires_at, account }),
    )
        .into_response())
}
