//! Login, logout, the current account, and staff lists scoped by organisation and role.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use motcua_domain::{Account, OrgCode};
use serde::{Deserialize, Serialize};

use crate::accounts::{Accounts, second_factor};
use crate::api::error::{ApiResult, ErrorBody};
use crate::api::extract::{ApiJson, ApiPath};
use crate::app::AppState;
use crate::edge::{CurrentAccount, session_cookie};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "stp.motcua")]
    pub username: String,
    #[schema(format = Password)]
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    /// Bearer token; also set as the `motcua_session` cookie.
    pub token: String,
    pub token_type: &'static str,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
    pub account: Account,
    /// Right after an officer enrolled an authenticator: ten one-time recovery codes, shown
    /// this once (each signs in once in place of an authenticator code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_codes: Option<Vec<String>>,
}

impl LoginResponse {
    fn new(account: Account, token: String, expires_at: Timestamp) -> Self {
        Self { token, token_type: "Bearer", expires_at, account, recovery_codes: None }
    }
}

/// The password was right; the officer's second factor is asked for.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SecondFactorRequired {
    /// Sent back with the code to `POST /api/v1/auth/login/second-factor`.
    pub challenge: String,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
    /// `totp`: a code of the enrolled authenticator (or a recovery code); `enrol`: add
    /// `secret` to an authenticator app, then send its first code.
    #[schema(example = "totp")]
    pub second_factor: &'static str,
    /// Only to enrol: the new secret, base32.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Only to enrol: the `otpauth://` URI (what the page's QR code holds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub otpauth_uri: Option<String>,
    pub message: String,
}

impl From<second_factor::Challenge> for SecondFactorRequired {
    fn from(c: second_factor::Challenge) -> Self {
        let (second_factor, secret, otpauth_uri, message) = match c.enrol {
            None => ("totp", None, None, "Nhập mã 6 chữ số trên ứng dụng xác thực (hoặc một mã dự phòng)"),
            Some(e) => (
                "enrol",
                Some(e.secret),
                Some(e.uri),
                "Tài khoản cần xác thực hai lớp: thêm khóa bí mật vào ứng dụng xác thực, rồi gửi mã 6 chữ số đầu tiên",
            ),
        };
        Self {
            challenge: c.challenge,
            expires_at: c.expires_at,
            second_factor,
            secret,
            otpauth_uri,
            message: message.into(),
        }
    }
}

fn no_store() -> (header::HeaderName, HeaderValue) {
    (header::CACHE_CONTROL, HeaderValue::from_static("no-store"))
}

/// Signs in with username and password. An officer who must use a second factor (by the
/// organisation's policy: leaders, clerks and administrators unless it says otherwise), or
/// who enrolled one, gets 202 and a challenge to answer with a code instead of a session.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "accounts", request_body = LoginRequest,
    responses(
        (status = 200, body = LoginResponse, description = "Đăng nhập thành công; kèm cookie phiên"),
        (status = 202, body = SecondFactorRequired, description = "Mật khẩu đúng; cần mã xác thực hai lớp"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "Sai mật khẩu quá nhiều lần: tạm khóa 15 phút")))]
pub async fn login(
    State(state): State<AppState>,
    client: crate::throttle::ClientKey,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    match Accounts::of(&state).authenticate(client, &req.username, req.password).await? {
        second_factor::SignIn::Open { account, token, expires_at } => {
            Ok(signed_in(&state, StatusCode::OK, LoginResponse::new(account, token, expires_at)))
        }
        second_factor::SignIn::SecondFactor(c) => {
            Ok((StatusCode::ACCEPTED, [no_store()], Json(SecondFactorRequired::from(c))).into_response())
        }
    }
}

/// The session cookie and the body of a sign-in.
fn signed_in(state: &AppState, status: StatusCode, body: LoginResponse) -> Response {
    let cookie = session_cookie(&body.token, state.settings.session_ttl.as_secs(), state.settings.secure_cookies);
    (status, [(header::SET_COOKIE, cookie), no_store()], Json(body)).into_response()
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecondFactorAnswer {
    pub challenge: String,
    /// Six digits from the authenticator, or a recovery code (`xxxxx-xxxxx`).
    #[schema(example = "123456")]
    pub code: String,
}

/// Answers the second-factor challenge of a sign-in: the session, as a sign-in with a
/// password alone gives it (after an enrolment, with the new recovery codes). A wrong, used
/// or old code: 401 `wrong_code` with the tries left (it counts as a wrong sign-in); an
/// expired or spent challenge: 401 `code_expired`.
#[utoipa::path(post, path = "/api/v1/auth/login/second-factor", tag = "accounts", request_body = SecondFactorAnswer,
    responses(
        (status = 200, body = LoginResponse, description = "Đăng nhập thành công; kèm cookie phiên"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "Sai quá nhiều lần: tạm khóa 15 phút")))]
pub async fn second_factor(
    State(state): State<AppState>,
    client: crate::throttle::ClientKey,
    ApiJson(req): ApiJson<SecondFactorAnswer>,
) -> ApiResult<Response> {
    let done = Accounts::of(&state).finish_second_factor(client, &req.challenge, &req.code).await?;
    let mut body = LoginResponse::new(done.account, done.token, done.expires_at);
    body.recovery_codes = done.recovery_codes;
    Ok(signed_in(&state, StatusCode::OK, body))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[schema(example = "nguyenvanan")]
    pub username: String,
    #[schema(example = "Nguyễn Văn An")]
    pub full_name: String,
    /// Số căn cước công dân (12 chữ số); một tài khoản cho mỗi số.
    #[schema(example = "022090001234")]
    pub cccd: String,
    #[schema(example = "0912345678")]
    pub phone: String,
    pub email: Option<String>,
    #[schema(format = Password)]
    pub password: String,
}

impl From<RegisterRequest> for crate::accounts::Registration {
    fn from(r: RegisterRequest) -> Self {
        let RegisterRequest { username, full_name, cccd, phone, email, password } = r;
        Self { username, full_name, cccd, phone, email, password }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RegistrationChallenge {
    /// Sent back with the code.
    pub challenge: String,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
    /// The same for every well-formed registration.
    pub message: String,
}

/// A citizen asks for an account: a code goes by SMS to the phone given, and the account is
/// created when it is typed back ([`confirm_registration`]). The answer is the same whether
/// or not the username or CCCD is taken (then no code is sent), so it tells nobody who is
/// registered.
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts", request_body = RegisterRequest,
    responses(
        (status = 202, body = RegistrationChallenge, description = "Đã gửi mã xác nhận tới số điện thoại"),
        (status = 400, body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<RegistrationChallenge>)> {
    let c = Accounts::of(&state).start_registration(req.into()).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(RegistrationChallenge {
            challenge: c.challenge,
            expires_at: c.expires_at,
            message: crate::accounts::registration::CODE_SENT.to_owned(),
        }),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRequest {
    pub challenge: String,
    /// The 6 digits received by SMS.
    pub code: String,
}

/// Finishes a registration with the code sent to the phone: the account is created and
/// signed in (wrong: 401 `wrong_code` with the tries left; expired, used or out of tries:
/// 401 `code_expired`).
#[utoipa::path(post, path = "/api/v1/accounts/confirm", tag = "accounts", request_body = ConfirmRequest,
    responses(
        (status = 201, body = LoginResponse, description = "Đã tạo tài khoản và đăng nhập; kèm cookie phiên"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn confirm_registration(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<ConfirmRequest>,
) -> ApiResult<Response> {
    let account = Accounts::of(&state).finish_registration(&req.challenge, &req.code).await?;
    // Signed in at once: the password was just set, and an address's wrong sign-ins must not
    // leave an account created but answered 429.
    let (token, expires_at) = Accounts::of(&state).open_session(&account).await?;
    Ok(signed_in(&state, StatusCode::CREATED, LoginResponse::new(account, token, expires_at)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    pub username: String,
}

/// A citizen who forgot their password asks for a code: it goes to the account's phone (and
/// e-mail). The answer is the same whether or not the username has an account (staff
/// accounts get none: their administrator sets a new password).
#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "accounts", request_body = ResetRequest,
    responses(
        (status = 202, body = RegistrationChallenge, description = "Nếu tài khoản có, mã đã được gửi"),
        (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn start_reset(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<ResetRequest>,
) -> ApiResult<(StatusCode, [(header::HeaderName, HeaderValue); 1], Json<RegistrationChallenge>)> {
    let c = Accounts::of(&state).start_reset(&req.username).await?;
    let body = RegistrationChallenge {
        challenge: c.challenge,
        expires_at: c.expires_at,
        message: crate::accounts::reset::CODE_SENT.to_owned(),
    };
    Ok((StatusCode::ACCEPTED, [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))], Json(body)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirm {
    pub username: String,
    pub challenge: String,
    /// The 6 digits received.
    pub code: String,
    #[schema(format = Password)]
    pub new_password: String,
}

/// Sets a new password with the code: every session of the account ends (wrong code: 401
/// `wrong_code` with the tries left; expired, used or out of tries: 401 `code_expired`; a
/// password the policy refuses: 400, the code not spent).
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "accounts", request_body = ResetConfirm,
    responses(
        (status = 204, description = "Đã đặt mật khẩu mới; mọi phiên cũ đã kết thúc"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn finish_reset(
    State(state): State<AppState>,
    client: crate::throttle::ClientKey,
    ApiJson(req): ApiJson<ResetConfirm>,
) -> ApiResult<StatusCode> {
    Accounts::of(&state).finish_reset(client, &req.username, &req.challenge, &req.code, &req.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends the current session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "accounts",
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Đã đăng xuất"), (status = 401, body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, current: CurrentAccount) -> ApiResult<Response> {
    Accounts::of(&state).sign_out(&current.token_hash).await?;
    let clear = session_cookie("", 0, state.settings.secure_cookies);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]).into_response())
}

/// The signed-in account with its roles.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts",
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = Account), (status = 401, body = ErrorBody)))]
pub async fn me(current: CurrentAccount) -> Json<Account> {
    Json(current.account)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    #[schema(format = Password)]
    pub current_password: String,
    #[schema(format = Password)]
    pub new_password: String,
}

/// Changes the signed-in account's own password: the current one must be right (wrong ones
/// count as wrong sign-ins), the new one meet the policy. Every other session of the account
/// ends.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "accounts", request_body = PasswordChange,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Đã đổi mật khẩu"), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    client: crate::throttle::ClientKey,
    current: CurrentAccount,
    ApiJson(req): ApiJson<PasswordChange>,
) -> ApiResult<StatusCode> {
    Accounts::of(&state).change_own_password(client, &current, req.current_password, &req.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Staff of an organisation: for the administrators of it or of an organisation above it
/// (the province's administrator: every organisation), as the administration pages.
#[utoipa::path(get, path = "/api/v1/organisations/{code}/staff", tag = "accounts",
    params(("code" = String, Path, description = "Mã định danh cơ quan")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = Vec<Account>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn organisation_staff(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<Json<Vec<Account>>> {
    let org = OrgCode::parse(&code)?;
    Ok(Json(Accounts::of(&state).staff_of(&current.account, &org).await?))
}
