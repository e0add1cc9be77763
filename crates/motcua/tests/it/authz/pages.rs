//! The web pages' half of the authorization matrix: every GET page, for every caller, allowed,
//! sent to sign in, or denied as the table says (the API's half is in `authz.rs`).

use super::*;

/// The web pages (GET), with the same rules. Forms (POST) need the page's CSRF token and
/// call the API functions the table above checks; pages that only exist for a draft of the
/// caller's own are in [`PAGES_NOT_IN_MATRIX`] with why.
const PAGES: &[(&str, Rule)] = &[
    ("/", Rule::Public),
    ("/thu-tuc/{code}", Rule::Public),
    ("/tra-cuu", Rule::Public),
    ("/tro-ly", Rule::Public),
    ("/xac-minh", Rule::Public),
    ("/tai-lieu-api", Rule::Public),
    ("/tai-lieu-api/kieu-du-lieu", Rule::Public),
    ("/tai-lieu-api/{capability}", Rule::Public),
    ("/xac-minh/{number}", Rule::Public),
    ("/kiem-tra-qr", Rule::Public),
    ("/phan-anh", Rule::Public),
    ("/phan-anh/{code}", Rule::Public),
    ("/phan-anh/xu-ly", Rule::CitizensOr(&[Desk, Specialist, Leader])),
    ("/dang-nhap", Rule::SignedOut),
    ("/dang-ky", Rule::SignedOut),
    ("/quen-mat-khau", Rule::Public),
    ("/ho-so", Rule::Account),
    ("/tai-khoan/mat-khau", Rule::Account),
    ("/ho-so/{code}", Rule::Dossier),
    ("/nop-ho-so/{code}", Rule::Citizens),
    // The counter pages work on the desk officer's own centre, whichever it is.
    ("/quay/tiep-nhan", Rule::Anywhere(&[Desk])),
    ("/quay/goi-so", Rule::Anywhere(&[Desk])),
    ("/quay/lich-hen", Rule::Own(&[Desk, Admin])),
    ("/van-ban", Rule::Staff),
    ("/van-ban/{id}", Rule::Own(OFFICE)),
    ("/van-ban/soan", Rule::Anywhere(&[Clerk, Leader])),
    ("/van-ban/viec", Rule::Staff),
    // The fixture's incoming document, assigned to the committee's specialist.
    ("/van-ban/{id}/cong-viec", Rule::Own(OFFICE)),
    // Paperless meetings: for officers; the fixture's meeting for those involved only.
    ("/cuoc-hop", Rule::Staff),
    ("/cuoc-hop/moi", Rule::Staff),
    ("/cuoc-hop/{id}", Rule::Own(MEETING)),
    ("/quan-tri", Rule::Anywhere(&[Admin])),
    ("/quan-tri/can-bo?org={ubnd}", Rule::Administering),
    // The catalog and the calendar are the province's.
    ("/quan-tri/thu-tuc", Rule::Province),
    ("/quan-tri/ngay-nghi", Rule::Province),
    ("/ioc", Rule::Public),
    ("/lich-hen", Rule::Public),
    ("/lich-hen/tra-cuu", Rule::Public),
    ("/lich-hen/diem/{point}", Rule::Public),
    ("/kiosk", Rule::Public),
    ("/kiosk/{centre}", Rule::Public),
    ("/kiosk/{centre}/tra-cuu", Rule::Public),
    ("/kiosk/{centre}/so", Rule::Public),
    ("/kiosk/{centre}/so/{id}", Rule::Public),
    ("/kiosk/{centre}/cua-toi", Rule::Public),
    ("/kiosk/{centre}/ho-so", Rule::Citizens),
    ("/kiosk/{centre}/nop", Rule::Public),
    ("/kiosk/{centre}/display", Rule::Public),
    ("/static/app.css", Rule::Public),
    ("/static/favicon.svg", Rule::Public),
    ("/static/ioc.js", Rule::Public),
    ("/static/kiosk.js", Rule::Public),
    ("/static/meeting.js", Rule::Public),
    ("/static/seal.js", Rule::Public),
    ("/static/vendor/jsqr-1.4.0.min.js", Rule::Public),
];

/// GET pages left out of the matrix, and why.
const PAGES_NOT_IN_MATRIX: &[(&str, &str)] = &[
    (
        "/nop-ho-so/{code}/xem-lai",
        "the review of a draft: only its author's draft exists for it (tests/it/web.rs checks another's is 404)",
    ),
    (
        "/dang-nhap/vneid",
        "no page: sends the browser to the identity provider; without one configured a 404 page for everyone (tests/it/identity.rs)",
    ),
    (
        "/dang-nhap/vneid/ve",
        "no page: the identity provider's return, refused without its own browser's state (tests/it/identity.rs)",
    ),
    (
        "/kiosk/{centre}/vneid/{ticket}",
        "no page: a kiosk asking about its own phone sign-in (204 or a redirect); without the ticket, 404 or 410 for everyone (tests/it/identity.rs)",
    ),
    ("/dang-xuat", "no page: a plain visit to the sign-out address goes home for everyone (tests/it/hardening.rs)"),
];

/// Every GET route the web module declares, read from its sources.
fn declared_pages() -> BTreeSet<String> {
    // The pages: every capability's pages.rs or pages/, the kit in web/ and the router in
    // server/page_routes.rs.
    fn sources(dir: &std::path::Path, in_pages: bool, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("src") {
            let path = entry.expect("entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
            if path.is_dir() {
                sources(&path, in_pages || name == "pages" || name == "web", out);
            } else if in_pages || name == "pages.rs" || name == "page_routes.rs" {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    sources(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), false, &mut files);
    let mut out = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(file).expect("source");
        for chunk in text.split(".route(\"").skip(1) {
            let Some((path, rest)) = chunk.split_once('"') else { continue };
            let handler = rest.split(')').next().unwrap_or_default();
            if handler.contains("get(") {
                out.insert(path.to_owned());
            }
        }
    }
    out
}

fn fill_page(f: &Fixtures, page: &str) -> String {
    let code = if page.starts_with("/ho-so/") {
        f.dossier.as_str()
    } else if page.starts_with("/phan-anh/") {
        f.feedback.as_str()
    } else {
        "1.004873"
    };
    let path = page
        .replace("{code}", code)
        .replace("{number}", &f.result)
        .replace("{point}", &f.point)
        .replace("{centre}", &f.centre)
        .replace("{ubnd}", &f.ubnd)
        .replace("{capability}", "dossiers");
    let id = if path.starts_with("/kiosk/") {
        f.ticket
    } else if path.ends_with("/cong-viec") {
        f.incoming
    } else if path.starts_with("/cuoc-hop/") {
        f.meeting
    } else {
        f.document
    };
    path.replace("{id}", &id.to_string())
}

/// A page answers 200 when allowed; the signed-out are sent to sign in (the kiosk's own
/// identification page at a kiosk); others get 403, 404 or are sent away.
fn page_outcome(status: u16, location: &str) -> &'static str {
    match status {
        200 => "allowed",
        303 | 302 if location.contains("/dang-nhap") || location.ends_with("/cua-toi") => "unauthenticated",
        303 | 302 | 403 | 404 => "denied",
        _ => "unexpected",
    }
}

pub(super) async fn every_page_role_and_organisation(app: TestApp) {
    let tabled: BTreeSet<String> = PAGES
        .iter()
        .map(|(p, _)| p.split('?').next().unwrap_or(p).to_string())
        .chain(PAGES_NOT_IN_MATRIX.iter().map(|(p, _)| p.to_string()))
        .collect();
    assert_eq!(declared_pages(), tabled, "every GET page is in the table (or says why not)");

    let other_citizen = register(&app, "khach.trang", "022090007777").await;
    let f = fixtures(&app).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let mut wrong = Vec::new();
    let mut checked = 0;
    for who in callers() {
        let token = match username(who) {
            _ if who == Who::OtherCitizen => Some(other_citizen.clone()),
            Some(u) => Some(app.token(&u).await),
            None => None,
        };
        for (page, rule) in PAGES {
            let mut req = client.get(app.url(&fill_page(&f, page)));
            if let Some(t) = &token {
                req = req.bearer_auth(t);
            }
            let r = req.send().await.expect("request");
            let status = r.status().as_u16();
            let location = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            let got = match page_outcome(status, &location) {
                // Sent to sign in while signed in: with an account that may not.
                "unauthenticated" if token.is_some() => "denied",
                other => other,
            };
            let expected = if rule.allows(who) {
                "allowed"
            } else if token.is_none() {
                "unauthenticated"
            } else {
                "denied"
            };
            if got != expected {
                wrong.push(format!("  GET {page} as {who:?}: expected {expected}, got {got} ({status} {location})"));
            }
            checked += 1;
        }
    }
    assert!(wrong.is_empty(), "{} of {checked} pages differ from the table:\n{}", wrong.len(), wrong.join("\n"));
}
