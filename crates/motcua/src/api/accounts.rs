//! Login, logout, the current account, and staff lists scoped by organisation and role.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use motcua_domain::{Account, OrgCode, Role, Username};
use serde::{Deserialize, Serialize};

use super::error::{ApiResult, AppError, ErrorBody, Kind};
use super::extract::{ApiJson, ApiPath};
use crate::app::AppState;
use crate::app::ErrorCode;
use crate::auth;

pub const SESSION_COOKIE: &str = "motcua_session";

/// The signed-in account, from `Authorization: Bearer <token>` or the session cookie.
pub struct CurrentAccount {
    pub account: Account,
    token_hash: String,
}

pub(crate) fn bearer_or_cookie(headers: &HeaderMap) -> Option<String> {
    if let Some(v) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let (scheme, token) = v.split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned());
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_owned())
}

/// Refuses a write (any method but GET, HEAD, OPTIONS) authenticated by the session cookie
/// that does not come from this site, as the pages' forms are refused: a browser sends the
/// cookie along with another site's requests too. Bearer tokens are never sent by a browser
/// on its own, so they need no such check.
fn refuse_cross_site_cookie_write(parts: &Parts) -> Result<(), AppError> {
    use axum::http::Method;
    let writes = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    let by_cookie = parts.headers.get(header::AUTHORIZATION).is_none();
    if writes && by_cookie && !auth::same_origin(&parts.headers) {
        tracing::info!(method = %parts.method, "cross-site write with the session cookie refused");
        return Err(AppError::new(
            Kind::Forbidden,
            ErrorCode::CrossSiteRequest,
            "Yêu cầu ghi từ trang web khác bị từ chối; hãy thao tác trên trang của hệ thống",
        ));
    }
    Ok(())
}

impl FromRequestParts<AppState> for CurrentAccount {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = bearer_or_cookie(&parts.headers).ok_or_else(AppError::unauthenticated)?;
        refuse_cross_site_cookie_write(parts)?;
        if token.is_empty() || token.len() > 128 {
            return Err(AppError::unauthenticated());
        }
        let token_hash = auth::token_hash(&token);
        let account = state.store.session_account(&token_hash, Timestamp::now()).await?.ok_or_else(|| {
            AppError::new(
                Kind::Unauthenticated,
                ErrorCode::SessionExpired,
                "Phiên đăng nhập đã hết hạn hoặc không tồn tại",
            )
        })?;
        Ok(Self { account, token_hash })
    }
}

/// The signed-in account, if the request has a live session (for what anyone may do, and the
/// account may do more of). A cookie-authenticated write from another site is refused as for
/// [`CurrentAccount`], not served as if signed out.
pub struct MaybeAccount(pub Option<Account>);

impl FromRequestParts<AppState> for MaybeAccount {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if bearer_or_cookie(&parts.headers).is_none() {
            return Ok(Self(None));
        }
        refuse_cross_site_cookie_write(parts)?;
        match CurrentAccount::from_request_parts(parts, state).await {
            Ok(c) => Ok(Self(Some(c.account))),
            Err(e) if e.status() == StatusCode::UNAUTHORIZED => Ok(Self(None)),
            Err(e) => Err(e),
        }
    }
}

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
}

fn invalid_credentials() -> AppError {
    AppError::new(Kind::Unauthenticated, ErrorCode::InvalidCredentials, "Tên đăng nhập hoặc mật khẩu không đúng")
}

/// Signs in with username and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "accounts", request_body = LoginRequest,
    responses(
        (status = 200, body = LoginResponse, description = "Đăng nhập thành công; kèm cookie phiên"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "Sai mật khẩu quá nhiều lần: tạm khóa 15 phút")))]
pub async fn login(
    State(state): State<AppState>,
    client: crate::throttle::ClientKey,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    let (account, token, expires_at) = authenticate(&state, client, &req.username, req.password).await?;
    let cookie = session_cookie(&token, state.settings.session_ttl.as_secs(), state.settings.secure_cookies);
    let body = LoginResponse { token, token_type: "Bearer", expires_at, account };
    Ok(([(header::SET_COOKIE, cookie), (header::CACHE_CONTROL, HeaderValue::from_static("no-store"))], Json(body))
        .into_response())
}

/// Checks a username and password and opens a session: the account, the new session token
/// and when it expires. Unknown usernames cost the same time as wrong passwords.
pub(crate) async fn authenticate(
    state: &AppState,
    client: crate::throttle::ClientKey,
    username: &str,
    password: String,
) -> ApiResult<(Account, String, Timestamp)> {
    use crate::auth::Locked;
    let now = std::time::Instant::now();
    if let Some(locked) = state.logins.locked(username, client, now) {
        let (wait, whose) = match locked {
            Locked::Username(w) => (w, "Đăng nhập sai quá nhiều lần"),
            Locked::Address(w) => (w, "Có quá nhiều lần đăng nhập sai từ địa chỉ của bạn"),
        };
        tracing::info!(?locked, "login refused: too many failures");
        let minutes = wait.as_secs().div_ceil(60).max(1);
        return Err(AppError::new(
            Kind::TooMany,
            ErrorCode::TooManyAttempts,
            format!("{whose}; vui lòng thử lại sau {minutes} phút"),
        ));
    }
    if password.len() > 1024 {
        state.logins.failed(username, client, now);
        return Err(invalid_credentials());
    }
    let found = match Username::parse(username) {
        Ok(u) => state.store.account_credentials(&u).await?,
        Err(_) => None,
    };
    let (account, ok) = tokio::task::spawn_blocking(move || match found {
        Some((account, hash)) => {
            let ok = auth::verify_password(&password, &hash);
            (Some(account), ok)
        }
        None => {
            auth::verify_against_dummy(&password);
            (None, false)
        }
    })
    .await
    .map_err(|_| AppError::internal())?;
    let account = match account {
        Some(a) if ok => a,
        _ => {
            tracing::info!("login refused");
            state.logins.failed(username, client, now);
            return Err(invalid_credentials());
        }
    };
    state.logins.succeeded(username, client);
    if account.disabled {
        return Err(AppError::new(Kind::Forbidden, ErrorCode::AccountDisabled, "Tài khoản đã bị khóa"));
    }
    let (token, expires_at) = open_session(state, &account).await?;
    Ok((account, token, expires_at))
}

/// A new session for an account whose password was just proven (signing in, or creating
/// the account): its token and when it expires.
pub(crate) async fn open_session(state: &AppState, account: &Account) -> ApiResult<(String, Timestamp)> {
    let (token, token_hash) = auth::new_session_token().map_err(|e| {
        tracing::error!(error = %e, "session token");
        AppError::internal()
    })?;
    let expires_at = Timestamp::now() + state.settings.session_ttl;
    state.store.create_session(&token_hash, account.id, expires_at).await?;
    tracing::info!(account_id = account.id, "login");
    Ok((token, expires_at))
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
    let c = start_registration(&state, req).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(RegistrationChallenge {
            challenge: c.challenge,
            expires_at: c.expires_at,
            message: crate::registration::CODE_SENT.to_owned(),
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
    let account = finish_registration(&state, &req.challenge, &req.code).await?;
    // Signed in at once: the password was just set, and an address's wrong sign-ins must not
    // leave an account created but answered 429.
    let (token, expires_at) = open_session(&state, &account).await?;
    let cookie = session_cookie(&token, state.settings.session_ttl.as_secs(), state.settings.secure_cookies);
    let body = LoginResponse { token, token_type: "Bearer", expires_at, account };
    Ok((
        StatusCode::CREATED,
        [(header::SET_COOKIE, cookie), (header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(body),
    )
        .into_response())
}

/// Starts a citizen's registration from what they typed: every value parsed, the password
/// checked against the policy and hashed off the async threads, a code sent to the phone.
pub(crate) async fn start_registration(
    state: &AppState,
    req: RegisterRequest,
) -> ApiResult<crate::service::OtpChallenge> {
    let username = Username::parse(req.username.trim())?;
    let full_name = motcua_domain::Name::parse("Họ và tên", &req.full_name)?;
    let cccd = motcua_domain::Cccd::parse(req.cccd.trim())?;
    let phone = motcua_domain::Phone::parse(&req.phone)?;
    let email =
        req.email.as_deref().map(str::trim).filter(|e| !e.is_empty()).map(motcua_domain::Email::parse).transpose()?;
    let password = motcua_domain::Password::parse(&req.password, &username)?;
    let hash = password_work(move || auth::hash_password(&password)).await?;
    let new = motcua_domain::NewAccount {
        username,
        full_name,
        kind: motcua_domain::AccountKind::Citizen,
        cccd: Some(cccd),
        email,
        phone: Some(phone),
        roles: vec![],
        password_hash: hash,
    };
    Ok(crate::registration::start(state.store.as_ref(), state.email_on(), &new, Timestamp::now()).await?)
}

/// Finishes a registration with its code: the new account.
pub(crate) async fn finish_registration(state: &AppState, challenge: &str, code: &str) -> ApiResult<Account> {
    let otp = motcua_domain::service::Otp::parse(code)?;
    Ok(crate::registration::finish(state.store.as_ref(), challenge, &otp, Timestamp::now()).await?)
}

/// The account of the session in the request, if any (for pages, which work signed out too).
pub(crate) async fn session_of(state: &AppState, headers: &HeaderMap) -> Option<(Account, String)> {
    let token = bearer_or_cookie(headers)?;
    if token.is_empty() || token.len() > 128 {
        return None;
    }
    let hash = auth::token_hash(&token);
    state.store.session_account(&hash, Timestamp::now()).await.ok().flatten().map(|a| (a, hash))
}

pub(crate) fn session_cookie(value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("motcua_session=; Path=/; Max-Age=0"))
}

/// Ends the current session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "accounts",
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Đã đăng xuất"), (status = 401, body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, current: CurrentAccount) -> ApiResult<Response> {
    state.store.delete_session(&current.token_hash).await?;
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
    change_own_password(&state, client, &current, req.current_password, &req.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The use case behind [`change_password`] (the page's form calls it too).
pub(crate) async fn change_own_password(
    state: &AppState,
    client: crate::throttle::ClientKey,
    current: &CurrentAccount,
    old: String,
    new: &str,
) -> ApiResult<()> {
    let username = current.account.username.clone();
    let now = std::time::Instant::now();
    if state.logins.locked(username.as_str(), client, now).is_some() {
        return Err(AppError::new(
            Kind::TooMany,
            ErrorCode::TooManyAttempts,
            "Nhập sai mật khẩu quá nhiều lần; vui lòng thử lại sau 15 phút",
        ));
    }
    let password = motcua_domain::Password::parse(new, &username)?;
    if old.len() > 1024 {
        return Err(wrong_password());
    }
    let Some((_, stored)) = state.store.account_credentials(&username).await? else {
        return Err(AppError::unauthenticated());
    };
    let hash = password_work(move || {
        if auth::verify_password(&old, &stored) { auth::hash_password(&password).map(Some) } else { Ok(None) }
    })
    .await?;
    let Some(hash) = hash else {
        state.logins.failed(username.as_str(), client, now);
        return Err(wrong_password());
    };
    state.store.set_password(current.account.id, &hash, Some(&current.token_hash)).await?;
    tracing::info!(account_id = current.account.id, "password changed");
    Ok(())
}

/// Runs password work (argon2 takes tens of milliseconds) off the async threads.
async fn password_work<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, auth::AuthError> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(work).await.map_err(|_| AppError::internal())?.map_err(|e| {
        tracing::error!(error = %e, "password hash");
        AppError::internal()
    })
}

fn wrong_password() -> AppError {
    AppError::new(Kind::Forbidden, ErrorCode::WrongPassword, "Mật khẩu hiện tại không đúng")
}

/// The organisations the account administers, and those below them, by code.
pub(crate) async fn administered(
    state: &AppState,
    account: &Account,
) -> Result<Vec<motcua_domain::Organisation>, AppError> {
    if account.disabled || account.kind != motcua_domain::AccountKind::Staff {
        return Ok(Vec::new());
    }
    let roots: Vec<&OrgCode> = account.roles.iter().filter(|r| r.role == Role::Administrator).map(|r| &r.org).collect();
    if roots.is_empty() {
        return Ok(Vec::new());
    }
    let all =
        state.store.list_organisations(&motcua_store::OrgFilter::default(), motcua_store::Page::all()).await?.items;
    // The province's administrator runs the platform: every organisation.
    if crate::api::calendar::is_province_admin(state, account).await? {
        return Ok(all);
    }
    let parent_of = |code: &OrgCode| all.iter().find(|o| &o.code == code).and_then(|o| o.parent.clone());
    let mut out: Vec<motcua_domain::Organisation> = all
        .iter()
        .filter(|o| {
            // Walk up (bounded: a cycle in bad data must not hang the page).
            let mut cur = Some(o.code.clone());
            for _ in 0..8 {
                match cur {
                    Some(c) if roots.contains(&&c) => return true,
                    Some(c) => cur = parent_of(&c),
                    None => return false,
                }
            }
            false
        })
        .cloned()
        .collect();
    out.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(out)
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
    if !administered(&state, &current.account).await?.iter().any(|o| o.code == org) {
        return Err(AppError::forbidden());
    }
    if state.store.organisation(&org).await?.is_none() {
        return Err(AppError::not_found(format!("Không có cơ quan mã {org}")));
    }
    Ok(Json(state.store.list_staff(&org).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_from_bearer_or_cookie() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=b; motcua_session=tok; c=d"));
        assert_eq!(bearer_or_cookie(&h).as_deref(), Some("tok"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer abc"));
        assert_eq!(bearer_or_cookie(&h).as_deref(), Some("abc"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer_or_cookie(&h), None);
    }
}
