//! CSRF protection for the pages' forms: a random token in a `SameSite=Strict`, HttpOnly
//! cookie, repeated in each form; a POST is accepted only when the two match and, if the
//! browser says where the request comes from, it comes from this site.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

pub const COOKIE: &str = "motcua_csrf";

/// The token of this request (from its cookie, or new).
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

fn cookie_value(headers: &HeaderMap) -> Option<String> {
    crate::edge::cookies(headers)
        .find(|(k, v)| *k == COOKIE && v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|(_, v)| v.to_owned())
}

/// Gives every page request a token, setting the cookie when the browser has none.
pub async fn ensure_token(mut req: Request, next: Next) -> Response {
    let existing = cookie_value(req.headers());
    let token = match &existing {
        Some(t) => t.clone(),
        None => crate::accounts::auth::new_session_token().map(|(t, _)| t).unwrap_or_default(),
    };
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut resp = next.run(req).await;
    if existing.is_none()
        && !token.is_empty()
        && let Ok(v) = HeaderValue::from_str(&format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"))
    {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// A form post is genuine: the form's token equals the cookie's, and any Origin header names
/// this host.
pub fn verify(headers: &HeaderMap, expected: &CsrfToken, submitted: &str) -> bool {
    let same_origin = crate::edge::same_origin(headers);
    let a = expected.0.as_bytes();
    let b = submitted.as_bytes();
    // Constant time for equal lengths.
    let equal = a.len() == b.len() && !a.is_empty() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0;
    same_origin && equal && cookie_value(headers).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("motcua_csrf=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
        );
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn token_and_origin() {
        let t = CsrfToken("a".repeat(64));
        let ok = "a".repeat(64);
        assert!(verify(&headers(&[]), &t, &ok));
        assert!(!verify(&headers(&[]), &t, &"b".repeat(64)));
        assert!(verify(&headers(&[("origin", "http://127.0.0.1:8080")]), &t, &ok));
        assert!(!verify(&headers(&[("origin", "https://evil.example")]), &t, &ok));
        assert!(verify(&headers(&[("origin", "null"), ("sec-fetch-site", "same-origin")]), &t, &ok));
        assert!(!verify(&headers(&[("origin", "null")]), &t, &ok));
        assert!(!verify(&headers(&[("sec-fetch-site", "cross-site")]), &t, &ok));
        let mut no_cookie = headers(&[]);
        no_cookie.remove(header::COOKIE);
        assert!(!verify(&no_cookie, &t, &ok));
    }
}
