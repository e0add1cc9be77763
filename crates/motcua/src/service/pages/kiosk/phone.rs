//! Signing in at a kiosk with one's phone (VNeID's device flow): the kiosk shows a QR code and a
//! short code, asks the server every few seconds (kiosk.js follows `data-poll`; a button does
//! the same by hand), and opens the citizen's dossiers once they approve.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Kiosk, Posted, kiosk_of, posted_at};
use crate::accounts::device::PhoneOutcome;
use crate::app::AppState;
use crate::web::page::{PageCtx, render_status, server_error};

#[derive(Template)]
#[template(path = "web/kiosk_phone.html")]
struct PhonePage {
    k: Kiosk,
    /// Where the kiosk asks how it stands.
    poll: String,
    user_code: String,
    verification_uri: String,
    /// The QR code (SVG) of the address with the code in it.
    qr: String,
}

#[derive(Deserialize)]
pub struct StartForm {
    csrf: String,
}

/// Starts a phone sign-in and shows its QR code and code.
pub(super) async fn start(
    State(state): State<AppState>,
    cx: PageCtx,
    Path(code): Path<String>,
    form: Posted<StartForm>,
) -> Response {
    let (_, k, centre) = match posted_at(&state, &cx, &code, form, |f| &f.csrf).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let started = match crate::accounts::Accounts::of(&state).phone_start(&centre.code).await {
        Ok(s) => s,
        Err(e) if e.status().is_server_error() && e.status() != StatusCode::SERVICE_UNAVAILABLE => {
            return server_error(k.t, &cx.uri, e.message);
        }
        Err(e) => return cx.refused(e.status(), k.t.error_title, e.message),
    };
    let target = started.verification_uri_complete.clone().unwrap_or_else(|| started.verification_uri.clone());
    let qr = qrcode::QrCode::new(target.as_bytes())
        .map(|q| q.render::<qrcode::render::svg::Color<'_>>().min_dimensions(240, 240).quiet_zone(true).build())
        .unwrap_or_default();
    let poll = k.href(&format!("/vneid/{}", started.ticket));
    let page = PhonePage { k, poll, user_code: started.user_code, verification_uri: started.verification_uri, qr };
    render_status(StatusCode::OK, page)
}

/// How the phone sign-in stands: still waiting (204, the page stays), or the citizen's
/// dossiers with a kiosk session.
pub(super) async fn poll(
    State(state): State<AppState>,
    cx: PageCtx,
    Path((code, ticket)): Path<(String, String)>,
) -> Response {
    let (k, centre) = match kiosk_of(&state, &cx, &code).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if ticket.len() != 64 || !ticket.bytes().all(|b| b.is_ascii_hexdigit()) {
        return cx.refused(
            StatusCode::NOT_FOUND,
            k.t.not_found_title,
            k.t.pick("Không có phiên này", "No such sign-in").into(),
        );
    }
    match crate::accounts::Accounts::of(&state).phone_poll(&ticket, &centre.code).await {
        Ok(PhoneOutcome::Waiting) => StatusCode::NO_CONTENT.into_response(),
        Ok(PhoneOutcome::Open { token, .. }) => {
            let cookie = crate::edge::session_cookie(
                &token,
                crate::service::KIOSK_SESSION.as_secs(),
                state.settings.secure_cookies,
            );
            ([(header::SET_COOKIE, cookie)], Redirect::to(&k.href("/ho-so"))).into_response()
        }
        Err(e) if e.status().is_server_error() && e.status() != StatusCode::SERVICE_UNAVAILABLE => {
            server_error(k.t, &cx.uri, e.message)
        }
        Err(e) => cx.refused(e.status(), k.t.error_title, e.message),
    }
}
