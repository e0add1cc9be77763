//! The officer's pages: the inbox with its filters, and reception at the counter.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use motcua_domain::workflow::{Applicant, Channel, Status};
use motcua_domain::{Account, AccountKind, FieldCode, OrgCode, OrgKind, ProcedureCode, Role};
use motcua_store::{DossierCursor, DossierFilter, DossierPage, ListOrder, OrgFilter, Page, ProcedureFilter};
use serde::Deserialize;

use crate::app::AppState;
use crate::dossiers::Dossiers;
use crate::web::csrf;
use crate::web::multipart::read_form;
use crate::web::page::{
    CursorPager, DossierRow, Nav, PageCtx, error_page, login_redirect, other_lang_href, render, render_status,
    server_error,
};
use crate::web::texts::Texts;

#[derive(Debug, Default, Deserialize)]
pub struct InboxQuery {
    /// Where the page starts: after this row of the list (a cursor the previous page gave).
    sau: Option<String>,
    /// Step key.
    buoc: Option<String>,
    /// Status code.
    tt: Option<String>,
    /// Field code.
    linh_vuc: Option<String>,
    /// "qua-han" (overdue) or "1-ngay" (due within one working day).
    han: Option<String>,
    /// Search words: a dossier code, the applicant's name, CCCD or phone.
    tim: Option<String>,
    /// "tat-ca": every dossier of the officer's units, not only those waiting for them (the
    /// operations centre's "overdue" links here).
    #[serde(rename = "pham-vi")]
    pham_vi: Option<String>,
}

impl InboxQuery {
    /// The cursor to go on from, when it is one of a list in this order (else the first page).
    pub(crate) fn after(&self, order: ListOrder) -> Option<DossierCursor> {
        self.sau.as_deref().and_then(DossierCursor::parse).filter(|c| c.order() == order)
    }
}

#[derive(Template)]
#[template(path = "web/inbox.html")]
struct InboxPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    rows: Vec<DossierRow>,
    pager: CursorPager,
    /// Soonest due first (work waiting), else the latest submitted first.
    by_due: bool,
    /// (value, label, selected)
    steps: Vec<(String, String, bool)>,
    statuses: Vec<(String, &'static str, bool)>,
    fields: Vec<(String, String, bool)>,
    han: String,
    desk: bool,
    overdue_count: i64,
    /// The search words, shown again; searching covers every dossier of the officer's units.
    tim: String,
    all_of_units: bool,
    /// Dossiers the workflow's rules escalated to this leader, still waiting.
    escalated: Vec<crate::web::page::DossierRow>,
}

/// The officer's inbox: dossiers waiting at their organisations and roles, soonest due
/// first, filtered by step, status, field and deadline.
pub(crate) async fn inbox(
    state: &AppState,
    t: &'static Texts,
    nav: Nav,
    uri: &Uri,
    account: &Account,
    q: InboxQuery,
) -> Response {
    let waiting_at: Vec<(OrgCode, Role)> = account.roles.iter().map(|r| (r.org.clone(), r.role)).collect();
    let base = DossierFilter { waiting_at: Some(waiting_at), ..Default::default() };
    let mut filter = base.clone();
    // A search looks through every dossier of the officer's units, not only those waiting.
    let tim = q.tim.as_deref().map(str::trim).unwrap_or_default().chars().take(100).collect::<String>();
    let all_of_units = !tim.is_empty() || q.pham_vi.as_deref() == Some("tat-ca");
    if all_of_units {
        filter.waiting_at = None;
        filter.involving = Some(account.organisations().into_iter().cloned().collect());
    }
    if !tim.is_empty() {
        filter.search = Some(tim.clone());
    }
    filter.step = q.buoc.clone().filter(|s| !s.is_empty() && s.len() <= 40);
    filter.status = q.tt.as_deref().and_then(|s| s.parse::<u8>().ok()).and_then(Status::from_code);
    filter.field = q.linh_vuc.as_deref().and_then(|f| FieldCode::parse(f).ok());
    let now = jiff::Timestamp::now();
    let cal = match state.work_calendar().await {
        Ok(c) => c,
        Err(e) => return server_error(t, uri, e),
    };
    let han = q.han.clone().unwrap_or_default();
    match han.as_str() {
        "qua-han" => filter.open_due_before = Some(now),
        "1-ngay" => match cal.add_working_minutes_from(now, cal.rules().hours.minutes_per_day()) {
            Ok(at) => filter.open_due_before = Some(at),
            Err(e) => return server_error(t, uri, e),
        },
        _ => {}
    }
    let after = q.after(filter.order());
    let dossiers = Dossiers::of(state);
    let found = match dossiers.list(&filter, &DossierPage::after(after.clone(), 50)).await {
        Ok(f) => f,
        Err(e) => return server_error(t, uri, e.message),
    };
    let overdue = DossierFilter { open_due_before: Some(now), ..base };
    let overdue_count = match dossiers.count(&overdue).await {
        Ok(n) => n.value(),
        Err(e) => return server_error(t, uri, e.message),
    };
    let names = crate::web::page::list_names(state, t).await;
    let rows = found.items.iter().map(|d| crate::web::page::dossier_row(t, d, &names, now)).collect();
    let mut escalated = Vec::new();
    let escalations = crate::dossiers::escalation::Escalations::of(state);
    for r in account.roles.iter().filter(|r| r.role == Role::Leader) {
        match escalations.standing(account, &r.org).await {
            Ok(list) => {
                escalated.extend(list.iter().map(|e| crate::web::page::dossier_row(t, &e.dossier, &names, now)))
            }
            Err(e) => return server_error(t, uri, e.message),
        }
    }
    let mut steps: Vec<(String, String, bool)> = Vec::new();
    for ((_, key), name) in &names.steps {
        if !steps.iter().any(|s| &s.0 == key) {
            steps.push((key.clone(), name.clone(), filter.step.as_deref() == Some(key)));
        }
    }
    steps.sort_by(|a, b| a.1.cmp(&b.1));
    let statuses = Status::ALL
        .iter()
        .map(|s| (s.code().to_string(), crate::web::page::status_text(t, s.code()), filter.status == Some(*s)))
        .collect();
    let mut fields: Vec<(String, String, bool)> = Vec::new();
    for (code, name) in &names.fields {
        fields.push((code.to_string(), name.clone(), filter.field.as_ref() == Some(code)));
    }
    fields.sort_by_cached_key(|f| motcua_domain::text::fold(&f.1));
    render(InboxPage {
        t,
        nav,
        other_lang_href: other_lang_href(uri, t.lang_value()),
        rows,
        pager: CursorPager::new(t, uri, &found, after.is_some()),
        by_due: filter.order() == ListOrder::Due,
        steps,
        statuses,
        fields,
        han,
        desk: account.roles.iter().any(|r| r.role == Role::DeskOfficer),
        overdue_count,
        tim,
        all_of_units,
        escalated,
    })
}

// ---------------------------------------------------------------------------------------
// Counter reception

#[derive(Template)]
#[template(path = "web/counter.html")]
struct CounterPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    /// (value "procedure|org|desk", label)
    choices: Vec<(String, String)>,
    chosen: String,
    /// The chosen procedure's papers, one file input each: (index, name, required).
    components: Vec<(usize, String, bool)>,
    values: Vec<(String, String)>,
    message: String,
}

/// The papers of the procedure a counter choice ("procedure|org|desk") names.
async fn components_of(state: &AppState, choice: &str) -> Vec<(usize, String, bool)> {
    let Some(code) = choice.split('|').next().and_then(|c| ProcedureCode::parse(c).ok()) else { return vec![] };
    match crate::catalog::Catalog::of(state).lookup(&code).await {
        Ok(Some(p)) => p.components.iter().enumerate().map(|(i, c)| (i, c.name.to_string(), c.required)).collect(),
        _ => vec![],
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct CounterQuery {
    /// The procedure chosen first (a counter choice), so the form asks for its papers.
    #[serde(rename = "thu-tuc")]
    thu_tuc: Option<String>,
}

impl CounterPage {
    /// A value typed before, to show again after an error.
    fn value(&self, name: &str) -> &str {
        self.values.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }
}

/// What a desk officer may receive: for each desk they staff, the procedures of the
/// organisation it serves (a centre serves its parent; a desk inside an organisation serves
/// that organisation).
async fn counter_choices(state: &AppState, account: &Account) -> Result<Vec<(String, String)>, crate::app::AppError> {
    let catalog = crate::catalog::Catalog::of(state);
    let mut out = Vec::new();
    for r in account.roles.iter().filter(|r| r.role == Role::DeskOfficer) {
        let Some(desk) = catalog.find_organisation(&r.org).await? else { continue };
        let served = match (desk.kind, &desk.parent) {
            (OrgKind::ServiceCentre, Some(parent)) => {
                // The provincial centre receives for the province's departments too.
                let mut v = vec![parent.clone()];
                let children = catalog
                    .organisations(&OrgFilter { parent: Some(parent.clone()), ..Default::default() }, Page::all())
                    .await?;
                v.extend(children.items.into_iter().filter(|o| o.kind == OrgKind::Department).map(|o| o.code));
                v
            }
            _ => vec![desk.code.clone()],
        };
        for org in served {
            let name = catalog.find_organisation(&org).await?.map(|o| o.name.to_string()).unwrap_or_default();
            let list = catalog
                .procedures(&ProcedureFilter { org: Some(org.clone()), ..Default::default() }, Page::all())
                .await?;
            for p in list.items {
                out.push((format!("{}|{}|{}", p.code, org, desk.code), format!("{} — {} ({})", p.name, name, p.code)));
            }
        }
    }
    out.sort_by_cached_key(|c| motcua_domain::text::fold(&c.1));
    out.dedup();
    Ok(out)
}

fn desk_only(t: &'static Texts, nav: Nav, uri: &Uri) -> Response {
    let m = t.pick(
        "Chỉ cán bộ Bộ phận Một cửa được tiếp nhận hồ sơ tại quầy",
        "Only one-stop desk officers receive dossiers at the counter",
    );
    error_page(StatusCode::FORBIDDEN, t, nav, uri, t.error_title, m.to_owned())
}

pub(crate) async fn counter_page(
    State(state): State<AppState>,
    cx: PageCtx,
    Query(q): Query<CounterQuery>,
) -> Response {
    let PageCtx { t, nav, account, uri, .. } = cx;
    let Some(account) = account else { return login_redirect(t, &uri) };
    if account.kind != AccountKind::Staff || !account.roles.iter().any(|r| r.role == Role::DeskOfficer) {
        return desk_only(t, nav, &uri);
    }
    let choices = match counter_choices(&state, &account).await {
        Ok(c) => c,
        Err(e) => return server_error(t, &uri, e.message),
    };
    let chosen = q.thu_tuc.filter(|c| choices.iter().any(|x| &x.0 == c)).unwrap_or_default();
    let components = if chosen.is_empty() { vec![] } else { components_of(&state, &chosen).await };
    render(CounterPage {
        t,
        nav,
        other_lang_href: other_lang_href(&uri, t.lang_value()),
        choices,
        chosen,
        components,
        values: vec![],
        message: String::new(),
    })
}

pub(crate) async fn counter_post(
    State(state): State<AppState>,
    cx: PageCtx,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let PageCtx { t, nav, account, uri, headers, token, .. } = cx;
    let Some(account) = account else { return Redirect::to(&format!("/dang-nhap{}", t.query)).into_response() };
    if account.kind != AccountKind::Staff || !account.roles.iter().any(|r| r.role == Role::DeskOfficer) {
        return desk_only(t, nav, &uri);
    }
    let choices = match counter_choices(&state, &account).await {
        Ok(c) => c,
        Err(e) => return server_error(t, &uri, e.message),
    };
    let mut page = CounterPage {
        t,
        nav,
        other_lang_href: other_lang_href(&uri, t.lang_value()),
        choices,
        chosen: String::new(),
        components: vec![],
        values: vec![],
        message: String::new(),
    };
    let fail = |mut page: CounterPage, status: StatusCode, message: String| {
        page.message = message;
        render_status(status, page)
    };
    let form = match read_form(multipart).await {
        Ok(f) => f,
        Err((status, m)) => return fail(page, status, m),
    };
    for k in ["full_name", "cccd", "phone", "email", "address", "channel"] {
        page.values.push((k.to_owned(), form.get(k).unwrap_or_default().to_owned()));
    }
    page.chosen = form.get("choice").unwrap_or_default().to_owned();
    if page.choices.iter().any(|c| c.0 == page.chosen) {
        page.components = components_of(&state, &page.chosen).await;
    }
    if !csrf::verify(&headers, &token, form.get("csrf").unwrap_or_default()) {
        return fail(page, StatusCode::FORBIDDEN, t.csrf_failed.to_owned());
    }
    // Only a choice offered to this officer is accepted.
    let Some((procedure, org, desk)) = page.choices.iter().find(|c| c.0 == page.chosen).and_then(|c| {
        let mut it = c.0.split('|');
        Some((
            ProcedureCode::parse(it.next()?).ok()?,
            OrgCode::parse(it.next()?).ok()?,
            OrgCode::parse(it.next()?).ok()?,
        ))
    }) else {
        let m = t.pick("Hãy chọn thủ tục", "Choose a procedure").to_owned();
        return fail(page, StatusCode::BAD_REQUEST, m);
    };
    let parsed = (|| -> Result<Applicant, motcua_domain::DomainError> {
        Ok(Applicant {
            full_name: motcua_domain::Name::parse("Họ và tên người nộp", form.get("full_name").unwrap_or_default())?,
            cccd: form.text("cccd").map(|c| motcua_domain::Cccd::parse(&c)).transpose()?,
            phone: form.text("phone").map(|p| motcua_domain::Phone::parse(&p)).transpose()?,
            email: form.text("email").map(|e| motcua_domain::Email::parse(&e)).transpose()?,
            address: form.text("address").map(|a| motcua_domain::Name::parse("Địa chỉ", &a)).transpose()?,
        })
    })();
    let applicant = match parsed {
        Ok(a) => a,
        Err(e) => return fail(page, StatusCode::BAD_REQUEST, e.to_string()),
    };
    let channel = if form.get("channel") == Some("post") { Channel::Post } else { Channel::InPerson };
    let uploads = match form.uploads() {
        Ok(u) => u,
        Err(e) => return fail(page, e.status(), e.message),
    };
    let mut fingerprint = format!("counter:{procedure}:{org}:{}", applicant.full_name);
    for u in &uploads {
        fingerprint.push_str(&u.sha256());
    }
    let submission = crate::dossiers::Submission {
        req: crate::dossiers::SubmitRequest {
            procedure,
            org: Some(org),
            desk: Some(desk),
            applicant: Some(applicant),
            channel: Some(channel),
            copies: None,
            exemptions: vec![],
            reuse: vec![],
            declaration: None,
        },
        files: uploads,
        request_hash: motcua_domain::audit::sha256_hex(fingerprint.as_bytes()),
        session: None,
    };
    match crate::dossiers::Dossiers::of(&state).create(&account, None, submission).await {
        Ok((stored, _)) => {
            let sep = if t.query.is_empty() { "?" } else { "&" };
            Redirect::to(&format!("/ho-so/{}{}{sep}moi=1", stored.dossier.code, t.query)).into_response()
        }
        Err(e) if e.status().is_client_error() => fail(page, e.status(), e.message),
        Err(e) => server_error(t, &uri, e.message),
    }
}
