//! The citizen's pages: the submission form with drafts and a review step.

use super::eform::{self, Widget};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use motcua_domain::attachment::{self as files, AttachmentKind};
use motcua_domain::{Account, AccountKind, OnlineLevel, OrgCode, Procedure, ProcedureCode};
use motcua_store::Draft;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::dossiers::Dossiers;
use crate::dossiers::Upload;
use crate::web::csrf;
use crate::web::multipart::{FormParts, read_form};
use crate::web::page::{
    Nav, PageCtx, error_page, login_redirect, other_lang_href, render, render_status, server_error,
};
use crate::web::texts::Texts;

// ---------------------------------------------------------------------------------------
// Submission: form → draft → review → submit

/// A draft body with only the contact address filled in (a kiosk that read the chip ID
/// card starts the citizen's form with it).
pub(crate) fn draft_with_address(address: &str) -> String {
    let body = DraftBody { address: Some(address.to_owned()), ..Default::default() };
    serde_json::to_string(&body).unwrap_or_else(|_| "{}".into())
}

/// What a draft keeps, as JSON in the store. The files are in the blob store already.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct DraftBody {
    org: Option<String>,
    address: Option<String>,
    files: Vec<DraftFile>,
    /// Copies asked for (per-copy fees).
    #[serde(default)]
    copies: Option<u16>,
    /// Exemption groups claimed.
    #[serde(default)]
    exemptions: Vec<motcua_domain::payment::ExemptGroup>,
    /// The declaration's answers as typed (checked when the citizen continues).
    #[serde(default)]
    declaration: Option<serde_json::Map<String, serde_json::Value>>,
}

/// What the fee part of the form offers: whether copies matter, and the groups the
/// procedure's fees exempt (code, label, chosen).
pub struct FeeChoices {
    per_copy: bool,
    copies: u16,
    groups: Vec<(&'static str, &'static str, bool)>,
    /// The quote for what is chosen: (description, amount, exempt label), total.
    lines: Vec<(String, String, String)>,
    total: String,
}

fn fee_choices(t: &Texts, p: &Procedure, body: &DraftBody) -> Option<FeeChoices> {
    if p.fees.is_empty() {
        return None;
    }
    let copies = body.copies.unwrap_or(1);
    let mut groups: Vec<motcua_domain::payment::ExemptGroup> = Vec::new();
    for f in &p.fees {
        for g in &f.exempt {
            if !groups.contains(g) {
                groups.push(*g);
            }
        }
    }
    let quote =
        motcua_domain::payment::quote(p, copies, &body.exemptions, motcua_domain::payment::Rate::Online).ok()?;
    Some(FeeChoices {
        per_copy: p.fees.iter().any(|f| f.per_copy),
        copies,
        groups: groups
            .into_iter()
            .map(|g| (g.as_str(), t.pick(g.label_vi(), g.label_en()), body.exemptions.contains(&g)))
            .collect(),
        lines: quote
            .lines
            .iter()
            .map(|l| {
                let exempt = l.exempt.map(|g| t.pick(g.label_vi(), g.label_en()).to_owned()).unwrap_or_default();
                let rate = if l.online_rate { t.pick(" (mức nộp trực tuyến)", " (online rate)") } else { "" };
                (format!("{} × {}{rate}", l.description, l.quantity), l.amount.to_string(), exempt)
            })
            .collect(),
        total: quote.total.to_string(),
    })
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct DraftFile {
    component: i32,
    filename: String,
    content_type: String,
    size: i64,
    sha256: String,
    /// Taken from the applicant's data store rather than uploaded.
    #[serde(default)]
    reused: bool,
}

pub struct ComponentRow {
    index: usize,
    name: String,
    required: bool,
    /// The file already in the draft for it, if any.
    file: Option<String>,
    /// Required, not attached, and the citizen asked to continue: marked on the form.
    error: bool,
    /// The declaration, filled in online on the form instead of attached.
    online: bool,
    /// A paper the citizen's verified identity stands in for (signed in through VNeID).
    identity: bool,
}

/// A paper of the applicant's data store the form offers: (sha256, label).
#[derive(Clone)]
pub struct StoreChoice {
    sha256: String,
    label: String,
}

#[derive(Template)]
#[template(path = "web/submit.html")]
struct SubmitPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    code: String,
    name: String,
    applicant: String,
    contact: String,
    /// (code, name, selected)
    orgs: Vec<(String, String, bool)>,
    address: String,
    components: Vec<ComponentRow>,
    draft_id: String,
    message: String,
    notice: &'static str,
    fees: Option<FeeChoices>,
    /// The applicant's data store, to attach from instead of uploading.
    store: Vec<StoreChoice>,
    /// What stops the citizen continuing, each linked to its field: (field id, message).
    errors: Vec<(String, String)>,
    org_error: bool,
    /// The declaration to fill in online, when the procedure's is an e-form.
    eform: Option<eform::EformView>,
}

#[derive(Template)]
#[template(path = "web/review.html")]
struct ReviewPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    code: String,
    name: String,
    applicant: String,
    contact: String,
    org: String,
    address: String,
    components: Vec<ComponentRow>,
    missing: Vec<String>,
    draft_id: i64,
    message: String,
    fees: Option<FeeChoices>,
    /// The declaration filled in online, as it reads.
    declaration: Option<crate::catalog::declarations::DeclarationView>,
}

/// The procedure a citizen may submit online, or the page saying why not.
async fn submittable(
    state: &AppState,
    t: &'static Texts,
    nav: Nav,
    uri: &Uri,
    code: &str,
    account: &Account,
) -> Result<(Procedure, Nav), Response> {
    if account.kind != AccountKind::Citizen {
        return Err(error_page(StatusCode::FORBIDDEN, t, nav, uri, t.submit_title, t.citizens_only.to_owned()));
    }
    let not_found =
        |nav| error_page(StatusCode::NOT_FOUND, t, nav, uri, t.not_found_title, format!("{} {code}", t.no_procedure));
    let Ok(pc) = ProcedureCode::parse(code) else { return Err(not_found(nav)) };
    let p = match crate::catalog::Catalog::of(state).lookup(&pc).await {
        Ok(Some(p)) => p,
        Ok(None) => return Err(not_found(nav)),
        Err(e) => return Err(server_error(t, uri, e.message)),
    };
    if p.online == OnlineLevel::None {
        return Err(error_page(StatusCode::CONFLICT, t, nav, uri, t.submit_title, t.not_online.to_owned()));
    }
    // Nobody there to open it: said before the citizen fills anything in.
    match Dossiers::of(state).receivable(&p).await {
        Ok(true) => {}
        Ok(false) => {
            let m = t.pick(
                "Thủ tục này tạm thời chưa nhận hồ sơ trực tuyến: nơi giải quyết chưa có cán bộ tiếp nhận. Vui lòng liên hệ cơ quan giải quyết hoặc quay lại sau.",
                "This procedure cannot take applications online for now: nobody at the processing office can receive them yet. Please contact the office or come back later.",
            );
            return Err(error_page(StatusCode::CONFLICT, t, nav, uri, t.submit_title, m.to_owned()));
        }
        Err(e) => return Err(server_error(t, uri, e.message)),
    }
    Ok((p, nav))
}

async fn org_names(state: &AppState, p: &Procedure) -> Vec<(String, String)> {
    let mut orgs = Vec::with_capacity(p.organisations.len());
    for o in &p.organisations {
        let name = match crate::catalog::Catalog::of(state).find_organisation(o).await {
            Ok(Some(org)) => org.name.to_string(),
            _ => o.to_string(),
        };
        orgs.push((o.to_string(), name));
    }
    orgs.sort_by_cached_key(|o| motcua_domain::text::fold(&o.1));
    orgs
}

fn contact(a: &Account) -> String {
    let mut parts = Vec::new();
    if let Some(c) = &a.cccd {
        parts.push(format!("CCCD {c}"));
    }
    if let Some(p) = &a.phone {
        parts.push(p.as_str().to_owned());
    }
    if let Some(e) = &a.email {
        parts.push(e.as_str().to_owned());
    }
    parts.join(" · ")
}

/// The applicant's stored papers, for the form's "from my data store" choices.
async fn store_choices(state: &AppState, account: &Account) -> Vec<StoreChoice> {
    match crate::datastore::Papers::of(state).papers(account).await {
        Ok(list) => list
            .into_iter()
            .map(|(p, _)| StoreChoice {
                label: format!("{} ({}, {})", p.filename, p.procedure, p.at),
                sha256: p.sha256,
            })
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e.message, "data store");
            Vec::new()
        }
    }
}

/// Marks the papers the verified identity stands in for, when the citizen signed in through
/// the identity provider (`assured`) and attached none for them.
fn stand_in(rows: &mut [ComponentRow], p: &Procedure, assured: bool) {
    for r in rows.iter_mut() {
        r.identity = assured && r.file.is_none() && p.components.get(r.index).is_some_and(|c| c.identity);
    }
}

/// Whether the session was opened through the identity provider.
async fn assured(state: &AppState, session: Option<&str>) -> bool {
    let Some(hash) = session else { return false };
    let accounts = crate::accounts::Accounts::of(state);
    accounts.assurance(hash).await.is_ok_and(|a| a >= motcua_domain::identity::Assurance::Level1)
}

fn component_rows(p: &Procedure, body: &DraftBody) -> Vec<ComponentRow> {
    p.components
        .iter()
        .enumerate()
        .map(|(i, c)| ComponentRow {
            index: i,
            name: c.name.to_string(),
            required: c.required,
            file: body.files.iter().find(|f| f.component as usize == i).map(|f| f.filename.clone()),
            error: false,
            online: false,
            identity: false,
        })
        .map(|mut row| {
            row.online = row.file.is_none() && eform::of(p).is_some_and(|(_, at)| at == row.index);
            row
        })
        .collect()
}

async fn load_draft(state: &AppState, id: Option<i64>, account: &Account, p: &Procedure) -> Option<(i64, DraftBody)> {
    let id = id?;
    let d = Dossiers::of(state).draft(id, account).await.ok()??;
    if d.procedure != p.code {
        return None;
    }
    Some((id, serde_json::from_str(&d.body).ok()?))
}

#[derive(Debug, Deserialize)]
pub struct DraftQuery {
    nhap: Option<i64>,
    luu: Option<String>,
    /// The place of processing chosen before (the assistant's start link, from the citizen's
    /// commune): taken when the draft has none and it handles the procedure.
    noi: Option<String>,
    /// Declaration answers gathered before (the assistant's conversation), as JSON: laid over
    /// the account's on a new draft, to check on the form.
    tk: Option<String>,
}

fn submit_page_of(
    t: &'static Texts,
    nav: Nav,
    uri: &Uri,
    account: &Account,
    p: &Procedure,
    orgs: Vec<(String, String)>,
    draft: Option<(i64, DraftBody)>,
) -> SubmitPage {
    let (id, body) = draft.unwrap_or_default();
    SubmitPage {
        t,
        nav,
        other_lang_href: other_lang_href(uri, t.lang_value()),
        code: p.code.to_string(),
        name: p.name.to_string(),
        applicant: account.full_name.to_string(),
        contact: contact(account),
        orgs: orgs.into_iter().map(|(c, n)| (c.clone(), n, body.org.as_deref() == Some(c.as_str()))).collect(),
        address: body.address.clone().unwrap_or_default(),
        components: component_rows(p, &body),
        draft_id: if id > 0 { id.to_string() } else { String::new() },
        message: String::new(),
        notice: "",
        fees: fee_choices(t, p, &body),
        store: Vec::new(),
        errors: Vec::new(),
        org_error: false,
        eform: eform::of(p).map(|(form, _)| {
            eform::view(
                form,
                &eform::answers(form, body.declaration.as_ref(), account),
                &std::collections::HashMap::new(),
            )
        }),
    }
}

pub(crate) async fn submit_page(
    State(state): State<AppState>,
    cx: PageCtx,
    Path(code): Path<String>,
    Query(q): Query<DraftQuery>,
) -> Response {
    let PageCtx { t, nav, account, uri, session, .. } = cx;
    let Some(account) = account else { return login_redirect(t, &uri) };
    let (p, nav) = match submittable(&state, t, nav, &uri, &code, &account).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if let Err(e) = Dossiers::of(&state).assured(&p, &account, session.as_deref()).await {
        return error_page(e.status(), t, nav, &uri, t.submit_title, e.message);
    }
    let draft = load_draft(&state, q.nhap, &account, &p).await;
    if q.nhap.is_some() && draft.is_none() {
        let m = t.pick("Không tìm thấy bản nháp này", "No such draft").to_owned();
        return error_page(StatusCode::NOT_FOUND, t, nav, &uri, t.not_found_title, m);
    }
    let orgs = org_names(&state, &p).await;
    let mut draft = draft.unwrap_or_default();
    if draft.1.org.is_none()
        && let Some(o) = q.noi.as_deref().and_then(|o| OrgCode::parse(o).ok())
        && p.organisations.contains(&o)
    {
        draft.1.org = Some(o.to_string());
    }
    eform::prefill(&state, &p, &account, &mut draft.1.declaration).await;
    if q.nhap.is_none()
        && let Some(tk) = q.tk.as_deref()
    {
        eform::overlay(&p, &mut draft.1.declaration, tk);
    }
    let mut page = submit_page_of(t, nav, &uri, &account, &p, orgs, Some(draft));
    stand_in(&mut page.components, &p, assured(&state, session.as_deref()).await);
    page.store = store_choices(&state, &account).await;
    if q.luu.is_some() {
        page.notice =
            t.pick("Đã lưu bản nháp. Bạn có thể quay lại hoàn thiện sau.", "Draft saved. You can finish it later.");
    }
    render(page)
}

/// Why a form's changes to a draft were not taken: a page again with the message, or a fault.
enum Refused {
    Page(StatusCode, String),
    Fault(String),
}

/// Takes what the form changes into the draft: the place of processing, address, copies and
/// exemptions, files removed, new uploads (kept as blobs) and papers picked from the data
/// store (only the applicant's own; an upload for the same component wins).
async fn fill_draft(
    state: &AppState,
    t: &'static Texts,
    account: &Account,
    p: &Procedure,
    form: FormParts,
    body: &mut DraftBody,
) -> Result<(), Refused> {
    if let Some(org) = form.text("org") {
        match OrgCode::parse(&org) {
            Ok(o) if p.organisations.contains(&o) => body.org = Some(o.to_string()),
            _ => {
                let m = t.pick("Nơi giải quyết không hợp lệ", "Invalid place of processing").to_owned();
                return Err(Refused::Page(StatusCode::BAD_REQUEST, m));
            }
        }
    }
    body.address = form.text("address");
    if let Some((declaration, _)) = eform::of(p) {
        body.declaration = Some(eform::posted(declaration, &form.texts));
    }
    if !p.fees.is_empty() {
        body.copies = match form.text("copies").map(|c| c.trim().parse::<u16>()) {
            None => None,
            Some(Ok(n)) if (1..=motcua_domain::payment::MAX_COPIES).contains(&n) => Some(n),
            Some(_) => {
                let m = t.pick("Số bản phải từ 1 đến 50", "Copies must be 1 to 50").to_owned();
                return Err(Refused::Page(StatusCode::BAD_REQUEST, m));
            }
        };
        body.exemptions =
            form.all("mien").iter().filter_map(|g| motcua_domain::payment::ExemptGroup::parse(g)).collect();
    }
    if let Some(a) = &body.address
        && let Err(e) = motcua_domain::Name::parse("Địa chỉ liên hệ", a)
    {
        return Err(Refused::Page(StatusCode::BAD_REQUEST, e.to_string()));
    }
    let removed: Vec<i32> = form.all("bo").iter().filter_map(|n| n.parse().ok()).collect();
    body.files.retain(|f| !removed.contains(&f.component));
    let picks: Vec<(i32, String)> = (0..p.components.len())
        .filter_map(|i| form.text(&format!("kho-{i}")).filter(|v| !v.is_empty()).map(|v| (i as i32, v)))
        .collect();
    let uploads = match form.uploads() {
        Ok(u) => u,
        Err(e) => return Err(Refused::Page(e.status(), e.message)),
    };
    let blobs = &state.blobs;
    for u in uploads {
        let Some(component) = u.component().filter(|c| (*c as usize) < p.components.len()) else {
            return Err(Refused::Page(StatusCode::BAD_REQUEST, t.error_message.to_owned()));
        };
        let (filename, content_type, bytes) = u.into_parts();
        let size = bytes.len() as i64;
        let sha256 = match blobs.put(bytes).await {
            Ok(h) => h,
            Err(e) => return Err(Refused::Fault(e.to_string())),
        };
        body.files.retain(|f| f.component != component);
        body.files.push(DraftFile {
            component,
            filename,
            content_type: content_type.to_owned(),
            size,
            sha256,
            reused: false,
        });
    }
    // Papers picked from the data store (only the applicant's own; an upload for the same
    // component wins).
    if !picks.is_empty() {
        let store = match crate::datastore::Papers::of(state).papers(account).await {
            Ok(s) => s,
            Err(e) => return Err(Refused::Fault(e.message)),
        };
        for (component, sha) in picks {
            if body.files.iter().any(|f| f.component == component && !f.reused) {
                continue;
            }
            let Some((paper, _)) = store.iter().find(|(x, _)| x.sha256 == sha) else {
                let m = t.pick("Giấy tờ không có trong kho dữ liệu của bạn", "Not in your data store").to_owned();
                return Err(Refused::Page(StatusCode::BAD_REQUEST, m));
            };
            body.files.retain(|f| f.component != component);
            body.files.push(DraftFile {
                component,
                filename: paper.filename.clone(),
                content_type: paper.content_type.clone(),
                size: paper.size,
                sha256: paper.sha256.clone(),
                reused: true,
            });
        }
    }
    body.files.sort_by_key(|f| f.component);
    let total: i64 = body.files.iter().map(|f| f.size).sum();
    if total > files::MAX_TOTAL_BYTES as i64 {
        return Err(Refused::Page(StatusCode::PAYLOAD_TOO_LARGE, files::AttachmentError::TooMany.to_string()));
    }
    Ok(())
}

/// Saves the form as a draft (new files replace the component's old one), then shows the
/// form again or the review page.
pub(crate) async fn submit_post(
    State(state): State<AppState>,
    cx: PageCtx,
    Path(code): Path<String>,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let PageCtx { t, nav, account, uri, headers, token, session } = cx;
    let Some(account) = account else { return Redirect::to(&format!("/dang-nhap{}", t.query)).into_response() };
    let (p, nav) = match submittable(&state, t, nav, &uri, &code, &account).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let orgs = org_names(&state, &p).await;
    let store_list = store_choices(&state, &account).await;
    let assured = assured(&state, session.as_deref()).await;
    let fail = |nav: Nav, draft: Option<(i64, DraftBody)>, status: StatusCode, message: String| {
        let mut page = submit_page_of(t, nav, &uri, &account, &p, orgs.clone(), draft);
        stand_in(&mut page.components, &p, assured);
        page.message = message;
        page.store = store_list.clone();
        render_status(status, page)
    };
    let form = match read_form(multipart).await {
        Ok(f) => f,
        Err((status, m)) => return fail(nav, None, status, m),
    };
    if !csrf::verify(&headers, &token, form.get("csrf").unwrap_or_default()) {
        return fail(nav, None, StatusCode::FORBIDDEN, t.csrf_failed.to_owned());
    }
    let id = form.text("nhap").and_then(|n| n.parse::<i64>().ok());
    let (id, mut body) = match (id, load_draft(&state, id, &account, &p).await) {
        (_, Some((id, b))) => (Some(id), b),
        (None, None) => (None, DraftBody::default()),
        (Some(_), None) => {
            return fail(
                nav,
                None,
                StatusCode::NOT_FOUND,
                t.pick("Không tìm thấy bản nháp này", "No such draft").into(),
            );
        }
    };
    let review = form.get("do") == Some("review");
    match fill_draft(&state, t, &account, &p, form, &mut body).await {
        Ok(()) => {}
        Err(Refused::Page(status, m)) => return fail(nav, id.map(|i| (i, body)), status, m),
        Err(Refused::Fault(e)) => return server_error(t, &uri, e),
    }
    let json = match serde_json::to_string(&body) {
        Ok(j) => j,
        Err(e) => return server_error(t, &uri, e),
    };
    let draft =
        Draft { id, account_id: account.id, procedure: p.code.clone(), body: json, updated_at: Timestamp::now() };
    let id = match Dossiers::of(&state).save_draft(&draft).await {
        Ok(id) => id,
        Err(e) => return server_error(t, &uri, e.message),
    };
    let lang = if t.lang == "en" { "&lang=en" } else { "" };
    // Checked when the citizen asks to continue, not at review: the form again, each missing
    // field marked and listed at the top (the GOV.UK error summary), the files kept in the draft.
    if review {
        let mut page = submit_page_of(t, nav, &uri, &account, &p, orgs.clone(), Some((id, body.clone())));
        stand_in(&mut page.components, &p, assured);
        page.store = store_list;
        page.org_error = page.orgs.len() > 1 && !page.orgs.iter().any(|o| o.2);
        if page.org_error {
            page.errors.push(("org".into(), t.pick("Chọn nơi giải quyết", "Choose where it is processed").into()));
        }
        for c in page.components.iter_mut().filter(|c| c.required && c.file.is_none() && !c.online && !c.identity) {
            c.error = true;
            let m = format!("{} {}", t.pick("Cần đính kèm:", "Attach:"), c.name);
            page.errors.push((format!("component-{}", c.index), m));
        }
        if let Some(form) = eform::used(&p, body.files.iter().map(|f| f.component as usize)) {
            let (errors, view) = eform::checked(form, &eform::answers(form, body.declaration.as_ref(), &account));
            page.errors.extend(errors);
            page.eform = Some(view);
        }
        if !page.errors.is_empty() {
            return render_status(StatusCode::BAD_REQUEST, page);
        }
    }
    if review {
        Redirect::to(&format!("/nop-ho-so/{}/xem-lai?nhap={id}{lang}", p.code)).into_response()
    } else {
        Redirect::to(&format!("/nop-ho-so/{}?nhap={id}&luu=1{lang}", p.code)).into_response()
    }
}

async fn review_of(
    state: &AppState,
    t: &'static Texts,
    nav: Nav,
    uri: &Uri,
    account: &Account,
    p: &Procedure,
    // The draft, and whether the citizen signed in through the identity provider.
    (id, body, assured): (i64, &DraftBody, bool),
) -> ReviewPage {
    let orgs = org_names(state, p).await;
    let org = match (&body.org, orgs.as_slice()) {
        (Some(o), _) => orgs.iter().find(|x| &x.0 == o).map(|x| x.1.clone()).unwrap_or_else(|| o.clone()),
        (None, [only]) => only.1.clone(),
        (None, _) => String::new(),
    };
    let mut components = component_rows(p, body);
    stand_in(&mut components, p, assured);
    let missing = components
        .iter()
        .filter(|c| c.required && c.file.is_none() && !c.online && !c.identity)
        .map(|c| c.name.clone())
        .collect();
    let today = Timestamp::now().to_zoned(motcua_domain::calendar::vietnam()).date();
    let declaration = eform::used(p, body.files.iter().map(|f| f.component as usize))
        .and_then(|_| {
            let answers = body.declaration.clone().map(serde_json::Value::Object);
            crate::catalog::declarations::check(p, answers.as_ref(), today).ok().flatten()
        })
        .and_then(|d| crate::catalog::declarations::display(&d));
    ReviewPage {
        t,
        nav,
        other_lang_href: other_lang_href(uri, t.lang_value()),
        code: p.code.to_string(),
        name: p.name.to_string(),
        applicant: account.full_name.to_string(),
        contact: contact(account),
        org,
        address: body.address.clone().unwrap_or_default(),
        components,
        missing,
        draft_id: id,
        message: String::new(),
        fees: fee_choices(t, p, body),
        declaration,
    }
}

pub(crate) async fn review_page(
    State(state): State<AppState>,
    cx: PageCtx,
    Path(code): Path<String>,
    Query(q): Query<DraftQuery>,
) -> Response {
    let PageCtx { t, nav, account, uri, session, .. } = cx;
    let Some(account) = account else { return login_redirect(t, &uri) };
    let (p, nav) = match submittable(&state, t, nav, &uri, &code, &account).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some((id, body)) = load_draft(&state, q.nhap, &account, &p).await else {
        let m = t.pick("Không tìm thấy bản nháp này", "No such draft").to_owned();
        return error_page(StatusCode::NOT_FOUND, t, nav, &uri, t.not_found_title, m);
    };
    let assured = assured(&state, session.as_deref()).await;
    render(review_of(&state, t, nav, &uri, &account, &p, (id, &body, assured)).await)
}

#[derive(Debug, Deserialize)]
pub struct ConfirmForm {
    csrf: String,
    nhap: i64,
}

/// Submits the reviewed draft. The draft's id is the idempotency key: pressing the button
/// twice gives one dossier.
pub(crate) async fn review_post(
    State(state): State<AppState>,
    cx: PageCtx,
    Path(code): Path<String>,
    form: Result<axum::Form<ConfirmForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Some(account) = cx.account.clone() else {
        return Redirect::to(&format!("/dang-nhap{}", cx.t.query)).into_response();
    };
    let (p, nav) = match submittable(&state, cx.t, cx.nav.clone(), &cx.uri, &code, &account).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let f = match cx.posted(form.map(|axum::Form(f)| f), |f| &f.csrf) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let PageCtx { t, uri, session, .. } = cx;
    let Some((id, body)) = load_draft(&state, Some(f.nhap), &account, &p).await else {
        // Already submitted (the draft is gone): the dossier it became, if any.
        let m = t.pick(
            "Bản nháp không còn (có thể đã được nộp). Xem «Hồ sơ của tôi».",
            "The draft is gone (perhaps already submitted). See «My dossiers».",
        );
        return error_page(StatusCode::NOT_FOUND, t, nav, &uri, t.not_found_title, m.to_owned());
    };
    let assured = assured(&state, session.as_deref()).await;
    let mut page = review_of(&state, t, nav, &uri, &account, &p, (id, &body, assured)).await;
    let fail = |mut page: ReviewPage, status: StatusCode, message: String| {
        page.message = message;
        render_status(status, page)
    };
    if !page.missing.is_empty() {
        let m = t.pick("Còn thiếu thành phần hồ sơ bắt buộc", "Required documents are missing").to_owned();
        return fail(page, StatusCode::UNPROCESSABLE_ENTITY, m);
    }
    let blobs = &state.blobs;
    let mut uploads = Vec::with_capacity(body.files.len());
    let reuse: Vec<crate::datastore::Reuse> = body
        .files
        .iter()
        .filter(|f| f.reused)
        .map(|f| crate::datastore::Reuse { sha256: f.sha256.clone(), component: Some(f.component) })
        .collect();
    for f in body.files.iter().filter(|f| !f.reused) {
        let bytes = match blobs.get(&f.sha256).await {
            Ok(b) => b,
            Err(e) => return server_error(t, &uri, e),
        };
        match Upload::checked(Some(f.component), &f.filename, bytes) {
            Ok(u) => uploads.push(u),
            Err(e) => return fail(page, e.status(), e.message),
        }
    }
    let address = match body.address.as_deref().map(|a| motcua_domain::Name::parse("Địa chỉ liên hệ", a)).transpose()
    {
        Ok(a) => a,
        Err(e) => return fail(page, StatusCode::BAD_REQUEST, e.to_string()),
    };
    let org = body.org.as_deref().and_then(|o| OrgCode::parse(o).ok());
    let applicant = motcua_domain::workflow::Applicant {
        full_name: account.full_name.clone(),
        cccd: account.cccd.clone(),
        phone: account.phone.clone(),
        email: account.email.clone(),
        address,
    };
    let submission = crate::dossiers::Submission {
        req: crate::dossiers::SubmitRequest {
            procedure: p.code.clone(),
            org,
            desk: None,
            applicant: Some(applicant),
            channel: None,
            copies: body.copies,
            exemptions: body.exemptions.clone(),
            reuse,
            declaration: eform::used(&p, body.files.iter().map(|f| f.component as usize))
                .and(body.declaration.clone())
                .map(serde_json::Value::Object),
        },
        files: uploads,
        request_hash: motcua_domain::audit::sha256_hex(format!("draft:{id}").as_bytes()),
        session,
    };
    let key = format!("web-draft-{id}");
    match crate::dossiers::Dossiers::of(&state).create(&account, Some(&key), submission).await {
        Ok((stored, _)) => {
            if let Err(e) = Dossiers::of(&state).delete_draft(id, &account).await {
                tracing::warn!(error = %e.message, "draft left after submission");
            }
            let sep = if t.query.is_empty() { "?" } else { "&" };
            Redirect::to(&format!("/ho-so/{}{}{sep}moi=1", stored.dossier.code, t.query)).into_response()
        }
        Err(e) if e.status().is_client_error() => {
            let status = e.status();
            page.message = e.message;
            render_status(status, page)
        }
        Err(e) => server_error(t, &uri, e.message),
    }
}

/// The label of a file kind in the page's language.
pub(crate) fn kind_text(t: &Texts, k: AttachmentKind) -> &'static str {
    if t.lang == "en" { k.label_en() } else { k.label_vi() }
}
