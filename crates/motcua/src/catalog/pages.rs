//! The catalog's pages: the home page with search, a procedure's page, public tracking by
//! code.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use motcua_domain::{OnlineLevel, OrgCode, OrgKind, PaperForm, Procedure, ProcedureCode};
use motcua_store::{OrgFilter, Page, ProcedureFilter};
use serde::Deserialize;

use crate::app::AppState;
use crate::catalog::Catalog;
use crate::web::page::*;
use crate::web::texts::Texts;

pub fn routes() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new().route("/", get(home)).route("/thu-tuc/{code}", get(procedure)).route("/tra-cuu", get(track))
}

pub(crate) fn online_label(t: &Texts, o: OnlineLevel) -> &'static str {
    match o {
        OnlineLevel::Full => t.online_full,
        OnlineLevel::Partial => t.online_partial,
        OnlineLevel::None => t.online_none,
    }
}

pub struct Card {
    code: String,
    name: String,
    field: String,
    agency: String,
    online: &'static str,
    full_online: bool,
    time_limit: String,
}

/// A time limit in the reader's language ("5 ngày làm việc", "5 working days").
pub(crate) fn time_limit_text(t: &Texts, limit: &motcua_domain::TimeLimit) -> String {
    if t.lang == "en" { limit.english() } else { limit.to_string() }
}

pub(crate) fn card(t: &Texts, p: &Procedure) -> Card {
    Card {
        code: p.code.to_string(),
        name: p.name.to_string(),
        field: p.field.name.to_string(),
        agency: p.agency.to_string(),
        online: online_label(t, p.online),
        full_online: p.online == OnlineLevel::Full,
        time_limit: time_limit_text(t, &p.time_limit),
    }
}

#[derive(Template)]
#[template(path = "web/home.html")]
pub(crate) struct Home {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    q: String,
    searched: bool,
    results: Vec<Card>,
    more: bool,
    fields: Vec<(String, String, usize)>,
    orgs: Vec<(String, String)>,
}

#[derive(Debug, Deserialize)]
pub struct HomeQuery {
    q: Option<String>,
    field: Option<String>,
    org: Option<String>,
}

pub(crate) async fn home(State(state): State<AppState>, cx: PageCtx, Query(q): Query<HomeQuery>) -> Response {
    let PageCtx { t, nav, uri, .. } = cx;
    let text = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| s.chars().take(200).collect::<String>());
    let field = q.field.as_deref().and_then(|f| motcua_domain::FieldCode::parse(f).ok());
    let org = q.org.as_deref().and_then(|o| OrgCode::parse(o).ok());
    let searched = text.is_some() || field.is_some() || org.is_some();
    let filter = if searched {
        ProcedureFilter { text: text.clone(), field, org, ..Default::default() }
    } else {
        ProcedureFilter { online: Some(OnlineLevel::Full), ..Default::default() }
    };
    let limit = if searched { 60 } else { 12 };
    let found = match Catalog::of(&state).find_procedures(filter, Page::new(Some(0), Some(limit))).await {
        Ok(f) => f,
        Err(e) => return server_error(t, &uri, e.message),
    };
    let all = match Catalog::of(&state).all_procedures().await {
        Ok(a) => a,
        Err(e) => return server_error(t, &uri, e.message),
    };
    let mut fields: Vec<(String, String, usize)> = Vec::new();
    for p in &all {
        match fields.iter_mut().find(|f| f.0 == p.field.code.as_str()) {
            Some(f) => f.2 += 1,
            None => fields.push((p.field.code.to_string(), p.field.name.to_string(), 1)),
        }
    }
    fields.sort_by_cached_key(|f| motcua_domain::text::fold(&f.1));
    let departments = OrgFilter { kind: Some(OrgKind::Department), ..Default::default() };
    let orgs = match Catalog::of(&state).organisations(&departments, Page::new(Some(0), Some(100))).await {
        Ok(o) => o.items.into_iter().map(|o| (o.code.to_string(), o.name.to_string())).collect(),
        Err(e) => return server_error(t, &uri, e.message),
    };
    render(Home {
        t,
        nav,
        other_lang_href: other_lang_href(&uri, t.lang_value()),
        q: text.unwrap_or_default(),
        searched,
        more: found.total > found.items.len() as i64,
        results: found.items.iter().map(|p| card(t, p)).collect(),
        fields,
        orgs,
    })
}

pub struct ProcedureView {
    code: String,
    name: String,
    description: String,
    field: String,
    agency: String,
    applicants: String,
    time_limit: String,
    online: &'static str,
    full_online: bool,
    online_submission: bool,
    /// (description, amount, note)
    fees: Vec<(String, String, String, String)>,
    result: String,
    where_processed: String,
    /// (name, form, copies, required, template)
    components: Vec<(String, &'static str, u8, &'static str, String)>,
    legal_basis: Vec<String>,
}

#[derive(Template)]
#[template(path = "web/procedure.html")]
pub(crate) struct ProcedurePage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    p: ProcedureView,
}

pub(crate) async fn procedure(
    State(state): State<AppState>,
    cx: PageCtx,
    axum::extract::Path(code): axum::extract::Path<String>,
) -> Response {
    let PageCtx { t, nav, uri, .. } = cx;
    let not_found =
        |nav| error_page(StatusCode::NOT_FOUND, t, nav, &uri, t.not_found_title, format!("{} {code}", t.no_procedure));
    let Ok(pc) = ProcedureCode::parse(&code) else { return not_found(nav) };
    let catalog = Catalog::of(&state);
    let p = match catalog.procedure(&pc).await {
        Ok(p) => p,
        Err(e) if e.status() == StatusCode::NOT_FOUND => return not_found(nav),
        Err(e) => return server_error(t, &uri, e.message),
    };
    let where_processed = match p.organisations.as_slice() {
        [] => p.agency.to_string(),
        [one] => match catalog.organisation(one).await {
            Ok(o) => o.name.to_string(),
            _ => one.to_string(),
        },
        many => format!("{} ({} {})", p.agency, many.len(), t.places),
    };
    let view = ProcedureView {
        code: p.code.to_string(),
        name: p.name.to_string(),
        description: p.description.to_string(),
        field: p.field.name.to_string(),
        agency: p.agency.to_string(),
        applicants: p.applicants.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", "),
        time_limit: time_limit_text(t, &p.time_limit),
        online: online_label(t, p.online),
        full_online: p.online == OnlineLevel::Full,
        online_submission: p.online != OnlineLevel::None,
        fees: p
            .fees
            .iter()
            .map(|f| {
                let online = match f.online_amount {
                    Some(o) if o.amount() == 0 => {
                        t.pick("miễn khi nộp trực tuyến", "free when submitted online").to_owned()
                    }
                    Some(o) => format!("{} {o}", t.pick("nộp trực tuyến:", "online:")),
                    None => String::new(),
                };
                (
                    f.description.to_string(),
                    f.amount.to_string(),
                    f.note.as_ref().map(|n| n.to_string()).unwrap_or_default(),
                    online,
                )
            })
            .collect(),
        result: p.result.to_string(),
        where_processed,
        components: p
            .components
            .iter()
            .map(|c| {
                let form = match c.form {
                    PaperForm::Original => t.original,
                    PaperForm::Copy => t.copy,
                    PaperForm::OriginalOrCopy => t.original_or_copy,
                };
                let required = if c.required { t.yes } else { t.no };
                (
                    c.name.to_string(),
                    form,
                    c.copies,
                    required,
                    c.template.as_ref().map(|x| x.to_string()).unwrap_or_default(),
                )
            })
            .collect(),
        legal_basis: p.legal_basis.iter().map(|l| l.to_string()).collect(),
    };
    render(ProcedurePage { t, nav, other_lang_href: other_lang_href(&uri, t.lang_value()), p: view })
}

pub struct TrackView {
    code: String,
    procedure_name: String,
    status: &'static str,
    step: String,
    submitted: String,
    due: String,
    /// (at, action, status)
    timeline: Vec<(String, String, &'static str)>,
    /// A linked application's branches: (name, state, organisation, due).
    branches: Vec<(String, &'static str, String, String)>,
}

#[derive(Template)]
#[template(path = "web/track.html")]
pub(crate) struct TrackPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    code: String,
    found: Option<TrackView>,
    message: String,
}

#[derive(Debug, Deserialize)]
pub struct TrackQuery {
    ma: Option<String>,
}

pub(crate) async fn track(State(state): State<AppState>, cx: PageCtx, Query(q): Query<TrackQuery>) -> Response {
    let PageCtx { t, nav, uri, .. } = cx;
    let code = q.ma.as_deref().map(str::trim).unwrap_or_default().chars().take(60).collect::<String>();
    let mut page = TrackPage {
        t,
        nav,
        other_lang_href: other_lang_href(&uri, t.lang_value()),
        code: code.clone(),
        found: None,
        message: String::new(),
    };
    if code.is_empty() {
        return render(page);
    }
    match crate::dossiers::Dossiers::of(&state).tracking(&code).await {
        Ok(tr) => {
            page.found = Some(TrackView {
                code: tr.code.to_string(),
                procedure_name: tr.procedure_name,
                status: status_text(t, tr.status_code),
                step: if t.lang == "en" { tr.step_name_en } else { tr.step_name }.unwrap_or_else(|| "—".into()),
                submitted: tr.submitted_at_display,
                due: tr.due_at_display.unwrap_or_else(|| t.not_yet.to_owned()),
                timeline: tr
                    .timeline
                    .into_iter()
                    .map(|e| (e.at_display, action_text(t, &e.action), status_text(t, e.status_code)))
                    .collect(),
                branches: tr
                    .branches
                    .into_iter()
                    .map(|b| {
                        let state = match (b.state, b.status_code) {
                            ("waiting", _) => t.pick("Chờ kết quả nhánh trước", "Waiting for the branches it needs"),
                            (_, Some(code)) => status_text(t, code),
                            _ => t.pick("Không thực hiện", "Not to be processed"),
                        };
                        let name = if t.lang == "en" { b.name_en } else { b.name };
                        let org = b.org_name.unwrap_or_default();
                        (name, state, org, b.due_at_display.unwrap_or_default())
                    })
                    .collect(),
            });
            render(page)
        }
        Err(e) => match tracking_refusal(t, &e) {
            Some(message) => {
                page.message = message.to_owned();
                render_status(e.status(), page)
            }
            None => server_error(t, &uri, e.message),
        },
    }
}

/// What a tracking page says when a code is not one (400) or names no dossier (404); None
/// for a failure of the server.
pub(crate) fn tracking_refusal(t: &'static Texts, e: &crate::app::AppError) -> Option<&'static str> {
    match e.status() {
        StatusCode::BAD_REQUEST => Some(t.bad_code),
        StatusCode::NOT_FOUND => Some(t.no_dossier),
        _ => None,
    }
}
