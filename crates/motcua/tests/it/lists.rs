//! The dossier list pages at any depth (issue 28), on both engines: a citizen's list and an
//! officer's lists go on from the last row shown ("Trang sau"), back to the first page, with
//! the count; a cursor that is not one starts the list again instead of failing.

use crate::common;

use common::{TestApp, browser, sign_in};

on_both_backends!(
    @with |s| s.quotas = motcua::app::AccountQuotas { dossiers_per_day: 0, bytes_per_day: 0 };
    list_pages_go_on_from_the_last_row,
);

async fn html(app: &TestApp, b: &reqwest::Client, path: &str) -> String {
    let r = b.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.text().await.unwrap()
}

/// The `href` of the link with this text.
fn link(html: &str, text: &str) -> Option<String> {
    let end = html.find(text)?;
    let start = html[..end].rfind("href=\"")? + 6;
    Some(html[start..].split('"').next()?.replace("&#38;", "&").replace("&amp;", "&"))
}

fn codes(html: &str) -> Vec<String> {
    html.split("<a href=\"/ho-so/").skip(1).filter_map(|s| s.split('"').next()).map(str::to_owned).collect()
}

async fn list_pages_go_on_from_the_last_row(app: TestApp) {
    let token = app.token("congdan").await;
    let mut submitted = Vec::new();
    for _ in 0..52 {
        submitted.push(app.submit_online(&token).await["code"].as_str().unwrap().to_owned());
    }
    submitted.reverse();
    let citizen = browser();
    sign_in(&app, &citizen, "congdan").await;
    let first = html(&app, &citizen, "/ho-so").await;
    assert_eq!(codes(&first), submitted[..50], "the latest fifty first");
    assert!(first.contains("52 hồ sơ") && link(&first, "Trang đầu").is_none(), "{first}");
    let next = link(&first, "Trang sau →").expect("a next page");
    assert!(next.starts_with("/ho-so?sau=r"), "{next}");
    let second = html(&app, &citizen, &next).await;
    assert_eq!(codes(&second), submitted[50..]);
    assert!(link(&second, "Trang sau").is_none() && link(&second, "Trang đầu").as_deref() == Some("/ho-so"));
    // The desk officer's "every dossier of the unit", filtered, keeps its filter on the next page.
    let desk = browser();
    sign_in(&app, &desk, "halong.motcua").await;
    let all = html(&app, &desk, "/ho-so?pham-vi=tat-ca&tt=1").await;
    assert_eq!(codes(&all), submitted[..50]);
    let next = link(&all, "Trang sau →").expect("a next page");
    assert!(next.starts_with("/ho-so?pham-vi=tat-ca&tt=1&sau=r"), "{next}");
    assert_eq!(codes(&html(&app, &desk, &next).await), submitted[50..]);
    // Its inbox, soonest due first, goes on the same way, and so does a search.
    let inbox = html(&app, &desk, "/ho-so").await;
    let next = link(&inbox, "Trang sau →").expect("a next page");
    assert!(next.starts_with("/ho-so?sau=d"), "{next}");
    let mut seen = codes(&inbox);
    seen.extend(codes(&html(&app, &desk, &next).await));
    seen.sort();
    let mut want = submitted.clone();
    want.sort();
    assert_eq!(seen, want);
    let found = html(&app, &desk, "/ho-so?tim=nguyen+van+an").await;
    assert!(found.contains("«nguyen van an»") && codes(&found) == submitted[..50], "{found}");
    // A cursor that is not one (or of another list) is the first page again, not an error.
    for bad in ["x", "d1~2~nope", next.trim_start_matches("/ho-so?sau=")] {
        let again = html(&app, &desk, &format!("/ho-so?pham-vi=tat-ca&sau={bad}")).await;
        assert_eq!(codes(&again), submitted[..50], "{bad}");
    }
}
