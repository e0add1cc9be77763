//! What both adapters (the JSON API and the web pages) share at the HTTP edge: the status of
//! each kind of refusal, who is asking (session cookie or bearer token), the session cookie
//! itself, and the headers of live event streams. It imports the application layer and
//! neither adapter.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use motcua_domain::Account;

pub use crate::accounts::CurrentAccount;

/// Every byte but the unreserved ones (letters, digits, `-._~`) encoded as `%XX`: for query
/// values and for `filename*=UTF-8''…` (RFC 5987) alike.
const ENCODED: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

use crate::accounts::{Accounts, auth};
use crate::app::{AppError, AppState, ErrorCode, Kind};

pub mod guard;

/// The HTTP status of a kind of refusal or fault.
pub fn status_of(kind: Kind) -> StatusCode {
    match kind {
        Kind::Invalid => StatusCode::BAD_REQUEST,
        Kind::Unauthenticated => StatusCode::UNAUTHORIZED,
        Kind::Forbidden => StatusCode::FORBIDDEN,
        Kind::NotFound => StatusCode::NOT_FOUND,
        Kind::Conflict => StatusCode::CONFLICT,
        Kind::Gone => StatusCode::GONE,
        Kind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Kind::Unsupported => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Kind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        Kind::TooMany => StatusCode::TOO_MANY_REQUESTS,
        Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The kind of a status that came without one of ours (the router's and extractors' own).
pub fn kind_of(status: StatusCode) -> Kind {
    match status {
        StatusCode::UNAUTHORIZED => Kind::Unauthenticated,
        StatusCode::FORBIDDEN => Kind::Forbidden,
        StatusCode::NOT_FOUND => Kind::NotFound,
        StatusCode::CONFLICT => Kind::Conflict,
        StatusCode::GONE => Kind::Gone,
        StatusCode::PAYLOAD_TOO_LARGE => Kind::TooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Kind::Unsupported,
        StatusCode::UNPROCESSABLE_ENTITY => Kind::Unprocessable,
        StatusCode::TOO_MANY_REQUESTS => Kind::TooMany,
        StatusCode::SERVICE_UNAVAILABLE => Kind::Unavailable,
        s if s.is_server_error() => Kind::Internal,
        _ => Kind::Invalid,
    }
}

impl AppError {
    /// The HTTP status either adapter answers this with.
    pub fn status(&self) -> StatusCode {
        status_of(self.kind)
    }
}

/// The request's cookies, as (name, value), in the order sent.
pub fn cookies(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
}

/// A text percent-encoded (UTF-8) for a URL's query or an RFC 5987 file name.
pub fn percent_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, ENCODED).to_string()
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

pub const SESSION_COOKIE: &str = "motcua_session";

pub fn bearer_or_cookie(headers: &HeaderMap) -> Option<String> {
    if let Some(v) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let (scheme, token) = v.split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned());
    }
    cookies(headers).find(|(k, _)| *k == SESSION_COOKIE).map(|(_, v)| v.to_owned())
}

/// Refuses a write (any method but GET, HEAD, OPTIONS) authenticated by the session cookie
/// that does not come from this site, as the pages' forms are refused: a browser sends the
/// cookie along with another site's requests too. Bearer tokens are never sent by a browser
/// on its own, so they need no such check.
fn refuse_cross_site_cookie_write(parts: &Parts) -> Result<(), AppError> {
    use axum::http::Method;
    let writes = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    let by_cookie = parts.headers.get(header::AUTHORIZATION).is_none();
    if writes && by_cookie && !same_origin(&parts.headers) {
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
        let (account, versions) = Accounts::of(state).session_at(&token_hash).await?.ok_or_else(|| {
            AppError::new(
                Kind::Unauthenticated,
                ErrorCode::SessionExpired,
                "Phiên đăng nhập đã hết hạn hoặc không tồn tại",
            )
        })?;
        Ok(Self::new(account, token_hash, versions))
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
            Err(e) if e.kind == Kind::Unauthenticated => Ok(Self(None)),
            Err(e) => Err(e),
        }
    }
}

/// The account of the session in the request, if any (for pages, which work signed out too).
pub async fn session_of(state: &AppState, headers: &HeaderMap) -> Option<(Account, String)> {
    let token = bearer_or_cookie(headers)?;
    if token.is_empty() || token.len() > 128 {
        return None;
    }
    let hash = auth::token_hash(&token);
    Accounts::of(state).session(&hash).await.ok().flatten().map(|a| (a, hash))
}

pub fn session_cookie(value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("motcua_session=; Path=/; Max-Age=0"))
}

/// Whether a request that a browser may have sent comes from this site: `Sec-Fetch-Site`, when
/// sent, is not `cross-site` or `same-site` (a sibling subdomain is another party), and any
/// `Origin` names this host. Requests without either header (curl, servers) pass: they carry
/// no browser's ambient cookies on someone else's behalf.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if matches!(fetch_site, Some("cross-site" | "same-site")) {
        return false;
    }
    match headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        None => true,
        // Browsers send "null" when the referrer is withheld; trust it only when the browser
        // also says the request comes from this origin.
        Some("null") => fetch_site == Some("same-origin"),
        Some(origin) => {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
            origin.split_once("://").is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(host))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_keeps_only_unreserved_bytes() {
        assert_eq!(
            percent_encode("Giấy khai sinh (bản sao).pdf"),
            "Gi%E1%BA%A5y%20khai%20sinh%20%28b%E1%BA%A3n%20sao%29.pdf"
        );
        assert_eq!(percent_encode("/ho-so?x=1&y=a_b~c"), "%2Fho-so%3Fx%3D1%26y%3Da_b~c");
    }

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
