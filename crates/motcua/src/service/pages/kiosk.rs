//! `/kiosk/{centre}`: the self-service kiosk of a centre — a full-screen touch interface with
//! large targets and an on-screen numeric pad: look a dossier up by code or by scanning its
//! receipt's QR code, see "my dossiers" after a one-time code sent to the registered phone,
//! start a submission of a fully online procedure (the chip ID card's QR code fills in the
//! address), and print a queue ticket. `/kiosk/{centre}/display` is the hall's screen of
//! called numbers, live. `/quay/goi-so` is the counter officer's side.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use motcua_domain::service::{ChipId, Otp, ServiceLetter};
use motcua_domain::{AccountKind, Cccd, Organisation, Role};
use serde::Deserialize;

mod phone;

use crate::app::AppError;
use crate::app::AppState;
use crate::service::kiosk::{KioskSignIn, Kiosks};
use crate::service::queue::{Board, Queues, TicketView};
use crate::web::page::{DossierRow, Nav, PageCtx, dossier_row, list_names, render, render_status, server_error};
use crate::web::texts::Texts;

const SCRIPT: &str = include_str!("../../../static/kiosk.js");

pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/kiosk", get(centres))
        .route("/kiosk/{centre}", get(home))
        .route("/kiosk/{centre}/tra-cuu", get(track))
        .route("/kiosk/{centre}/so", get(services).post(take_ticket))
        .route("/kiosk/{centre}/so/{id}", get(ticket))
        .route("/kiosk/{centre}/cua-toi", get(identify).post(identify_post))
        .route("/kiosk/{centre}/xac-thuc", post(code_post))
        .route("/kiosk/{centre}/vneid", post(phone::start))
        .route("/kiosk/{centre}/vneid/{ticket}", get(phone::poll))
        .route("/kiosk/{centre}/ho-so", get(mine))
        .route("/kiosk/{centre}/nop", get(submit))
        .route("/kiosk/{centre}/thoat", post(sign_out))
        .route("/kiosk/{centre}/display", get(display))
        .route("/quay/goi-so", get(counter_page).post(counter_post))
        .route("/static/kiosk.js", get(script))
}

async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        SCRIPT,
    )
        .into_response()
}

/// The kiosk's frame: the centre and the language.
pub struct Kiosk {
    t: &'static Texts,
    csrf: String,
    code: String,
    name: String,
    /// `?lang=en` or "".
    q: &'static str,
}

impl Kiosk {
    fn href(&self, path: &str) -> String {
        format!("/kiosk/{}{path}{}", self.code, self.q)
    }
}

type Posted<T> = Result<Form<T>, axum::extract::rejection::FormRejection>;

/// A posted form whose token checks out, and the kiosk of the path; or the page to answer with.
async fn posted_at<T>(
    state: &AppState,
    cx: &PageCtx,
    code: &str,
    form: Posted<T>,
    csrf: fn(&T) -> &str,
) -> Result<(T, Kiosk, Organisation), Response> {
    let f = cx.posted(form.map(|Form(f)| f), csrf)?;
    let (k, centre) = kiosk_of(state, cx, code).await?;
    Ok((f, k, centre))
}

/// The centre of the path, or the page to answer with.
async fn kiosk_of(state: &AppState, cx: &PageCtx, code: &str) -> Result<(Kiosk, Organisation), Response> {
    let t = cx.t;
    let not_found = || {
        cx.refused(StatusCode::NOT_FOUND, t.not_found_title, t.pick("Không có trung tâm này", "No such centre").into())
    };
    let centre = match Queues::of(state).centre(code).await {
        Ok(c) => c,
        Err(e) if e.status() == StatusCode::INTERNAL_SERVER_ERROR => return Err(server_error(t, &cx.uri, e.message)),
        Err(_) => return Err(not_found()),
    };
    let kiosk = Kiosk {
        t,
        csrf: cx.nav.csrf.clone(),
        code: centre.code.to_string(),
        name: centre.name.to_string(),
        q: t.query,
    };
    Ok((kiosk, centre))
}

#[derive(Template)]
#[template(path = "web/kiosk_centres.html")]
struct CentresPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    centres: Vec<(String, String)>,
}

async fn centres(State(state): State<AppState>, cx: PageCtx) -> Response {
    let PageCtx { t, nav, uri, .. } = cx;
    let centres = match Queues::of(&state).centres().await {
        Ok(found) => found.into_iter().map(|o| (o.code.to_string(), o.name.to_string())).collect(),
        Err(e) => return server_error(t, &uri, e.message),
    };
    render(CentresPage { t, nav, other_lang_href: crate::web::page::other_lang_href(&uri, t.lang_value()), centres })
}

#[derive(Template)]
#[template(path = "web/kiosk_home.html")]
struct HomePage {
    k: Kiosk,
    signed_in: Option<String>,
}

async fn home(State(state): State<AppState>, cx: PageCtx, Path(code): Path<String>) -> Response {
    let (k, _) = match kiosk_of(&state, &cx, &code).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let signed_in = cx.account.filter(|a| a.kind == AccountKind::Citizen).map(|a| a.full_name.to_string());
    render(HomePage { k, signed_in })
}

#[derive(Deserialize)]
pub struct TrackQuery {
    ma: Option<String>,
}

pub struct Found {
    code: String,
    procedure: String,
    status: &'static str,
    step: String,
    submitted: String,
    due: String,
    timeline: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "web/kiosk_track.html")]
struct TrackPage {
    k: Kiosk,
    value: String,
    /// This centre's own codes begin so (`001.00.37.H22-`): one key types it. The box starts
    /// empty, since a code from another organisation begins otherwise.
    prefix: String,
    found: Option<Found>,
    message: String,
}

/// A dossier code typed or scanned: the receipt's QR code holds the tracking page's address
/// (`…/tra-cuu?ma=CODE`), the pad types the code.
pub fn code_from_scan(raw: &str) -> String {
    let raw = raw.trim();
    match raw.split_once("ma=") {
        Some((_, rest)) => rest.split('&').next().unwrap_or_default().trim().to_owned(),
        None => raw.to_owned(),
    }
}

async fn track(
    State(state): State<AppState>,
    cx: PageCtx,
    Path(code): Path<String>,
    Query(q): Query<TrackQuery>,
) -> Response {
    let (k, centre) = match kiosk_of(&state, &cx, &code).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let t = k.t;
    let typed = q.ma.as_deref().map(code_from_scan).unwrap_or_default().chars().take(80).collect::<String>();
    let mut page =
        TrackPage { k, value: String::new(), prefix: format!("{}-", centre.code), found: None, message: String::new() };
    if typed.is_empty() {
        return render(page);
    }
    page.value = typed.clone();
    match crate::dossiers::Dossiers::of(&state).tracking(&typed).await {
        Ok(tr) => {
            page.found = Some(Found {
                code: tr.code.to_string(),
                procedure: tr.procedure_name,
                status: crate::web::page::status_text(t, tr.status_code),
                step: if t.lang == "en" { tr.step_name_en } else { tr.step_name }.unwrap_or_else(|| "—".into()),
                submitted: tr.submitted_at_display,
                due: tr.due_at_display.unwrap_or_else(|| t.not_yet.to_owned()),
                timeline: tr
                    .timeline
                    .into_iter()
                    .map(|e| (e.at_display, crate::web::page::action_text(t, &e.action)))
                    .collect(),
            });
            render(page)
        }
        Err(e) => match crate::catalog::pages::tracking_refusal(t, &e) {
            Some(message) => {
                page.message = message.to_owned();
                render_status(e.status(), page)
            }
            None => server_error(t, &cx.uri, e.message),
        },
    }
}

#[derive(Template)]
#[template(path = "web/kiosk_services.html")]
struct ServicesPage {
    k: Kiosk,
    board: Board,
    message: String,
}

async fn services(State(state): State<AppState>, cx: PageCtx, Path(code): Path<String>) -> Response {
    let (k, centre) = match kiosk_of(&state, &cx, &code).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match Queues::of(&state).board(&centre).await {
        Ok(board) => render(ServicesPage { k, board, message: String::new() }),
        Err(e) => server_error(cx.t, &cx.uri, e.message),
    }
}

#[derive(Deserialize)]
pub struct TicketForm {
    csrf: String,
    letter: String,
}

async fn take_ticket(
    State(state): State<AppState>,
    cx: PageCtx,
    Path(code): Path<String>,
    form: Posted<TicketForm>,
) -> Response {
    let (f, k, centre) = match posted_at(&state, &cx, &code, form, |f| &f.csrf).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let issued = match ServiceLetter::parse(&f.letter) {
        Ok(l) => Queues::of(&state).issue(&centre, l).await,
        Err(e) => Err(AppError::from(e)),
    };
    match issued {
        Ok(ticket) => Redirect::to(&k.href(&format!("/so/{}", ticket.id))).into_response(),
        Err(e) if e.status() == StatusCode::INTERNAL_SERVER_ERROR => server_error(cx.t, &cx.uri, e.message),
        Err(e) => {
            let board = match Queues::of(&state).board(&centre).await {
                Ok(b) => b,
                Err(e) => return server_error(cx.t, &cx.uri, e.message),
            };
            render_status(e.status(), ServicesPage { k, board, message: e.message })
        }
    }
}

#[derive(Template)]
#[template(path = "web/kiosk_ticket.html")]
struct TicketPage {
    k: Kiosk,
    ticket: TicketView,
}

async fn ticket(State(state): State<AppState>, cx: PageCtx, Path((code, id)): Path<(String, i64)>) -> Response {
    let (k, centre) = match kiosk_of(&state, &cx, &code).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let t = k.t;
    let queues = Queues::of(&state);
    let found = match queues.ticket(&centre, id).await {
        Ok(f) => f,
        Err(e) if e.status() == StatusCode::NOT_FOUND => {
            return cx.refused(
                StatusCode::NOT_FOUND,
                t.not_found_title,
                t.pick("Không có vé này", "No such ticket").into(),
            );
        }
        Err(e) => return server_error(t, &cx.uri, e.message),
    };
    match queues.ticket_view(&centre, &found).await {
        Ok(ticket) => render(TicketPage { k, ticket }),
        Err(e) => server_error(t, &cx.uri, e.message),
    }
}

#[derive(Deserialize)]
pub struct IdentifyQuery {
    #[serde(rename = "thu-tuc")]
    procedure: Option<String>,
}

#[derive(Template)]
#[template(path = "web/kiosk_identify.html")]
struct IdentifyPage {
    k: Kiosk,
    procedure: String,
    cccd: String,
    message: String,
    /// Whether citizens may sign in with their phone (an identity provider is configured).
    phone: bool,
}

async fn identify(
    State(state): State<AppState>,
    cx: PageCtx,
    Path(code): Path<String>,
    Query(q): Query<IdentifyQuery>,
) -> Response {
    let (k, _) = match kiosk_of(&state, &cx, &code).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let phone = state.identity.is_some();
    render(IdentifyPage {
        k,
        procedure: q.procedure.unwrap_or_default(),
        cccd: String::new(),
        message: String::new(),
        phone,
    })
}

#[derive(Deserialize)]
pub struct IdentifyForm {
    csrf: String,
    #[serde(default)]
    cccd: String,
    /// What the scanner read from the chip ID card.
    #[serde(default)]
    qr: String,
    #[serde(default)]
    procedure: String,
}

#[derive(Template)]
#[template(path = "web/kiosk_code.html")]
struct CodePage {
    k: Kiosk,
    challenge: String,
    procedure: String,
    /// The address read from the card, carried to the submission form.
    address: String,
    /// The name read from the card.
    name: String,
    message: String,
}

async fn identify_post(
    State(state): State<AppState>,
    cx: PageCtx,
    Path(code): Path<String>,
    form: Posted<IdentifyForm>,
) -> Response {
    let (f, k, _) = match posted_at(&state, &cx, &code, form, |f| &f.csrf).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let t = k.t;
    let again = |k: Kiosk, message: String| {
        render_status(
            StatusCode::BAD_REQUEST,
            IdentifyPage {
                k,
                procedure: f.procedure.clone(),
                cccd: f.cccd.chars().filter(char::is_ascii_digit).take(12).collect(),
                message,
                phone: state.identity.is_some(),
            },
        )
    };
    // A scanned card gives the number (and the address for the form); else the pad's digits.
    let (cccd, card) = if f.qr.trim().is_empty() {
        match Cccd::parse(&f.cccd) {
            Ok(c) => (c, None),
            Err(e) => return again(k, e.to_string()),
        }
    } else {
        match ChipId::parse(&f.qr, crate::statistics::figures::today()) {
            Ok(card) => (card.cccd.clone(), Some(card)),
            Err(e) => return again(k, e.to_string()),
        }
    };
    match Kiosks::of(&state).request_code(&cccd, Timestamp::now()).await {
        Ok(c) => render(CodePage {
            k,
            challenge: c.challenge,
            procedure: f.procedure.clone(),
            address: card.as_ref().map(|c| c.address.to_string()).unwrap_or_default(),
            name: card.as_ref().map(|c| c.full_name.to_string()).unwrap_or_default(),
            message: String::new(),
        }),
        Err(e) => server_error(t, &cx.uri, e),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    csrf: String,
    challenge: String,
    code: String,
    #[serde(default)]
    procedure: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    name: String,
}

async fn code_post(
    State(state): State<AppState>,
    cx: PageCtx,
    Path(code): Path<String>,
    form: Posted<CodeForm>,
) -> Response {
    let (f, k, _) = match posted_at(&state, &cx, &code, form, |f| &f.csrf).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let t = k.t;
    let again = |k: Kiosk, status: StatusCode, message: String| {
        render_status(
            status,
            CodePage {
                k,
                challenge: f.challenge.clone(),
                procedure: f.procedure.clone(),
                address: f.address.clone(),
                name: f.name.clone(),
                message,
            },
        )
    };
    let otp = match Otp::parse(&f.code) {
        Ok(o) => o,
        Err(e) => return again(k, StatusCode::BAD_REQUEST, e.to_string()),
    };
    let now = Timestamp::now();
    let kiosks = Kiosks::of(&state);
    let KioskSignIn { account, token, .. } = match kiosks.sign_in(&f.challenge, &otp, now).await {
        Ok(a) => a,
        Err(e @ (crate::service::ServiceError::WrongCode(_) | crate::service::ServiceError::CodeSpent)) => {
            return again(k, StatusCode::UNAUTHORIZED, e.to_string());
        }
        Err(e) => return server_error(t, &cx.uri, e),
    };
    let cookie =
        crate::edge::session_cookie(&token, crate::service::KIOSK_SESSION.as_secs(), state.settings.secure_cookies);
    // Going on to submit: the form starts with the card's address.
    // Only a procedure of the catalog gets a draft; anything else goes to "my dossiers".
    let procedure = match kiosks.procedure(&f.procedure).await {
        Ok(found) => found,
        Err(e) => return server_error(t, &cx.uri, e.message),
    };
    let to = match procedure.ok_or(()) {
        Ok(p) if !f.address.trim().is_empty() => {
            let body = crate::dossiers::pages::citizen::draft_with_address(f.address.trim());
            match kiosks.start_draft(&account, &p, body, now).await {
                Ok(id) => format!("/nop-ho-so/{p}?nhap={id}{}", t.amp_lang),
                Err(e) => return server_error(t, &cx.uri, e.message),
            }
        }
        Ok(p) => format!("/nop-ho-so/{p}{}", t.query),
        Err(_) => k.href("/ho-so"),
    };
    ([(header::SET_COOKIE, cookie)], Redirect::to(&to)).into_response()
}

#[derive(Template)]
#[template(path = "web/kiosk_mine.html")]
struct MinePage {
    k: Kiosk,
    name: String,
    rows: Vec<DossierRow>,
}

async fn mine(State(state): State<AppState>, cx: PageCtx, Path(code): Path<String>) -> Response {
    let (k, _) = match kiosk_of(&state, &cx, &code).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let t = k.t;
    let Some(account) = cx.account.clone().filter(|a| a.kind == AccountKind::Citizen) else {
        return Redirect::to(&k.href("/cua-toi")).into_response();
    };
    let found = match Kiosks::of(&state).dossiers_of(&account).await {
        Ok(f) => f,
        Err(e) => return server_error(t, &cx.uri, e.message),
    };
    let (now, names) = (Timestamp::now(), list_names(&state, t).await);
    let rows = found.iter().map(|d| dossier_row(t, d, &names, now)).collect();
    render(MinePage { k, name: account.full_name.to_string(), rows })
}

#[derive(Template)]
#[template(path = "web/kiosk_submit.html")]
struct SubmitPage {
    k: Kiosk,
    /// (code, name, field)
    procedures: Vec<(String, String, String)>,
    signed_in: bool,
}

async fn submit(State(state): State<AppState>, cx: PageCtx, Path(code): Path<String>) -> Response {
    let (k, centre) = match kiosk_of(&state, &cx, &code).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let t = k.t;
    // Fully online procedures this centre's area is served with, and the province's.
    let procedures = match Kiosks::of(&state).procedures_at(&centre).await {
        Ok(found) => {
            found.into_iter().map(|p| (p.code.to_string(), p.name.to_string(), p.field.name.to_string())).collect()
        }
        Err(e) => return server_error(t, &cx.uri, e.message),
    };
    let signed_in = cx.account.as_ref().is_some_and(|a| a.kind == AccountKind::Citizen);
    render(SubmitPage { k, procedures, signed_in })
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

async fn sign_out(
    State(state): State<AppState>,
    cx: PageCtx,
    Path(code): Path<String>,
    form: Result<Form<CsrfForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    if let Err(r) = cx.posted(form.map(|Form(f)| f), |f| &f.csrf) {
        return r;
    }
    if let Some((_, hash)) = crate::edge::session_of(&state, &cx.headers).await
        && let Err(e) = Kiosks::of(&state).sign_out(&hash).await
    {
        return server_error(cx.t, &cx.uri, e.message);
    }
    let cookie = crate::edge::session_cookie("", 0, state.settings.secure_cookies);
    let (k, _) = match kiosk_of(&state, &cx, &code).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    ([(header::SET_COOKIE, cookie)], Redirect::to(&k.href(""))).into_response()
}

#[derive(Template)]
#[template(path = "web/kiosk_display.html")]
struct DisplayPage {
    k: Kiosk,
    board: Board,
}

async fn display(State(state): State<AppState>, cx: PageCtx, Path(code): Path<String>) -> Response {
    let (k, centre) = match kiosk_of(&state, &cx, &code).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match Queues::of(&state).board(&centre).await {
        Ok(board) => render(DisplayPage { k, board }),
        Err(e) => server_error(cx.t, &cx.uri, e.message),
    }
}

// ---------------------------------------------------------------------------------------
// The counter's side

#[derive(Template)]
#[template(path = "web/queue_counter.html")]
struct CounterPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    /// (code, name, selected)
    centres: Vec<(String, String, bool)>,
    centre: String,
    counter: i32,
    board: Option<Board>,
    /// The ticket just called.
    called: Option<TicketView>,
    message: String,
}

#[derive(Deserialize)]
pub struct CounterQuery {
    centre: Option<String>,
    counter: Option<i32>,
}

/// The centres where the officer works the counters.
fn desk_centres(account: &motcua_domain::Account) -> Vec<motcua_domain::OrgCode> {
    let mut v: Vec<_> = account.roles.iter().filter(|r| r.role == Role::DeskOfficer).map(|r| r.org.clone()).collect();
    v.sort();
    v.dedup();
    v
}

async fn counter_view(
    state: &AppState,
    cx: &PageCtx,
    centre: Option<&str>,
    counter: Option<i32>,
) -> Result<CounterPage, Response> {
    let t = cx.t;
    let Some(account) = cx.account.as_ref().filter(|a| a.kind == AccountKind::Staff) else {
        return Err(crate::web::page::login_redirect(t, &cx.uri));
    };
    let queues = Queues::of(state);
    let mine = desk_centres(account);
    let Some(first) = mine.first() else {
        return Err(cx.refused(
            StatusCode::FORBIDDEN,
            t.error_title,
            t.pick("Chỉ cán bộ một cửa gọi số tại quầy.", "Only desk officers call tickets.").into(),
        ));
    };
    let chosen = centre.and_then(|c| mine.iter().find(|m| m.as_str() == c)).unwrap_or(first).clone();
    let mut centres = Vec::new();
    for c in &mine {
        let name = match queues.centre_of(c).await {
            Ok(o) => o.name.to_string(),
            Err(e) if e.status() == StatusCode::NOT_FOUND => c.to_string(),
            Err(e) => return Err(server_error(t, &cx.uri, e.message)),
        };
        centres.push((c.to_string(), name, *c == chosen));
    }
    let org = match queues.centre_of(&chosen).await {
        Ok(o) => o,
        Err(e) => return Err(server_error(t, &cx.uri, e.message)),
    };
    let board = match queues.board(&org).await {
        Ok(b) => b,
        Err(e) => return Err(server_error(t, &cx.uri, e.message)),
    };
    let counter = counter
        .filter(|n| board.counters.iter().any(|c| c.number == *n))
        .or_else(|| board.counters.first().map(|c| c.number))
        .unwrap_or(1);
    Ok(CounterPage {
        t,
        nav: cx.nav.clone(),
        other_lang_href: crate::web::page::other_lang_href(&cx.uri, t.lang_value()),
        centres,
        centre: chosen.to_string(),
        counter,
        board: Some(board),
        called: None,
        message: String::new(),
    })
}

async fn counter_page(State(state): State<AppState>, cx: PageCtx, Query(q): Query<CounterQuery>) -> Response {
    match counter_view(&state, &cx, q.centre.as_deref(), q.counter).await {
        Ok(p) => render(p),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
pub struct CounterForm {
    csrf: String,
    centre: String,
    counter: i32,
    /// `next`, `served` or `no_show`
    action: String,
    #[serde(default)]
    ticket: Option<i64>,
}

async fn counter_post(
    State(state): State<AppState>,
    cx: PageCtx,
    form: Result<Form<CounterForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let f = match cx.posted(form.map(|Form(f)| f), |f| &f.csrf) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let mut page = match counter_view(&state, &cx, Some(&f.centre), Some(f.counter)).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let t = cx.t;
    let Some(account) = cx.account.clone() else { return crate::web::page::login_redirect(t, &cx.uri) };
    let Ok(code) = motcua_domain::OrgCode::parse(&page.centre) else { return server_error(t, &cx.uri, "centre") };
    let queues = Queues::of(&state);
    let org = match queues.centre_of(&code).await {
        Ok(o) => o,
        Err(e) => return server_error(t, &cx.uri, e.message),
    };
    if !account.can_act(&org.code, Role::DeskOfficer) {
        return cx.refused(StatusCode::FORBIDDEN, t.error_title, AppError::forbidden().message);
    }
    let outcome: Result<(), String> = match f.action.as_str() {
        "next" => match Queues::of(&state).call(&account, &org, page.counter).await {
            Ok(Some(ticket)) => match Queues::of(&state).ticket_view(&org, &ticket).await {
                Ok(v) => {
                    page.called = Some(v);
                    Ok(())
                }
                Err(e) => Err(e.message),
            },
            Ok(None) => Err(t
                .pick("Không còn ai chờ các dịch vụ của quầy này.", "Nobody is waiting for this counter's services.")
                .into()),
            Err(e) => Err(e.message),
        },
        "served" | "no_show" => {
            let status = if f.action == "served" {
                motcua_store::service::TicketStatus::Served
            } else {
                motcua_store::service::TicketStatus::NoShow
            };
            Queues::of(&state)
                .finish_called(&account, &org, f.ticket.unwrap_or_default(), status)
                .await
                .map_err(|e| e.message)
        }
        _ => Err(t.error_message.into()),
    };
    if let Err(m) = outcome {
        page.message = m;
    }
    page.board = Queues::of(&state).board(&org).await.ok();
    render(page)
}
