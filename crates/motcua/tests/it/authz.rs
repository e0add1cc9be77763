//! The authorization matrix: every endpoint of the OpenAPI document × every kind of caller
//! (anonymous, the applicant, another citizen, each staff role in the resource's own
//! organisation and in another one, the province's administrator) → allowed or denied, all
//! generated from the one table [`TABLE`] below, on SQLite and PostgreSQL.
//!
//! "Allowed" means the request got past authorization (any answer but 401, 403 and 404);
//! "denied" means 401 for the anonymous and 403 or 404 for everyone else. Resources of other
//! people answer exactly as resources that do not exist, so codes cannot be guessed.

use crate::common;

use std::collections::BTreeSet;

use common::{PASSWORD, TestApp, json, register};
use motcua_domain::account::Role;
use reqwest::Method;
use serde_json::{Value, json};

#[path = "authz/pages.rs"]
mod pages;
use pages::every_page_role_and_organisation;

// Roles and organisations, not quotas: each caller here makes more anonymous requests from
// 127.0.0.1 than a quota allows (quotas are tested in tests/it/limits.rs).
on_both_backends!(
    @with |s| {
        s.limits = motcua::throttle::Limits::off();
        s.metrics_token = Some(motcua::app::Secret("ma-doc-so-lieu".into()));
    };
    every_endpoint_role_and_organisation,
    every_page_role_and_organisation,
    guessed_codes_answer_as_missing_ones
);

/// Who calls. "Own" is the organisation the fixtures belong to (Phường Hạ Long and its
/// one-stop centre); "other" is Phường Tiên Yên, with the same roles.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    Anonymous,
    /// The citizen who submitted the fixture dossier.
    Applicant,
    OtherCitizen,
    Own(Role),
    Other(Role),
    /// The province's administrator (Văn phòng UBND tỉnh).
    Province,
}

const ROLES: [Role; 5] = Role::ALL;

fn callers() -> Vec<Who> {
    let mut v = vec![Who::Anonymous, Who::Applicant, Who::OtherCitizen, Who::Province];
    for r in ROLES {
        v.push(Who::Own(r));
        v.push(Who::Other(r));
    }
    v
}

fn username(who: Who) -> Option<String> {
    let staff = |place: &str, r: Role| {
        let role = match r {
            Role::DeskOfficer => "motcua",
            Role::Specialist => "chuyenvien",
            Role::Leader => "lanhdao",
            Role::Clerk => "vanthu",
            Role::Administrator => "quantri",
        };
        format!("{place}.{role}")
    };
    match who {
        Who::Anonymous => None,
        Who::Applicant => Some("congdan".into()),
        Who::OtherCitizen => Some("khach.matrix".into()),
        Who::Own(r) => Some(staff("halong", r)),
        Who::Other(r) => Some(staff("tienyen", r)),
        Who::Province => Some("tinh.quantri".into()),
    }
}

/// Who may pass.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// Everyone, signed in or not.
    Public,
    /// Machines that sign their requests (payment gateways, carriers, partner servers):
    /// a session is not enough, so every caller here is refused with 401.
    Signed,
    /// Any signed-in account.
    Account,
    /// Any staff account, wherever it works.
    Staff,
    /// The dossier's applicant and any staff of its desk or processing organisation.
    Dossier,
    /// The dossier's applicant only.
    ApplicantOnly,
    /// Staff of the resource's organisation holding one of these roles.
    Own(&'static [Role]),
    /// Staff holding one of these roles in any organisation (the province's administrator
    /// counts when `Administrator` is listed).
    Anywhere(&'static [Role]),
    /// The province's administrator only.
    Province,
    /// Submitting a dossier: citizens, and the desk officers of the procedure's centre.
    Submit,
    /// A booking: seen with its code and phone (not given here), or by the point's desk
    /// officers and administrators; anyone else, signed in or not, gets 404.
    Booking,
    /// Staff of the resource's organisation holding one of these roles; anyone else, signed
    /// in or not, gets 404 (a feedback's file: whoever holds the code sees only the answer's).
    OwnElseMissing(&'static [Role]),
    /// Citizens only (their own forms and kiosk session).
    Citizens,
    /// Citizens (their own), and staff holding one of these roles anywhere (their
    /// organisation's): feedback lists.
    CitizensOr(&'static [Role]),
    /// The administrators of the resource's organisation (or of one above it) and the
    /// province's administrator, who runs the platform.
    Administering,
    /// Only for the signed-out (sign-in and registration pages; the signed-in are sent on).
    SignedOut,
}

impl Rule {
    fn allows(self, who: Who) -> bool {
        match self {
            Rule::Public => true,
            Rule::Signed => false,
            Rule::Account => who != Who::Anonymous,
            Rule::Staff => matches!(who, Who::Own(_) | Who::Other(_) | Who::Province),
            Rule::Dossier => matches!(who, Who::Applicant | Who::Own(_)),
            Rule::ApplicantOnly => who == Who::Applicant,
            Rule::Own(roles) | Rule::OwnElseMissing(roles) => matches!(who, Who::Own(r) if roles.contains(&r)),
            Rule::Anywhere(roles) => match who {
                Who::Own(r) | Who::Other(r) => roles.contains(&r),
                Who::Province => roles.contains(&Role::Administrator),
                _ => false,
            },
            Rule::Province => who == Who::Province,
            Rule::Submit => matches!(who, Who::Applicant | Who::OtherCitizen | Who::Own(Role::DeskOfficer)),
            Rule::Booking => matches!(who, Who::Own(Role::DeskOfficer | Role::Administrator)),
            Rule::Citizens => matches!(who, Who::Applicant | Who::OtherCitizen),
            Rule::CitizensOr(roles) => match who {
                Who::Applicant | Who::OtherCitizen => true,
                Who::Own(r) | Who::Other(r) => roles.contains(&r),
                _ => false,
            },
            Rule::SignedOut => who == Who::Anonymous,
            Rule::Administering => matches!(who, Who::Province | Who::Own(Role::Administrator)),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Body {
    None,
    Json(fn(&Fixtures) -> Value),
    /// An official document to send, as multipart.
    DocumentForm,
    Xml,
}

/// One row: method, the path as the OpenAPI document spells it, what fills its parameters
/// (`{…}` replaced by [`Fixtures::fill`]), the query, the body and the rule.
struct Row {
    method: &'static str,
    path: &'static str,
    query: &'static str,
    body: Body,
    rule: Rule,
}

const fn row(method: &'static str, path: &'static str, rule: Rule) -> Row {
    Row { method, path, query: "", body: Body::None, rule }
}

const fn with_body(method: &'static str, path: &'static str, body: Body, rule: Rule) -> Row {
    Row { method, path, query: "", body, rule }
}

const fn with_query(method: &'static str, path: &'static str, query: &'static str, rule: Rule) -> Row {
    Row { method, path, query, body: Body::None, rule }
}

use Role::{Administrator as Admin, Clerk, DeskOfficer as Desk, Leader, Specialist};

/// Everyone of the commune's office (its one-stop centre is an organisation of its own).
const OFFICE: &[Role] = &[Specialist, Leader, Clerk, Admin];
/// Those involved in the fixture's meeting: its organiser (the clerk), its chair (the
/// leader) and its invitee (the specialist).
const MEETING: &[Role] = &[Specialist, Leader, Clerk];

/// A meeting of `org` with `document` in its pack, an hour from now.
fn meeting_body(org: &str, document: i64) -> Value {
    let starts = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
    json!({"org": org, "chair": "halong.lanhdao", "title": "Họp giao ban", "starts_at": starts.to_string(),
        "place": "Phòng 1", "invitees": ["halong.chuyenvien"],
        "items": [{"title": "Báo cáo quý IV", "presenter": "halong.chuyenvien", "documents": [document]}]})
}

/// The one table. Rows that change state come after the rows that read it, and logging out
/// comes last.
const TABLE: &[Row] = &[
    row("GET", "/healthz", Rule::Public),
    row("GET", "/readyz", Rule::Public),
    // The scraper's own token, not a session: every caller here is refused with 401.
    row("GET", "/metrics", Rule::Signed),
    row("GET", "/api/v1/openapi.json", Rule::Public),
    row("GET", "/api/v1/units", Rule::Public),
    row("GET", "/api/v1/units/{code}", Rule::Public),
    row("GET", "/api/v1/organisations", Rule::Public),
    row("GET", "/api/v1/organisations/{code}", Rule::Public),
    row("GET", "/api/v1/organisations/{code}/staff", Rule::Administering),
    row("GET", "/api/v1/procedures", Rule::Public),
    row("GET", "/api/v1/procedures/{code}", Rule::Public),
    row("GET", "/api/v1/procedures/{code}/declaration", Rule::Public),
    with_body("POST", "/api/v1/assistant", Body::Json(|_| json!({"question": "đăng ký khai sinh"})), Rule::Public),
    row("GET", "/api/v1/me", Rule::Account),
    row("GET", "/api/v1/me/documents", Rule::Account),
    row("GET", "/api/v1/calendar/holidays", Rule::Public),
    with_query("GET", "/api/v1/calendar/due", "from=2026-12-01&days=5", Rule::Public),
    row("GET", "/api/v1/calendar/adjustments", Rule::Public),
    row("GET", "/api/v1/workflows", Rule::Public),
    // Statistics are the province's open data: aggregates only, no personal data.
    row("GET", "/api/v1/stats/summary", Rule::Public),
    row("GET", "/api/v1/stats/series", Rule::Public),
    row("GET", "/api/v1/stats/breakdown", Rule::Public),
    row("GET", "/api/v1/stats/index", Rule::Public),
    row("GET", "/api/v1/stats/index/weights", Rule::Public),
    row("GET", "/api/v1/stats/centres", Rule::Public),
    row("GET", "/api/v1/stats/savings", Rule::Public),
    row("GET", "/api/v1/stats/feedback", Rule::Public),
    row("GET", "/api/v1/stats/work", Rule::Public),
    // Dossiers.
    row("GET", "/api/v1/dossiers", Rule::Account),
    row("GET", "/api/v1/dossiers/{code}", Rule::Dossier),
    row("GET", "/api/v1/dossiers/{code}/events", Rule::Dossier),
    row("GET", "/api/v1/dossiers/{code}/attachments", Rule::Dossier),
    row("GET", "/api/v1/dossiers/{code}/attachments/{index}", Rule::Dossier),
    row("GET", "/api/v1/dossiers/{code}/receipts", Rule::Dossier),
    row("GET", "/api/v1/dossiers/{code}/results", Rule::Dossier),
    row("GET", "/api/v1/dossiers/{code}/results/{number}/signature", Rule::Dossier),
    row("GET", "/dossiers/{code}/forms/{form}", Rule::Dossier),
    row("GET", "/dossiers/{code}/receipts/{number}", Rule::Dossier),
    row("GET", "/dossiers/{code}/results/{number}", Rule::Dossier),
    row("GET", "/api/v1/dossiers/{code}/shipment", Rule::Dossier),
    // The tracking page shows status and timeline to whoever holds the code (it is on the
    // applicant's receipt), never names or files.
    row("GET", "/api/v1/track/{code}", Rule::Public),
    row("GET", "/api/v1/verify/{number}", Rule::Public),
    // Feedback: anyone sends one and follows it by its code; the handling organisation's
    // specialists and leaders act on it (the fixture's is at the people's committee, whose
    // desk officers sit at the service centre).
    with_body("POST", "/api/v1/feedback", Body::Json(|f| feedback_body(&f.ubnd)), Rule::Public),
    row("GET", "/api/v1/feedback", Rule::CitizensOr(&[Desk, Specialist, Leader])),
    row("GET", "/api/v1/feedback/published", Rule::Public),
    row("GET", "/api/v1/feedback/{code}", Rule::Public),
    // The sender's file (the fixture's was sent signed out: its code alone does not open it).
    row("GET", "/api/v1/feedback/{code}/files/{index}", Rule::OwnElseMissing(&[Specialist, Leader])),
    with_body(
        "POST",
        "/api/v1/feedback/{code}/actions",
        Body::Json(|_| json!({"action": "classify"})),
        Rule::Own(&[Specialist, Leader]),
    ),
    with_body(
        "POST",
        "/api/v1/revocations",
        Body::Json(|f| json!({"number": f.result, "reason": "Cấp nhầm, đã cấp lại"})),
        Rule::Own(&[Leader]),
    ),
    // Per organisation: its leaders, clerks and administrators (the desk officers of its
    // centre see their centre's); the whole province: the province's administrator.
    with_query(
        "GET",
        "/api/v1/payments/reconciliation",
        "org={ubnd}&date=2026-12-01",
        Rule::Own(&[Leader, Clerk, Admin]),
    ),
    // Documents.
    row("GET", "/api/v1/documents", Rule::Staff),
    row("GET", "/api/v1/documents/{id}", Rule::Own(OFFICE)),
    row("GET", "/api/v1/documents/{id}/edxml", Rule::Own(OFFICE)),
    row("GET", "/api/v1/documents/{id}/signed-content", Rule::Own(OFFICE)),
    row("GET", "/api/v1/documents/{id}/signature", Rule::Own(OFFICE)),
    row("GET", "/api/v1/documents/{id}/attachments/{index}", Rule::Own(OFFICE)),
    // Work on incoming documents: the organisation's officers read an item; everyone on staff
    // has a list of their own.
    row("GET", "/api/v1/documents/{id}/work", Rule::Own(OFFICE)),
    row("GET", "/api/v1/documents/work", Rule::Staff),
    row("GET", "/api/v1/exchange/ca.pem", Rule::Public),
    // Meetings: the fixture's is called by the committee's clerk, chaired by its leader, with
    // its specialist invited; nobody else learns it exists. Everyone has a list of their own.
    row("GET", "/api/v1/meetings", Rule::Account),
    row("GET", "/api/v1/meetings/{id}", Rule::Own(MEETING)),
    row("GET", "/api/v1/meetings/{id}/items/{item}/papers/{paper}", Rule::Own(MEETING)),
    row("GET", "/api/v1/meetings/{id}/live", Rule::Own(MEETING)),
    // Unparseable packages have no known recipient: reasons and ids, to every office.
    row("GET", "/api/v1/exchange/quarantine", Rule::Anywhere(&[Clerk, Leader, Admin])),
    // Queue, kiosk, appointments.
    row("GET", "/api/v1/queue/{centre}", Rule::Public),
    row("GET", "/api/v1/queue/{centre}/stats", Rule::Public),
    row("GET", "/api/v1/queue/{centre}/tickets/{id}", Rule::Public),
    row("GET", "/api/v1/appointments/points", Rule::Public),
    row("GET", "/api/v1/appointments/points/{code}", Rule::Public),
    row("GET", "/api/v1/appointments/points/{code}/slots", Rule::Public),
    with_query("GET", "/api/v1/appointments/points/{code}/day", "date=2026-12-02", Rule::Own(&[Desk, Admin])),
    // A booking is seen with its code and phone, or by the point's staff.
    row("GET", "/api/v1/appointments/{code}", Rule::Booking),
    // Changes.
    with_body("POST", "/api/v1/dossiers/{code}/rating", Body::Json(|_| json!({"stars": 5})), Rule::ApplicantOnly),
    with_body(
        "POST",
        "/api/v1/dossiers/{code}/actions",
        Body::Json(|_| json!({"action": "receive"})),
        Rule::Own(&[Desk]),
    ),
    with_body("POST", "/api/v1/dossiers/{code}/shipment", Body::Json(|_| shipment()), Rule::Own(&[Desk])),
    with_body(
        "POST",
        "/api/v1/dossiers",
        Body::Json(|_| json!({"procedure": "1.004873", "org": "000.00.37.H22"})),
        Rule::Submit,
    ),
    with_body("PUT", "/api/v1/calendar/adjustments", Body::Json(|_| adjustments()), Rule::Province),
    // The shipped workflow as it is: stored again, it makes no new version.
    with_body("PUT", "/api/v1/workflows/{code}", Body::Json(|_| five_steps()), Rule::Province),
    with_body("POST", "/api/v1/documents", Body::DocumentForm, Rule::Own(&[Clerk, Leader])),
    // Any officer of the organisation calls a meeting of it; those involved comment.
    with_body("POST", "/api/v1/meetings", Body::Json(|f| meeting_body(&f.ubnd, f.document)), Rule::Own(OFFICE)),
    with_body(
        "POST",
        "/api/v1/meetings/{id}/actions",
        Body::Json(|_| json!({"action": "comment", "item": 1, "text": "Góp ý thử."})),
        Rule::Own(MEETING),
    ),
    with_body(
        "POST",
        "/api/v1/documents/{id}/status",
        Body::Json(|_| json!({"status": "05"})),
        Rule::Own(&[Clerk, Leader]),
    ),
    // Leaders assign (the fixture's is assigned already: 409 passes authorization); only the
    // main handler (the committee's specialist) records progress.
    with_body(
        "POST",
        "/api/v1/documents/{id}/work",
        Body::Json(|_| json!({"direction": "handle", "handler": "halong.chuyenvien", "days": 5})),
        Rule::Own(&[Leader]),
    ),
    with_body(
        "POST",
        "/api/v1/documents/{id}/work/actions",
        Body::Json(|_| json!({"action": "progress", "text": "Đang xử lý."})),
        Rule::Own(&[Specialist]),
    ),
    with_body(
        "POST",
        "/api/v1/documents/{id}/business",
        Body::Json(|_| json!({"kind": "recall", "reason": "Gửi nhầm"})),
        Rule::Own(&[Clerk, Leader]),
    ),
    with_body(
        "POST",
        "/api/v1/documents/{id}/business-decision",
        Body::Json(|_| json!({"accept": true})),
        Rule::Own(&[Clerk, Leader]),
    ),
    with_body("POST", "/api/v1/documents/import", Body::Xml, Rule::Anywhere(&[Clerk, Leader])),
    with_body("POST", "/api/v1/exchange/packages", Body::Xml, Rule::Signed),
    with_body("POST", "/api/v1/exchange/batches", Body::Xml, Rule::Signed),
    with_body("POST", "/api/v1/payments/callback", Body::Json(|_| json!({})), Rule::Signed),
    with_body("POST", "/api/v1/shipments/{tracking}/status", Body::Json(|_| json!({})), Rule::Signed),
    with_body("PUT", "/api/v1/queue/{centre}", Body::Json(queue_setup), Rule::Own(&[Admin])),
    with_body("POST", "/api/v1/queue/{centre}/tickets", Body::Json(|_| json!({"letter": "A"})), Rule::Public),
    with_body("POST", "/api/v1/queue/{centre}/counters/{number}/next", Body::None, Rule::Own(&[Desk])),
    with_body(
        "POST",
        "/api/v1/queue/{centre}/tickets/{id}/finish",
        Body::Json(|_| json!({"status": "served"})),
        Rule::Own(&[Desk]),
    ),
    with_body("PUT", "/api/v1/appointments/points/{code}", Body::Json(point), Rule::Own(&[Admin])),
    with_body("POST", "/api/v1/appointments/points/{code}/slots", Body::Json(slots), Rule::Own(&[Admin, Desk])),
    with_body("POST", "/api/v1/appointments/{code}/attend", Body::Json(|_| json!({})), Rule::Own(&[Desk, Admin])),
    with_body(
        "POST",
        "/api/v1/appointments/{code}/reschedule",
        Body::Json(|f| json!({"phone": f.booking_phone, "slot_id": f.spare_slot})),
        Rule::Public,
    ),
    with_body(
        "POST",
        "/api/v1/appointments",
        Body::Json(|f| json!({"slot_id": f.spare_slot, "full_name": "Lê Văn C", "phone": "0987654321"})),
        Rule::Public,
    ),
    with_body(
        "POST",
        "/api/v1/appointments/{code}/cancel",
        Body::Json(|f| json!({"phone": f.booking_phone})),
        Rule::Public,
    ),
    with_body(
        "POST",
        "/api/v1/kiosk/chip-id",
        Body::Json(|_| json!({"qr": "022090001234|123456789|Nguyễn Văn An|15031990|Nam|Hạ Long|01012021"})),
        Rule::Public,
    ),
    with_body("POST", "/api/v1/kiosk/code", Body::Json(|_| json!({"cccd": "022090001234"})), Rule::Public),
    with_body(
        "POST",
        "/api/v1/kiosk/session",
        Body::Json(|_| json!({"cccd": "022090001234", "code": "000000"})),
        Rule::Public,
    ),
    with_body(
        "POST",
        "/api/v1/accounts",
        Body::Json(
            |_| json!({"username": "moi.dangky", "full_name": "Mai Văn Mới", "cccd": "022090007777", "phone": "0912000111", "password": "Mat-khau-2025"}),
        ),
        Rule::Public,
    ),
    // Anyone may try a registration code (a code that is no code answers 400, past
    // authorization; a made-up one would answer 401 code_expired to everyone alike).
    with_body(
        "POST",
        "/api/v1/accounts/confirm",
        Body::Json(|_| json!({"challenge": "ab".repeat(24), "code": "12"})),
        Rule::Public,
    ),
    with_body(
        "POST",
        "/api/v1/auth/login",
        Body::Json(|_| json!({"username": "congdan", "password": PASSWORD})),
        Rule::Public,
    ),
    // Anyone may answer a sign-in's second-factor challenge (a code that is no code answers
    // 400 before the challenge is looked at).
    with_body(
        "POST",
        "/api/v1/auth/login/second-factor",
        Body::Json(|_| json!({"challenge": "ab".repeat(32), "code": "12"})),
        Rule::Public,
    ),
    // Anyone may ask for a reset code (the same answer for every username) or try one (a code
    // that is no code answers 400, past authorization, to everyone alike).
    with_body("POST", "/api/v1/auth/password-reset", Body::Json(|_| json!({"username": "khong.co.ai"})), Rule::Public),
    with_body(
        "POST",
        "/api/v1/auth/password-reset/confirm",
        Body::Json(
            |_| json!({"username": "khong.co.ai", "challenge": "ab".repeat(24), "code": "12", "new_password": "Mat-khau-moi-2026"}),
        ),
        Rule::Public,
    ),
    row("GET", "/api/v1/queue/{centre}/events", Rule::Public),
    row("GET", "/api/v1/stats/events", Rule::Public),
    // A new password the policy refuses: 400 for every signed-in caller, nothing changed.
    with_body(
        "POST",
        "/api/v1/me/password",
        Body::Json(|_| json!({"current_password": PASSWORD, "new_password": "ngan"})),
        Rule::Account,
    ),
    with_body("POST", "/api/v1/auth/logout", Body::None, Rule::Account),
];

fn shipment() -> Value {
    json!({"address": "Số 1 Lê Thánh Tông, phường Hạ Long", "postage_fee": 7000})
}
fn five_steps() -> Value {
    let wf = motcua_domain::workflow::default_workflows().unwrap().into_iter().find(|w| w.code == "5-buoc");
    serde_json::to_value(wf.unwrap()).unwrap()
}
fn adjustments() -> Value {
    json!([{"date": "2027-01-02", "kind": "work", "name": "Làm bù thử"}])
}
fn queue_setup(_: &Fixtures) -> Value {
    json!({"services": [{"letter": "A", "name": "Tiếp nhận hồ sơ"}],
        "counters": [{"number": 1, "name": "Quầy 1", "letters": ["A"]}]})
}
fn point(f: &Fixtures) -> Value {
    json!({"org": f.point_org, "name": "Bộ phận một cửa (đất đai)", "kind": f.point_kind})
}
fn slots(_: &Fixtures) -> Value {
    json!({"from": "30/12/2026", "to": "30/12/2026", "times": ["15:00"], "minutes": 30, "capacity": 1})
}

/// The resources the table's paths point at, all of Phường Hạ Long.
struct Fixtures {
    ubnd: String,
    centre: String,
    /// Received, paid at the desk, signed and returned: it has a receipt and a result.
    dossier: String,
    /// Just submitted: the desk's "receive" is its next step.
    fresh: String,
    receipt: String,
    result: String,
    /// Sent by Phường Hạ Long (its outgoing register).
    document: i64,
    /// Received by Phường Hạ Long (its incoming register).
    incoming: i64,
    ticket: i64,
    point: String,
    point_org: String,
    point_kind: String,
    booking: String,
    booking_phone: &'static str,
    spare_slot: i64,
    tracking: String,
    /// Sent to Phường Hạ Long's people's committee, signed out.
    feedback: String,
    /// Called by the committee's clerk (see [`MEETING`]).
    meeting: i64,
}

/// A feedback to `org`, from someone signed out.
fn feedback_body(org: &str) -> Value {
    json!({"topic": "procedure", "org": org, "title": "Thủ tục còn đòi bản sao", "content": "Đề nghị bỏ bản sao.",
        "name": "Trần Thị Bình", "phone": "0912345678"})
}

impl Fixtures {
    fn fill(&self, row: &Row) -> String {
        let p = row.path;
        let dossier = if row.method == "GET" || p.ends_with("/shipment") || p.ends_with("/rating") {
            &self.dossier
        } else {
            &self.fresh
        };
        let code = if p.starts_with("/api/v1/units/") {
            "22"
        } else if p.starts_with("/api/v1/organisations/") {
            &self.ubnd
        } else if p.starts_with("/api/v1/procedures/") {
            "1.004873"
        } else if p.starts_with("/api/v1/workflows/") {
            "5-buoc"
        } else if p.starts_with("/api/v1/appointments/points/") {
            &self.point
        } else if p.starts_with("/api/v1/appointments/") {
            &self.booking
        } else if p.starts_with("/api/v1/feedback/") {
            &self.feedback
        } else {
            dossier
        };
        let number = if p.contains("/receipts/") { &self.receipt } else { &self.result };
        let id = if p.contains("/queue/") {
            self.ticket
        } else if p.starts_with("/api/v1/meetings/") {
            self.meeting
        } else if p.ends_with("/status") || p.ends_with("/business-decision") || p.contains("/work") {
            self.incoming
        } else {
            self.document
        };
        let id = id.to_string();
        let mut path = p
            .replace("{code}", code)
            .replace("{number}", if p.starts_with("/api/v1/queue/") { "1" } else { number })
            .replace("{index}", "1")
            .replace("{item}", "1")
            .replace("{paper}", "1")
            .replace("{form}", "01")
            .replace("{id}", &id)
            .replace("{centre}", &self.centre)
            .replace("{tracking}", &self.tracking);
        if p == "/api/v1/verify/{number}" {
            path = format!("/api/v1/verify/{}", self.result);
        }
        if !row.query.is_empty() {
            path = format!("{path}?{}", row.query.replace("{ubnd}", &self.ubnd));
        }
        path
    }
}

const RESULT_PDF: &[u8] = b"%PDF-1.7\nKet qua\n%%EOF\n";

async fn multipart_action(app: &TestApp, token: &str, code: &str, action: &str) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .text("action", json!({"action": action}).to_string())
        .part("file", reqwest::multipart::Part::bytes(RESULT_PDF.to_vec()).file_name("ket-qua.pdf"));
    let url = app.url(&format!("/api/v1/dossiers/{code}/actions"));
    app.client.post(url).bearer_auth(token).multipart(form).send().await.expect("request")
}

fn document_form(from: &str, to: &str) -> reqwest::multipart::Form {
    let doc = json!({
        "from": from, "to": [to], "notation": "UBND-VP", "document_type": "Công văn",
        "subject": "V/v phối hợp", "content": "Đề nghị phối hợp.", "signer_competence": "TM. UBND",
        "signer_position": "Chủ tịch", "signer_name": "Bùi Minh Tuấn", "place": "Hạ Long",
        "due_date": "2026-12-31", "priority": 1, "to_places": ["Như trên"]
    });
    reqwest::multipart::Form::new()
        .text("document", doc.to_string())
        .part("file", reqwest::multipart::Part::bytes(RESULT_PDF.to_vec()).file_name("cong-van.pdf"))
}

async fn fixtures(app: &TestApp) -> Fixtures {
    let ubnd = app.org_of("halong.vanthu").await;
    let centre = app.org_of("halong.motcua").await;
    let stp = app.org_of("stp.vanthu").await;
    let tienyen = app.org_of("tienyen.vanthu").await;
    app.enable_exchange(&[&ubnd, &stp, &tienyen]).await;

    let citizen = app.token("congdan").await;
    let form = reqwest::multipart::Form::new()
        .text("dossier", json!({"procedure": "1.004873", "org": "000.00.37.H22"}).to_string())
        .part("component-0", reqwest::multipart::Part::bytes(RESULT_PDF.to_vec()).file_name("to-khai.pdf"));
    let r = app.client.post(app.url("/api/v1/dossiers")).bearer_auth(&citizen).multipart(form);
    let (s, d) = json(r.send().await.expect("submit")).await;
    assert_eq!(s, 201, "{d}");
    let dossier = d["code"].as_str().expect("code").to_owned();
    app.act_as("halong.motcua", &dossier, "receive").await;
    app.act_as("halong.chuyenvien", &dossier, "request_payment").await;
    app.act_as("halong.chuyenvien", &dossier, "confirm_payment").await;
    app.act_as("halong.chuyenvien", &dossier, "forward").await;
    app.act_as("halong.lanhdao", &dossier, "approve").await;
    let clerk = app.token("halong.vanthu").await;
    assert_eq!(multipart_action(app, &clerk, &dossier, "sign").await.status(), 200);
    app.act_as("halong.motcua", &dossier, "return_result").await;
    let desk = app.token("halong.motcua").await;
    let (s, v) = json(app.post_json(&format!("/api/v1/dossiers/{dossier}/shipment"), &desk, shipment()).await).await;
    assert_eq!(s, 201, "{v}");
    let tracking = v["tracking_number"].as_str().expect("tracking number").to_owned();
    let (_, d) = json(app.get_as(&format!("/api/v1/dossiers/{dossier}"), &citizen).await).await;
    let receipt = d["payment"]["receipts"][0]["number"].as_str().expect("receipt").to_owned();
    let (_, results) = json(app.get_as(&format!("/api/v1/dossiers/{dossier}/results"), &citizen).await).await;
    let result = results[0]["number"].as_str().unwrap_or_else(|| panic!("a result: {results}")).to_owned();
    let fresh = app.submit_online(&citizen).await["code"].as_str().expect("code").to_owned();

    let r = app.client.post(app.url("/api/v1/documents")).bearer_auth(&clerk).multipart(document_form(&ubnd, &stp));
    let (s, doc) = json(r.send().await.expect("send")).await;
    assert_eq!(s, 201, "{doc}");
    let document = doc["id"].as_i64().expect("document id");
    let stp_clerk = app.token("stp.vanthu").await;
    let r = app.client.post(app.url("/api/v1/documents")).bearer_auth(&stp_clerk).multipart(document_form(&stp, &ubnd));
    let (s, v) = json(r.send().await.expect("send")).await;
    assert_eq!(s, 201, "{v}");
    let mut incoming = None;
    for _ in 0..200 {
        let (_, v) = json(app.get_as("/api/v1/documents?direction=in", &clerk).await).await;
        if let Some(id) = v["items"][0]["id"].as_i64() {
            incoming = Some(id);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let incoming = incoming.expect("the document from Sở Tư pháp arrives");
    // Accepted and assigned to the committee's specialist: work to read and act on.
    let r = app.post_json(&format!("/api/v1/documents/{incoming}/status"), &clerk, json!({"status": "03"})).await;
    assert_eq!(r.status(), 200, "accepted");
    let leader = app.token("halong.lanhdao").await;
    let assign = json!({"direction": "handle", "handler": "halong.chuyenvien", "days": 5});
    let (s, w) = json(app.post_json(&format!("/api/v1/documents/{incoming}/work"), &leader, assign).await).await;
    assert_eq!(s, 201, "{w}");
    let (s, m) = json(app.post_json("/api/v1/meetings", &clerk, meeting_body(&ubnd, document)).await).await;
    assert_eq!(s, 201, "{m}");
    let meeting = m["id"].as_i64().expect("meeting id");

    let r = app.client.post(app.url(&format!("/api/v1/queue/{centre}/tickets"))).json(&json!({"letter": "A"}));
    let (s, t) = json(r.send().await.expect("ticket")).await;
    assert_eq!(s, 201, "{t}");
    let ticket = t["id"].as_i64().expect("ticket id");

    let (_, points) = json(app.get("/api/v1/appointments/points").await).await;
    let p = points
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["org"] == json!(ubnd) || p["org"] == json!(centre)))
        .expect("a point of Hạ Long");
    let text = |k: &str| p[k].as_str().unwrap_or_else(|| panic!("{k} of {p}")).to_owned();
    let (point, point_org, point_kind) = (text("code"), text("org"), text("kind"));
    let (_, slots) = json(app.get(&format!("/api/v1/appointments/points/{point}/slots?days=14")).await).await;
    let free: Vec<i64> = slots
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["free"].as_i64().unwrap_or(0) > 0)
        .filter_map(|s| s["id"].as_i64())
        .collect();
    assert!(free.len() >= 2, "free slots at {point}");
    let booking_phone = "0987654321";
    let body = json!({"slot_id": free[0], "full_name": "Lê Văn C", "phone": booking_phone});
    let (s, b) = json(app.client.post(app.url("/api/v1/appointments")).json(&body).send().await.expect("book")).await;
    assert_eq!(s, 201, "{b}");
    let booking = b["code"].as_str().expect("booking code").to_owned();
    let form = reqwest::multipart::Form::new()
        .text("feedback", feedback_body(&ubnd).to_string())
        .part("file", reqwest::multipart::Part::bytes(b"\x89PNG\r\n\x1a\n0000IHDR".to_vec()).file_name("anh.png"));
    let r = app.client.post(app.url("/api/v1/feedback")).multipart(form).send().await.expect("feedback");
    let (s, f) = json(r).await;
    assert_eq!(s, 201, "{f}");
    let feedback = f["code"].as_str().expect("feedback code").to_owned();

    Fixtures {
        ubnd,
        centre,
        dossier,
        fresh,
        receipt,
        result,
        document,
        incoming,
        ticket,
        point,
        point_org,
        point_kind,
        booking,
        booking_phone,
        spare_slot: free[1],
        tracking,
        feedback,
        meeting,
    }
}

fn request(app: &TestApp, f: &Fixtures, row: &Row, token: Option<&str>) -> reqwest::RequestBuilder {
    let method = Method::from_bytes(row.method.as_bytes()).expect("method");
    let mut req = app.client.request(method, app.url(&f.fill(row)));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    match row.body {
        Body::None => req,
        Body::Json(make) => req.json(&make(f)),
        Body::DocumentForm => {
            let to = "000.00.01.H22";
            req.multipart(document_form(&f.ubnd, to))
        }
        Body::Xml => req.header("content-type", "application/xml").body("<edXML/>"),
    }
}

/// 401 for the anonymous, 403 or 404 for others: denied. 429 never reached the handler (the
/// matrix runs without quotas per address, so it is a failure). Anything else got through.
fn outcome(status: u16) -> &'static str {
    match status {
        401 => "unauthenticated",
        403 | 404 => "denied",
        429 => "rate limited",
        _ => "allowed",
    }
}

async fn every_endpoint_role_and_organisation(app: TestApp) {
    // The table covers the OpenAPI document exactly: a new endpoint cannot go unclassified.
    let (_, doc) = json(app.get("/api/v1/openapi.json").await).await;
    let documented: BTreeSet<String> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(p, ops)| ops.as_object().expect("ops").keys().map(move |m| format!("{} {p}", m.to_uppercase())))
        .collect();
    let tabled: BTreeSet<String> = TABLE.iter().map(|r| format!("{} {}", r.method, r.path)).collect();
    assert_eq!(TABLE.len(), tabled.len(), "a row is repeated");
    assert_eq!(
        documented.difference(&tabled).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "endpoints missing from the table"
    );
    assert_eq!(tabled.difference(&documented).collect::<Vec<_>>(), Vec::<&String>::new(), "rows of no endpoint");

    let other_citizen = register(&app, "khach.matrix", "022090009999").await;
    let f = fixtures(&app).await;
    let mut tokens = Vec::new();
    for who in callers() {
        let token = match username(who) {
            _ if who == Who::OtherCitizen => Some(other_citizen.clone()),
            Some(u) => Some(app.token(&u).await),
            None => None,
        };
        tokens.push((who, token));
    }

    let mut wrong = Vec::new();
    let mut checked = 0;
    for row in TABLE {
        // Callers to be refused go first, so that the allowed ones change state last.
        let mut order: Vec<&(Who, Option<String>)> = tokens.iter().collect();
        order.sort_by_key(|(who, _)| row.rule.allows(*who));
        for (who, token) in order {
            if row.path.ends_with("/events") || row.path.ends_with("/live") {
                // Server-sent event streams: only the status line is read.
                let r = request(&app, &f, row, token.as_deref()).send().await.expect("request");
                let status = r.status().as_u16();
                drop(r);
                check(&mut wrong, row, *who, status, "", token.is_none());
                checked += 1;
                continue;
            }
            let r = request(&app, &f, row, token.as_deref()).send().await.expect("request");
            let status = r.status().as_u16();
            let body = r.text().await.unwrap_or_default();
            assert!(status < 500, "{} {} as {who:?}: {status} {body}", row.method, row.path);
            check(&mut wrong, row, *who, status, &body, token.is_none());
            if outcome(status) != "allowed" && status != 404 {
                // Refusals are the API's errors with a machine code and a Vietnamese message.
                let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                assert!(v["error"]["code"].is_string(), "{} {}: {status} {body}", row.method, row.path);
            }
            checked += 1;
        }
    }
    assert!(wrong.is_empty(), "{} of {checked} cells differ from the table:\n{}", wrong.len(), wrong.join("\n"));
    assert_eq!(checked, TABLE.len() * tokens.len());
}

fn check(wrong: &mut Vec<String>, row: &Row, who: Who, status: u16, body: &str, anonymous: bool) {
    let got = outcome(status);
    let expected = if row.rule.allows(who) {
        "allowed"
    } else if (anonymous && !matches!(row.rule, Rule::Booking | Rule::OwnElseMissing(_)))
        || matches!(row.rule, Rule::Signed)
    {
        "unauthenticated"
    } else {
        "denied"
    };
    if got != expected {
        let body: String = body.chars().take(160).collect();
        wrong.push(format!(
            "  {} {} as {who:?}: expected {expected}, got {got} ({status} {body})",
            row.method, row.path
        ));
    }
}

/// Someone who is not allowed to see a dossier gets, byte for byte, what a code that does
/// not exist gets: the neighbours of one's own dossier code tell nothing.
async fn guessed_codes_answer_as_missing_ones(app: TestApp) {
    let citizen = app.token("congdan").await;
    let theirs = app.submit_online(&citizen).await["code"].as_str().expect("code").to_owned();
    let stranger = register(&app, "khach.doan", "022090008888").await;
    let mine = app.submit_online(&stranger).await["code"].as_str().expect("code").to_owned();
    // Codes end in a running number: the stranger's neighbour is the citizen's dossier.
    let (prefix, n) = mine.rsplit_once('-').expect("code with a running number");
    let width = n.len();
    let n: u64 = n.parse().expect("number");
    let guessed = format!("{prefix}-{:0width$}", n - 1);
    assert_eq!(guessed, theirs, "the neighbouring code is the other dossier");
    let missing = format!("{prefix}-{:0width$}", n + 50);
    let other_officer = app.token("tienyen.motcua").await;
    for who in [&stranger, &other_officer] {
        for suffix in ["", "/events", "/attachments", "/receipts", "/results", "/shipment"] {
            if suffix == "/events" {
                continue;
            }
            let a = app.get_as(&format!("/api/v1/dossiers/{theirs}{suffix}"), who).await;
            let b = app.get_as(&format!("/api/v1/dossiers/{missing}{suffix}"), who).await;
            let (sa, sb) = (a.status().as_u16(), b.status().as_u16());
            let (ba, bb) = (a.text().await.expect("body"), b.text().await.expect("body"));
            let (ba, bb) = (ba.replace(&theirs, "CODE"), bb.replace(&missing, "CODE"));
            assert_eq!((sa, &ba), (sb, &bb), "{suffix}: an existing dossier answers differently");
            assert_eq!(sa, 404);
        }
        for form in ["01", "02"] {
            let a = app.get_as(&format!("/dossiers/{theirs}/forms/{form}"), who).await.status();
            let b = app.get_as(&format!("/dossiers/{missing}/forms/{form}"), who).await.status();
            assert_eq!((a, b), (reqwest::StatusCode::NOT_FOUND, reqwest::StatusCode::NOT_FOUND));
        }
        let act = json!({"action": "withdraw"});
        let a = app.post_json(&format!("/api/v1/dossiers/{theirs}/actions"), who, act.clone()).await;
        let b = app.post_json(&format!("/api/v1/dossiers/{missing}/actions"), who, act).await;
        let a = (a.status(), a.text().await.expect("body").replace(&theirs, "CODE"));
        let b = (b.status(), b.text().await.expect("body").replace(&missing, "CODE"));
        assert_eq!(a, b, "acting on another's dossier");
    }
    // The public tracking page answers for any code, and shows no name, phone or CCCD.
    let (s, v) = json(app.get(&format!("/api/v1/track/{theirs}")).await).await;
    assert_eq!(s, 200, "{v}");
    let text = v.to_string();
    for secret in ["022090001234", "0912345678", "Nguyễn Văn An"] {
        assert!(!text.contains(secret), "tracking shows {secret}: {text}");
    }
}
