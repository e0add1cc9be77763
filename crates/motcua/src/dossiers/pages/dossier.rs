//! A dossier's page — status, files, payment, results, the actions the viewer may take, the
//! rating — and the actions posted from it. One page for the applicant and for officers; what
//! each sees and may do comes from the workflow and their roles.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use motcua_domain::{OrgCode, OrgKind};
use motcua_store::{OrgFilter, Page};
use serde::Deserialize;

use crate::app::AppState;
use crate::dossiers::Dossiers;
use crate::dossiers::pages::citizen;
use crate::web::csrf;
use crate::web::page::*;
use crate::web::texts::Texts;

pub struct FileRow {
    index: i32,
    name: String,
    /// The procedure's component the file answers, when the applicant said.
    component: String,
    /// `PDF`, `PNG`, `JPEG`: what a person calls the file's type.
    content_type: &'static str,
    kind: &'static str,
    image: bool,
    pdf: bool,
}

pub struct DossierView {
    code: String,
    procedure: String,
    status: &'static str,
    step: String,
    applicant: String,
    contact: String,
    channel: &'static str,
    submitted: String,
    due: String,
    files: Vec<FileRow>,
    /// What the last supplement request asks for, while it waits for an answer.
    supplement_items: Vec<String>,
    supplement_reason: String,
    /// (number, title)
    forms: Vec<(&'static str, &'static str)>,
    timeline: Vec<(String, String, &'static str)>,
}

pub struct ActionForm {
    key: String,
    label: &'static str,
    reason: bool,
    items: bool,
    new_due: bool,
    to_org: bool,
    /// The label of the file input, for actions that bring files.
    files: &'static str,
    /// Ends the dossier for good (refuse, stop, withdraw): asked to be confirmed.
    destructive: bool,
    /// The usual next step: the one primary button of the page.
    primary: bool,
}

/// Where an action stands on the page: the usual next steps first, what ends a dossier last.
fn action_rank(a: motcua_domain::workflow::ActionKind) -> u8 {
    use motcua_domain::workflow::ActionKind as A;
    match a {
        A::Receive | A::Forward | A::Approve | A::Sign | A::MarkDone | A::ReturnResult | A::Supplement => 0,
        A::Refuse | A::Stop | A::Withdraw => 2,
        _ => 1,
    }
}

#[derive(Template)]
#[template(path = "web/dossier.html")]
struct DossierPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    d: DossierView,
    notice: String,
    actions: Vec<ActionForm>,
    staff: bool,
    /// Transfer targets (code, name), when transfer is allowed.
    orgs: Vec<(String, String)>,
    /// (stars, label, comment) once rated.
    rating: Option<(u8, &'static str, String)>,
    can_rate: bool,
    /// The dossier's QR code (SVG): scanning it opens the public tracking page.
    qr: String,
    payment: Option<PaymentBox>,
    /// Signed results.
    results: Vec<ResultRow>,
    /// Sent by post.
    shipment: Option<ShipmentBox>,
    /// Just submitted by the citizen: the confirmation panel and what happens next.
    submitted: Option<NextSteps>,
    /// The declaration filled in online, as it reads.
    declaration: Option<crate::catalog::declarations::DeclarationView>,
    /// A linked application's branches, or the application a branch belongs to.
    linked: Option<super::linked::LinkedBox>,
}

/// A signed result as the page lists it.
pub struct ResultRow {
    number: String,
    filename: String,
    verify: String,
    /// Why it was revoked, if it was.
    revoked: String,
    /// The viewer, a leader of the issuing organisation, may revoke it.
    can_revoke: bool,
}

/// The dossier's signed results, each with its revocation and whether the viewer may revoke it.
async fn result_rows(
    state: &AppState,
    dossier: &motcua_domain::workflow::Dossier,
    account: &motcua_domain::Account,
) -> Result<Vec<ResultRow>, crate::app::AppError> {
    let results = crate::results::Results::of(state);
    let mut rows = Vec::new();
    for r in results.ensure_signed(dossier).await? {
        let revoked = results.revocation(&r.number).await?.map(|v| format!("{} ({})", v.reason, v.revoked_at));
        rows.push(ResultRow {
            can_revoke: revoked.is_none() && account.can_act(&r.org, motcua_domain::Role::Leader),
            verify: format!("/xac-minh/{}", r.number),
            revoked: revoked.unwrap_or_default(),
            number: r.number,
            filename: r.filename,
        });
    }
    Ok(rows)
}

/// Sent by post: (tracking number, status, [(status, note, at)]).
type ShipmentBox = (String, String, Vec<(String, String, String)>);

/// Fees of the dossier and, while payment is requested, the VietQR code to pay them.
pub struct PaymentBox {
    requested: bool,
    total: String,
    /// (description, quantity, amount, exempt group)
    lines: Vec<(String, u16, String, String)>,
    /// The VietQR image (SVG) and the bank details beside it.
    qr: String,
    bank: String,
    account: String,
    holder: String,
    purpose: String,
    /// (number, amount, url)
    receipts: Vec<(String, String, String)>,
}

async fn payment_box(
    state: &AppState,
    t: &Texts,
    d: &motcua_domain::workflow::Dossier,
) -> Result<Option<PaymentBox>, String> {
    let Some(view) = crate::payments::Payments::of(state).payment_view_alone(d, true).await.map_err(|e| e.message)?
    else {
        return Ok(None);
    };
    let qr = match &view.vietqr {
        Some(payload) => crate::dossiers::forms::qr_svg(payload)
            .map(|svg| svg.find("<svg").map(|i| svg[i..].to_owned()).unwrap_or_default())
            .map_err(|e| e.to_string())?,
        None => String::new(),
    };
    let lines = d
        .fee
        .as_ref()
        .map(|f| {
            f.lines
                .iter()
                .map(|l| {
                    let exempt = l.exempt.map(|g| t.pick(g.label_vi(), g.label_en()).to_owned()).unwrap_or_default();
                    let rate =
                        if l.online_rate { t.pick(" (mức nộp trực tuyến)", " (online rate)") } else { "" };
                    (format!("{}{rate}", l.description), l.quantity, l.amount.to_string(), exempt)
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Some(PaymentBox {
        requested: view.state == "requested",
        total: view.amount_display,
        lines,
        qr,
        bank: view.bank.as_ref().map(|b| b.bin.clone()).unwrap_or_default(),
        account: view.bank.as_ref().map(|b| b.account.clone()).unwrap_or_default(),
        holder: view.bank.as_ref().map(|b| b.name.clone()).unwrap_or_default(),
        purpose: view.purpose,
        receipts: view.receipts.into_iter().map(|r| (r.number, r.amount_display, r.url)).collect(),
    }))
}

/// The form for an action: which fields it needs. `assign` assigns to oneself.
fn action_form(t: &Texts, a: motcua_domain::workflow::ActionKind) -> ActionForm {
    use motcua_domain::workflow::ActionKind as A;
    ActionForm {
        key: serde_json::to_value(a).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
        label: if t.lang == "en" { a.label_en() } else { a.label_vi() },
        reason: matches!(
            a,
            A::Refuse | A::SendBack | A::Transfer | A::Withdraw | A::Stop | A::Apologise | A::RequestSupplement
        ),
        items: a == A::RequestSupplement,
        new_due: a == A::Apologise,
        to_org: a == A::Transfer,
        files: match crate::dossiers::files_for(a) {
            Some(motcua_domain::attachment::AttachmentKind::Supplement) => {
                t.pick("Tệp bổ sung (PDF, PNG, JPEG)", "Supplementary files (PDF, PNG, JPEG)")
            }
            Some(_) => t.pick("Tệp kết quả (không bắt buộc)", "Result file (optional)"),
            None => "",
        },
        destructive: action_rank(a) == 2,
        primary: false,
    }
}

#[derive(Debug, Deserialize)]
pub struct DossierQuery {
    moi: Option<String>,
    xong: Option<String>,
    #[serde(rename = "danh-gia")]
    danh_gia: Option<String>,
}

/// What a supplement request asked for, while the dossier waits for it: (items, reason).
fn supplement_request(
    dossier: &motcua_domain::workflow::Dossier,
    events: &[motcua_domain::audit::Event],
) -> (Vec<String>, String) {
    let waiting = dossier.status == motcua_domain::workflow::Status::SupplementRequested;
    match events.iter().rev().find(|e| e.action == "request_supplement") {
        Some(e) if waiting => {
            let v: serde_json::Value = serde_json::from_str(&e.details).unwrap_or_default();
            let items = v["items"].as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect());
            (items.unwrap_or_default(), v["reason"].as_str().unwrap_or_default().to_owned())
        }
        _ => (Vec::new(), String::new()),
    }
}

/// The forms 01–05 this dossier's history calls for: (number, title).
fn printable_forms(
    dossier: &motcua_domain::workflow::Dossier,
    events: &[motcua_domain::audit::Event],
) -> Vec<(&'static str, &'static str)> {
    let has = |key: &str| events.iter().any(|e| e.action == key);
    let received = dossier.received_at.is_some();
    [
        (dossier.declaration.is_some(), "to-khai", "Tờ khai đã điền trực tuyến"),
        (received, "01", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"),
        (has("request_supplement"), "02", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"),
        (has("refuse"), "03", "Phiếu từ chối tiếp nhận giải quyết hồ sơ"),
        (has("apologise"), "04", "Phiếu xin lỗi và hẹn lại ngày trả kết quả"),
        (received, "05", "Phiếu kiểm soát quá trình giải quyết hồ sơ"),
    ]
    .into_iter()
    .filter(|f| f.0)
    .map(|f| (f.1, f.2))
    .collect()
}

/// How to reach the applicant; the CCCD for staff only.
fn contact_line(applicant: &motcua_domain::workflow::Applicant, staff: bool) -> String {
    let mut contact = Vec::new();
    if staff && let Some(c) = &applicant.cccd {
        contact.push(format!("CCCD {c}"));
    }
    if let Some(p) = &applicant.phone {
        contact.push(p.as_str().to_owned());
    }
    if let Some(e) = &applicant.email {
        contact.push(e.as_str().to_owned());
    }
    if let Some(a) = &applicant.address {
        contact.push(a.to_string());
    }
    contact.join(" · ")
}

/// The dossier's files the viewer may see, each under the paper it answers.
async fn file_rows(
    state: &AppState,
    t: &'static Texts,
    dossier: &motcua_domain::workflow::Dossier,
    account: &motcua_domain::Account,
) -> Result<Vec<FileRow>, crate::app::AppError> {
    let components =
        crate::catalog::Catalog::of(state).lookup(&dossier.procedure).await?.map(|p| p.components).unwrap_or_default();
    let list = crate::dossiers::Dossiers::of(state).visible_attachments(dossier, account).await?;
    Ok(list
        .into_iter()
        .map(|a| FileRow {
            index: a.index,
            image: a.content_type.starts_with("image/"),
            pdf: a.content_type == "application/pdf",
            name: a.filename,
            component: a
                .component
                .and_then(|n| components.get(usize::try_from(n).ok()?))
                .map(|c| c.name.to_string())
                .unwrap_or_default(),
            content_type: file_type(&a.content_type),
            kind: citizen::kind_text(t, a.kind),
        })
        .collect())
}

/// The result's trip by post, if it was sent so.
async fn shipment_box(
    state: &AppState,
    code: &motcua_domain::DossierCode,
) -> Result<Option<ShipmentBox>, crate::app::AppError> {
    Ok(crate::results::Results::of(state).find_shipment(code).await?.map(|(s, events)| {
        let label = |k: &str| crate::results::status_label(k).to_owned();
        (
            s.tracking_number.clone(),
            label(&s.status),
            events
                .iter()
                .map(|e| (label(&e.status), e.note.clone(), crate::calendar::source::display_vn(e.at)))
                .collect(),
        )
    }))
}

/// The applicant's rating as shown: (stars, label, comment).
fn rating_line(t: &Texts, r: motcua_store::Rating) -> (u8, &'static str, String) {
    let label = if t.lang == "en" { r.stars.label_en() } else { r.stars.label_vi() };
    (r.stars.get(), label, r.comment.unwrap_or_default())
}

/// The viewer's actions now, the usual next step first and primary.
async fn action_forms(
    state: &AppState,
    t: &Texts,
    dossier: &motcua_domain::workflow::Dossier,
    account: &motcua_domain::Account,
) -> Result<Vec<ActionForm>, crate::app::AppError> {
    let wf = crate::catalog::Catalog::of(state).workflow_of(dossier).await?;
    let mut allowed = dossier.allowed_actions(&wf, crate::dossiers::actor(account), jiff::Timestamp::now());
    allowed.sort_by_key(|a| action_rank(*a));
    let mut forms: Vec<ActionForm> = allowed.into_iter().map(|a| action_form(t, a)).collect();
    if let Some(first) = forms.first_mut().filter(|f| !f.destructive) {
        first.primary = true;
    }
    Ok(forms)
}

/// The line above the page after something was done: submitted, an action (named), a rating.
fn notice_of(t: &Texts, lq: &DossierQuery, staff: bool) -> String {
    if lq.moi.is_some() && staff {
        t.submitted_notice.to_owned()
    } else if let Some(action) = &lq.xong {
        // Which action was taken, when the link names one we know.
        let named = action_text(t, action);
        if named == *action {
            t.acted_notice.to_owned()
        } else {
            format!("{} {named}.", t.pick("Đã thực hiện:", "Done:"))
        }
    } else if lq.danh_gia.is_some() {
        t.pick("Cảm ơn bạn đã đánh giá.", "Thank you for your rating.").to_owned()
    } else {
        String::new()
    }
}

/// What the page shows of the dossier: its tracking summary, the applicant (contact in full for
/// staff), files, what a supplement asks for, printable forms and the timeline.
fn dossier_view(
    t: &'static Texts,
    tracking: crate::dossiers::Tracking,
    dossier: &motcua_domain::workflow::Dossier,
    files: Vec<FileRow>,
    events: &[motcua_domain::audit::Event],
    staff: bool,
) -> DossierView {
    let (supplement_items, supplement_reason) = supplement_request(dossier, events);
    let forms = printable_forms(dossier, events);
    let applicant = &dossier.applicant;
    DossierView {
        code: tracking.code.to_string(),
        procedure: tracking.procedure_name,
        status: status_text(t, tracking.status_code),
        step: if t.lang == "en" { tracking.step_name_en } else { tracking.step_name }.unwrap_or_else(|| "—".into()),
        applicant: applicant.full_name.to_string(),
        contact: contact_line(applicant, staff),
        channel: match dossier.channel {
            motcua_domain::workflow::Channel::Online => t.pick("Trực tuyến", "Online"),
            motcua_domain::workflow::Channel::InPerson => t.pick("Trực tiếp", "In person"),
            motcua_domain::workflow::Channel::Post => t.pick("Bưu chính", "By post"),
        },
        submitted: tracking.submitted_at_display,
        due: tracking.due_at_display.unwrap_or_else(|| t.not_yet.to_owned()),
        files,
        supplement_items,
        supplement_reason,
        forms,
        timeline: tracking
            .timeline
            .into_iter()
            .map(|e| (e.at_display, action_text(t, &e.action), status_text(t, e.status_code)))
            .collect(),
    }
}

/// Where a dossier may be transferred: every organisation but its own and service centres.
async fn transfer_orgs(
    state: &AppState,
    dossier: &motcua_domain::workflow::Dossier,
) -> Result<Vec<(String, String)>, crate::app::AppError> {
    Ok(crate::catalog::Catalog::of(state)
        .organisations(&OrgFilter::default(), Page::all())
        .await?
        .items
        .into_iter()
        .filter(|o| o.code != dossier.processing_org && o.kind != OrgKind::ServiceCentre)
        .map(|o| (o.code.to_string(), o.name.to_string()))
        .collect())
}

pub(crate) async fn dossier_page(
    State(state): State<AppState>,
    cx: PageCtx,
    axum::extract::Path(code): axum::extract::Path<String>,
    Query(lq): Query<DossierQuery>,
) -> Response {
    let PageCtx { t, nav, account, uri, .. } = cx;
    let Some(account) = account else { return login_redirect(t, &uri) };
    let not_found = |nav| error_page(StatusCode::NOT_FOUND, t, nav, &uri, t.not_found_title, t.no_dossier.to_owned());
    // The same visibility rule as the API: anyone else is told it does not exist.
    let stored = match crate::dossiers::Dossiers::of(&state).load_visible(&code, &account).await {
        Ok(s) => s,
        Err(_) => return not_found(nav),
    };
    let dossier = &stored.dossier;
    let tracking = match crate::dossiers::Dossiers::of(&state).tracking(&code).await {
        Ok(tr) => tr,
        Err(e) => return server_error(t, &uri, e.message),
    };
    let files = match file_rows(&state, t, dossier, &account).await {
        Ok(f) => f,
        Err(e) => return server_error(t, &uri, e.message),
    };
    let events = match Dossiers::of(&state).events(&dossier.code).await {
        Ok(e) => e,
        Err(e) => return server_error(t, &uri, e.message),
    };
    let staff = account.kind == motcua_domain::AccountKind::Staff;
    let d = dossier_view(t, tracking, dossier, files, &events, staff);
    let actions = match action_forms(&state, t, dossier, &account).await {
        Ok(a) => a,
        Err(e) => return server_error(t, &uri, e.message),
    };
    let orgs = if actions.iter().any(|a| a.to_org) {
        match transfer_orgs(&state, dossier).await {
            Ok(o) => o,
            Err(e) => return server_error(t, &uri, e.message),
        }
    } else {
        Vec::new()
    };
    let rating = match Dossiers::of(&state).rating(dossier).await {
        Ok(r) => r.map(|r| rating_line(t, r)),
        Err(e) => return server_error(t, &uri, e.message),
    };
    let can_rate = rating.is_none() && dossier.owner_account == Some(account.id) && dossier.status.may_be_rated();
    let submitted = if lq.moi.is_some() && !staff {
        match next_steps(&state, t, dossier).await {
            Ok(n) => Some(n),
            Err(e) => return server_error(t, &uri, e.message),
        }
    } else {
        None
    };
    let notice = notice_of(t, &lq, staff);
    // Inline in the page: the SVG element without its XML declaration.
    let qr = crate::dossiers::forms::qr_svg(&crate::dossiers::forms::qr_payload(
        dossier,
        state.settings.public_url.as_deref(),
    ))
    .map(|svg| svg.find("<svg").map(|i| svg[i..].to_owned()).unwrap_or_default())
    .unwrap_or_default();
    let payment = match payment_box(&state, t, dossier).await {
        Ok(p) => p,
        Err(e) => return server_error(t, &uri, e),
    };
    let shipment = match shipment_box(&state, &dossier.code).await {
        Ok(s) => s,
        Err(e) => return server_error(t, &uri, e.message),
    };
    let results = if staff || dossier.status == motcua_domain::workflow::Status::Returned {
        match result_rows(&state, dossier, &account).await {
            Ok(rows) => rows,
            Err(e) => return server_error(t, &uri, e.message),
        }
    } else {
        vec![]
    };
    let linked = match super::linked::linked_box(&state, t, dossier).await {
        Ok(l) => l,
        Err(e) => return server_error(t, &uri, e.message),
    };
    render(DossierPage {
        t,
        nav,
        other_lang_href: other_lang_href(&uri, t.lang_value()),
        d,
        notice,
        actions,
        staff,
        orgs,
        rating,
        can_rate,
        qr,
        payment,
        results,
        shipment,
        submitted,
        declaration: dossier.declaration.as_ref().and_then(crate::catalog::declarations::display),
        linked,
    })
}

/// Takes an action from the dossier page (multipart: the fields the action needs and, for
/// supplements and results, files).
pub(crate) async fn act_post(
    State(state): State<AppState>,
    cx: PageCtx,
    axum::extract::Path(code): axum::extract::Path<String>,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let PageCtx { t, nav, account, uri, headers, token, .. } = cx;
    let Some(account) = account else { return Redirect::to(&format!("/dang-nhap{}", t.query)).into_response() };
    let form = match crate::web::multipart::read_form(multipart).await {
        Ok(f) => f,
        Err((status, m)) => return error_page(status, t, nav, &uri, t.error_title, m),
    };
    if !csrf::verify(&headers, &token, form.get("csrf").unwrap_or_default()) {
        return error_page(StatusCode::FORBIDDEN, t, nav, &uri, t.error_title, t.csrf_failed.to_owned());
    }
    let action_key = form.get("action").unwrap_or_default().to_owned();
    let action = serde_json::from_value(serde_json::Value::String(action_key.clone())).ok();
    let new_due_at = form.text("new_due").and_then(|s| {
        // <input type=datetime-local> gives local Vietnam time without an offset.
        let dt: jiff::civil::DateTime = s.parse().ok()?;
        motcua_domain::calendar::vietnam().to_timestamp(dt).ok()
    });
    let req = motcua_domain::workflow::ActionRequest {
        action,
        reason: form.text("reason"),
        items: form
            .get("items")
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        new_due_at,
        to_org: form.text("to_org").and_then(|o| OrgCode::parse(&o).ok()),
        assignee: (action_key == "assign").then_some(account.id),
        note: None,
    };
    let uploads = match form.uploads() {
        Ok(u) => u,
        Err(e) => return error_page(e.status(), t, nav, &uri, t.error_title, e.message),
    };
    match crate::dossiers::Dossiers::of(&state).perform(&account, &code, &req, uploads).await {
        Ok(_) => {
            let sep = if t.query.is_empty() { "?" } else { "&" };
            // The page then says which action was taken.
            Redirect::to(&format!("/ho-so/{code}{}{sep}xong={action_key}", t.query)).into_response()
        }
        Err(e) => error_page(e.status(), t, nav, &uri, t.error_title, e.message),
    }
}

/// What a citizen sees right after submitting: the code to keep, when to expect the result and
/// what happens next, instead of a bare notice above the withdraw button.
pub struct NextSteps {
    /// "Hạn trả kết quả: …" once the due date is known, else the time limit counted from reception.
    pub due_line: String,
    /// The fee the applicant will be asked for, when there is one.
    pub fee: String,
    /// Where results and messages go.
    pub notified_by: String,
}

pub async fn next_steps(
    state: &AppState,
    t: &'static Texts,
    d: &motcua_domain::workflow::Dossier,
) -> Result<NextSteps, crate::app::AppError> {
    let due_line = match d.due_at {
        Some(due) => {
            format!("{} {}", t.pick("Hạn trả kết quả:", "Result due:"), crate::calendar::source::display_vn(due))
        }
        None => match crate::catalog::Catalog::of(state).lookup(&d.procedure).await? {
            Some(p) => format!(
                "{} {} {}",
                t.pick("Thời hạn giải quyết:", "Time limit:"),
                crate::catalog::pages::time_limit_text(t, &p.time_limit),
                t.pick("kể từ khi hồ sơ được tiếp nhận", "from when the dossier is received")
            ),
            None => String::new(),
        },
    };
    let fee = d.fee.as_ref().filter(|q| q.total.amount() > 0).map(|q| q.total.to_string()).unwrap_or_default();
    let mut ways = vec![t.pick("trang này", "this page")];
    if d.applicant.email.is_some() {
        ways.push(t.pick("thư điện tử", "e-mail"));
    }
    if d.applicant.phone.is_some() {
        ways.push(t.pick("tin nhắn", "text message"));
    }
    Ok(NextSteps { due_line, fee, notified_by: ways.join(", ") })
}
