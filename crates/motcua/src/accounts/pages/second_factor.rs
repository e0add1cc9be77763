//! The second step of an officer's sign-in: the code of their authenticator (or a recovery
//! code), or, the first time, enrolling one from a QR code; then the recovery codes, once.

use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::accounts::second_factor::{Challenge, SignedIn};
use crate::app::AppState;
use crate::web::page::{Nav, PageCtx, other_lang_href, render, render_status, safe_next, server_error};
use crate::web::texts::Texts;

#[derive(Template)]
#[template(path = "web/second_factor.html")]
pub(crate) struct SecondFactorPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    challenge: String,
    next: String,
    message: String,
    /// To enrol: the secret in groups of four, and its QR code (SVG).
    secret: String,
    qr: String,
}

/// The page asking for the code of `challenge`.
pub(crate) fn page(
    status: StatusCode,
    t: &'static Texts,
    nav: Nav,
    uri: &axum::http::Uri,
    c: &Challenge,
    next: String,
    message: String,
) -> Response {
    let (secret, qr) = match &c.enrol {
        Some(e) => {
            let grouped =
                e.secret.as_bytes().chunks(4).map(|g| String::from_utf8_lossy(g).into_owned()).collect::<Vec<_>>();
            let qr = qrcode::QrCode::new(e.uri.as_bytes())
                .map(|q| q.render::<qrcode::render::svg::Color<'_>>().min_dimensions(200, 200).quiet_zone(true).build())
                .unwrap_or_default();
            (grouped.join(" "), qr)
        }
        None => (String::new(), String::new()),
    };
    let other_lang_href = other_lang_href(uri, t.lang_value());
    render_status(
        status,
        SecondFactorPage { t, nav, other_lang_href, challenge: c.challenge.clone(), next, message, secret, qr },
    )
}

#[derive(Template)]
#[template(path = "web/recovery_codes.html")]
struct RecoveryCodesPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    codes: Vec<String>,
    next: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct SecondFactorForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    challenge: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

/// The code typed: signed in and on to where they were going (after an enrolment, first the
/// recovery codes); a wrong code asks again with the tries left; an expired challenge goes
/// back to the sign-in page.
pub(crate) async fn submit(
    State(state): State<AppState>,
    client: crate::throttle::ClientKey,
    cx: PageCtx,
    form: Result<axum::Form<SecondFactorForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let f = match cx.posted(form.map(|axum::Form(f)| f), |f| &f.csrf) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let PageCtx { t, nav, uri, .. } = cx;
    let next = safe_next(Some(&f.next)).unwrap_or_default();
    let accounts = crate::accounts::Accounts::of(&state);
    match accounts.finish_second_factor(client, f.challenge.trim(), &f.code).await {
        Ok(SignedIn { token, recovery_codes, .. }) => {
            let cookie = crate::edge::session_cookie(
                &token,
                state.settings.session_ttl.as_secs(),
                state.settings.secure_cookies,
            );
            let to = if next.is_empty() { format!("/ho-so{}", t.query) } else { next };
            match recovery_codes {
                Some(codes) => {
                    let other_lang_href = other_lang_href(&uri, t.lang_value());
                    let mut r = render(RecoveryCodesPage { t, nav, other_lang_href, codes, next: to });
                    r.headers_mut().insert(header::SET_COOKIE, cookie);
                    r.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
                    r
                }
                None => ([(header::SET_COOKIE, cookie)], Redirect::to(&to)).into_response(),
            }
        }
        Err(e) if e.code == crate::app::ErrorCode::WrongCode || e.status() == StatusCode::BAD_REQUEST => {
            // The same challenge again, with the secret being enrolled if it is one.
            let c = match accounts.waiting(f.challenge.trim()).await {
                Ok(Some(c)) => c,
                Ok(None) => {
                    let page =
                        super::LoginPage::again(&state, t, Nav::signed_out(nav.csrf.clone()), &uri, next, e.message);
                    return render_status(StatusCode::UNAUTHORIZED, page);
                }
                Err(e) => return server_error(t, &uri, e.message),
            };
            page(e.status(), t, nav, &uri, &c, next, e.message)
        }
        Err(e) if e.status().is_client_error() => {
            let status = e.status();
            render_status(
                status,
                super::LoginPage::again(&state, t, Nav::signed_out(nav.csrf.clone()), &uri, next, e.message),
            )
        }
        Err(e) => server_error(t, &uri, e.message),
    }
}
