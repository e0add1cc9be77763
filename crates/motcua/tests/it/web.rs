//! The public pages: over HTTP on both engines, and rendered by a real headless Chromium.

use crate::common;

use common::{TestApp, browser, csrf_of, sign_in};
use serde_json::json;

on_both_backends!(
    home_search_and_browse,
    procedure_page,
    tracking_page,
    english_and_escaping,
    sign_in_and_my_dossiers,
    journey_through_the_pages,
    register_page,
    counter_reception_and_inbox_filters,
    administration_is_scoped,
    previews_cannot_run_scripts,
    assistant_page,
    document_pages,
    payment_on_the_dossier_page,
    kiosk_pages_answer_bad_input,
);

async fn page(app: &TestApp, path: &str) -> (u16, String) {
    let r = app.get(path).await;
    let status = r.status().as_u16();
    let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    assert!(ct.starts_with("text/html"), "{path}: {ct}");
    (status, r.text().await.unwrap())
}

async fn home_search_and_browse(app: TestApp) {
    let (s, html) = page(&app, "/").await;
    assert_eq!(s, 200);
    assert!(html.contains("<html lang=\"vi\">") && html.contains("Tìm thủ tục hành chính"));
    assert!(html.contains("<label for=\"q\">"), "the search box is labelled");
    assert!(html.contains("Dịch vụ công trực tuyến toàn trình") && html.contains("Trực tuyến toàn trình"));
    // Without diacritics, as citizens type it.
    let (_, html) = page(&app, "/?q=dang+ky+khai+sinh").await;
    assert!(html.contains("href=\"/thu-tuc/1.001193\"") && html.contains("Đăng ký khai sinh"), "{html}");
    let first = html.find("href=\"/thu-tuc/").unwrap();
    assert_eq!(&html[first..first + 24], "href=\"/thu-tuc/1.001193\"", "the procedure itself first");
    // Everyday words, through the synonym list: a lost driving licence.
    let (_, html) = page(&app, "/?q=lam+lai+bang+lai").await;
    let first = html.find("href=\"/thu-tuc/").unwrap();
    assert_eq!(&html[first..first + 24], "href=\"/thu-tuc/1.002809\"");
    let (_, html) = page(&app, "/?q=khong+co+thu+tuc+nay").await;
    assert!(html.contains("Không tìm thấy thủ tục phù hợp"));
    // Browse by field and by department.
    let (_, html) = page(&app, "/?field=ho-tich").await;
    assert!(html.contains("Kết quả (12)"), "ten civil-status procedures and the two linked groups");
    let (_, html) = page(&app, "/?org=000.00.01.H22").await;
    assert!(html.contains("Cấp Phiếu lý lịch tư pháp"));
    assert!(html.contains("href=\"/?field=ho-tich\"") && html.contains("Sở Tư pháp tỉnh Quảng Ninh"));
    let r = app.get("/static/app.css").await;
    assert_eq!(r.headers()["content-type"], "text/css; charset=utf-8");
    assert!(r.text().await.unwrap().contains("--brand"));
}

async fn procedure_page(app: TestApp) {
    let (s, html) = page(&app, "/thu-tuc/2.000488").await;
    assert_eq!(s, 200);
    for expected in [
        "Cấp Phiếu lý lịch tư pháp",
        "200.000 ₫",
        "10 ngày",
        "Sở Tư pháp tỉnh Quảng Ninh",
        "Luật Lý lịch tư pháp năm 2009",
        "Trực tuyến toàn trình",
        "<th scope=\"col\">",
    ] {
        assert!(html.contains(expected), "{expected}");
    }
    let (_, html) = page(&app, "/thu-tuc/1.001193").await;
    assert!(html.contains("Không thu phí, lệ phí") && html.contains("Ủy ban nhân dân cấp xã (54 nơi)"));
    let (s, html) = page(&app, "/thu-tuc/9.999999").await;
    assert_eq!(s, 404);
    assert!(html.contains("Không có thủ tục mã 9.999999"));
    assert_eq!(page(&app, "/thu-tuc/khong-hop-le").await.0, 404);
}

async fn tracking_page(app: TestApp) {
    let citizen = app.token("congdan").await;
    let code = app.submit_online(&citizen).await["code"].as_str().unwrap().to_owned();
    app.act_as("halong.motcua", &code, "receive").await;

    let (s, html) = page(&app, "/tra-cuu").await;
    assert_eq!(s, 200);
    assert!(html.contains("<label for=\"ma\">"));
    let (s, html) = page(&app, &format!("/tra-cuu?ma={code}")).await;
    assert_eq!(s, 200);
    for expected in [
        "Cấp Giấy xác nhận tình trạng hôn nhân",
        "Được tiếp nhận",
        "Thẩm định",
        "Nộp hồ sơ trực tuyến",
        "Tiếp nhận hồ sơ",
    ] {
        assert!(html.contains(expected), "{expected}");
    }
    assert!(!html.contains("Nguyễn Văn An") && !html.contains("022090001234"), "no personal data on the public page");
    let (s, html) = page(&app, "/tra-cuu?ma=abc").await;
    assert_eq!(s, 400);
    assert!(html.contains("Mã hồ sơ không hợp lệ"));
    let (s, _) = page(&app, "/tra-cuu?ma=001.00.37.H22-250101-9999").await;
    assert_eq!(s, 404);
}

async fn english_and_escaping(app: TestApp) {
    let (_, html) = page(&app, "/?lang=en").await;
    assert!(html.contains("<html lang=\"en\">") && html.contains("Find an administrative procedure"));
    assert!(
        html.contains("href=\"/?lang=en\"") && html.contains("href=\"/tra-cuu?lang=en\""),
        "links keep the language"
    );
    // The switch keeps the query and flips the language.
    let (_, html) = page(&app, "/?q=ho+chieu").await;
    assert!(html.contains("href=\"/?q=ho+chieu&#38;lang=en\"") || html.contains("href=\"/?q=ho+chieu&amp;lang=en\""));
    let (_, html) = page(&app, "/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E").await;
    assert!(
        !html.contains("<script>alert(1)</script>") && html.contains("&#60;script&#62;")
            || html.contains("&lt;script&gt;")
    );
    let r = app.get("/").await;
    assert!(r.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'self'"));
    // Statuses and actions are in English on English pages.
    let citizen = app.token("congdan").await;
    let code = app.submit_online(&citizen).await["code"].as_str().unwrap().to_owned();
    let (_, html) = page(&app, &format!("/tra-cuu?ma={code}&lang=en")).await;
    assert!(html.contains("Submitted online") && html.contains("Submitted") && !html.contains("Mới đăng ký"), "{html}");
    let (_, html) = page(&app, &format!("/tra-cuu?ma={code}")).await;
    assert!(html.contains("Mới đăng ký") && html.contains("Nộp hồ sơ trực tuyến"));
    // Durations and step names too: the catalog in English says "working days", and a
    // received dossier's step is named in English.
    let (_, html) = page(&app, "/thu-tuc/1.002809?lang=en").await;
    assert!(html.contains("5 working days") && !html.contains("ngày làm việc"), "{html}");
    assert!(html.contains("(<strong>online: 115.000 ₫</strong>)"), "{html}");
    let (_, html) = page(&app, "/?q=khai+sinh&lang=en").await;
    assert!(html.contains("Same working day") && !html.contains("Giải quyết ngay"), "{html}");
    app.act_as("halong.motcua", &code, "receive").await;
    let (_, html) = page(&app, &format!("/tra-cuu?ma={code}&lang=en")).await;
    assert!(html.contains("Appraisal") && !html.contains("Thẩm định"), "{html}");
    let (_, html) = page(&app, &format!("/tra-cuu?ma={code}")).await;
    assert!(html.contains("Thẩm định"));
}

async fn sign_in_and_my_dossiers(app: TestApp) {
    // A dossier of the demo citizen, with a file, received at the desk.
    let token = app.token("congdan").await;
    let form = reqwest::multipart::Form::new()
        .text("dossier", json!({"procedure": "1.004873", "org": "000.00.37.H22"}).to_string())
        .part("file", reqwest::multipart::Part::bytes(b"%PDF-1.4 x".to_vec()).file_name("giay-to.pdf"));
    let r = app.client.post(app.url("/api/v1/dossiers")).bearer_auth(&token).multipart(form).send().await.unwrap();
    let code = r.json::<serde_json::Value>().await.unwrap()["code"].as_str().unwrap().to_owned();
    app.act_as("halong.motcua", &code, "receive").await;

    // Signed out: the pages send you to sign in.
    let b = browser();
    let r = b.get(app.url("/ho-so")).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["location"].to_str().unwrap()), (303, "/dang-nhap?next=%2Fho-so"));
    // The first page a browser gets sets the CSRF cookie: SameSite=Strict, HttpOnly.
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("motcua_csrf=") && cookie.contains("SameSite=Strict") && cookie.contains("HttpOnly"),
        "{cookie}"
    );

    // The login form: labelled, with the CSRF token in a hidden field.
    let r = b.get(app.url("/dang-nhap")).send().await.unwrap();
    assert!(r.headers().get("set-cookie").is_none(), "the browser already has its token");
    let html = r.text().await.unwrap();
    assert!(html.contains("<label for=\"username\">") && html.contains("<label for=\"password\">"));
    let csrf = csrf_of(&html);

    // Refused: a wrong token, a foreign origin, a wrong password.
    let post = |fields: Vec<(&'static str, String)>, origin: Option<&'static str>| {
        let mut req = b.post(app.url("/dang-nhap")).form(&fields);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        req.send()
    };
    let r = post(
        vec![("csrf", "0".repeat(64)), ("username", "congdan".into()), ("password", common::PASSWORD.into())],
        None,
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("Phiên của biểu mẫu đã hết hạn"));
    let r = post(
        vec![("csrf", csrf.clone()), ("username", "congdan".into()), ("password", common::PASSWORD.into())],
        Some("https://evil.example"),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 403);
    let r =
        post(vec![("csrf", csrf.clone()), ("username", "congdan".into()), ("password", "sai-mat-khau-1".into())], None)
            .await
            .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("Tên đăng nhập hoặc mật khẩu không đúng"));

    // Signed in: my dossiers, then the dossier with its file, forms and timeline.
    let r =
        post(vec![("csrf", csrf.clone()), ("username", "congdan".into()), ("password", common::PASSWORD.into())], None)
            .await
            .unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["location"].to_str().unwrap()), (303, "/ho-so"));
    let html = b.get(app.url("/ho-so")).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains("Hồ sơ của tôi")
            && html.contains(&format!("href=\"/ho-so/{code}\""))
            && html.contains("Được tiếp nhận")
    );
    assert!(html.contains("Nguyễn Văn An") && html.contains("Đăng xuất"), "the header shows who is signed in");
    let html = b.get(app.url(&format!("/ho-so/{code}"))).send().await.unwrap().text().await.unwrap();
    for expected in [
        "Cấp Giấy xác nhận tình trạng hôn nhân",
        "giay-to.pdf",
        &format!("/api/v1/dossiers/{code}/attachments/1"),
        &format!("/dossiers/{code}/forms/01"),
        "Tiếp nhận hồ sơ",
    ] {
        assert!(html.contains(expected), "{expected}");
    }
    // The session cookie also works for the file and the form.
    assert_eq!(b.get(app.url(&format!("/api/v1/dossiers/{code}/attachments/1"))).send().await.unwrap().status(), 200);
    assert_eq!(b.get(app.url(&format!("/dossiers/{code}/forms/01"))).send().await.unwrap().status(), 200);

    // Staff: the desk officer's inbox is empty (received, now with the specialist); the
    // specialist's holds it; another commune's officer is told it does not exist.
    let s = browser();
    sign_in(&app, &s, "halong.chuyenvien").await;
    let html = s.get(app.url("/ho-so")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Hồ sơ cần xử lý") && html.contains(&code));
    let other = browser();
    sign_in(&app, &other, "tienyen.motcua").await;
    assert_eq!(other.get(app.url(&format!("/ho-so/{code}"))).send().await.unwrap().status(), 404);

    // Signing out needs the token too, and ends the session.
    let html = b.get(app.url("/ho-so")).send().await.unwrap().text().await.unwrap();
    let csrf = csrf_of(&html);
    assert_eq!(b.post(app.url("/dang-xuat")).form(&[("csrf", "x")]).send().await.unwrap().status(), 403);
    let r = b.post(app.url("/dang-xuat")).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(b.get(app.url("/ho-so")).send().await.unwrap().status(), 303);
}

/// Posts an action form found on the dossier page.
async fn act_on_page(
    app: &TestApp,
    b: &reqwest::Client,
    code: &str,
    action: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let html = b.get(app.url(&format!("/ho-so/{code}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(&format!("name=\"action\" value=\"{action}\"")), "the page offers {action}");
    let mut form = reqwest::multipart::Form::new().text("csrf", csrf_of(&html)).text("action", action.to_owned());
    for (k, v) in extra {
        form = form.text(k.to_string(), v.to_string());
    }
    b.post(app.url(&format!("/ho-so/{code}/thao-tac"))).multipart(form).send().await.unwrap()
}

async fn journey_through_the_pages(app: TestApp) {
    // The citizen finds the procedure, opens the form and submits with a file.
    let citizen = browser();
    sign_in(&app, &citizen, "congdan").await;
    let html = citizen.get(app.url("/thu-tuc/1.004873")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("href=\"/nop-ho-so/1.004873\""));
    let html = citizen.get(app.url("/nop-ho-so/1.004873")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("enctype=\"multipart/form-data\"") && html.contains("<label for=\"component-0\">"));
    assert!(html.contains("Ủy ban nhân dân phường Hạ Long"), "commune choice");
    let form = |csrf: String| {
        reqwest::multipart::Form::new()
            .text("csrf", csrf)
            .text("org", "000.00.37.H22")
            .text("address", "Tổ 3, khu 5, phường Hạ Long")
            .text("do", "review")
            .part("component-0", reqwest::multipart::Part::bytes(b"%PDF-1.4 to khai".to_vec()).file_name("to-khai.pdf"))
            .part("component-1", reqwest::multipart::Part::bytes(Vec::new()).file_name(""))
    };
    let r = citizen.post(app.url("/nop-ho-so/1.004873")).multipart(form("0".repeat(64))).send().await.unwrap();
    assert_eq!(r.status(), 403, "CSRF token required");
    // Continuing with a required paper missing: the form again, the missing paper listed at the
    // top and linked to its field, the field marked (GOV.UK's error summary); what was given is
    // kept in a draft.
    let r = citizen.post(app.url("/nop-ho-so/1.004873")).multipart(form(csrf_of(&html))).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(html.contains("<title>Lỗi: Nộp hồ sơ trực tuyến") && html.contains("class=\"error-summary\""), "{html}");
    assert!(html.contains("<li><a href=\"#component-2\">Cần đính kèm: Căn cước"), "{html}");
    assert!(html.contains("id=\"component-2\" name=\"component-2\" accept=\"application/pdf,image/png,image/jpeg\" aria-invalid=\"true\" aria-describedby=\"component-2-error\""));
    assert!(!html.contains("href=\"#component-0\"") && !html.contains("href=\"#component-1\""), "attached or optional");
    assert!(html.contains("Đã đính kèm: <strong>to-khai.pdf</strong>"), "kept");
    let at = html.find("name=\"nhap\" value=\"").unwrap() + 19;
    let draft = html[at..].split('"').next().unwrap().to_owned();
    // The review page, reached another way, still lists what is missing.
    let review = format!("/nop-ho-so/1.004873/xem-lai?nhap={draft}");
    let html = citizen.get(app.url(&review)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("to-khai.pdf") && html.contains("Tổ 3, khu 5, phường Hạ Long"));
    assert!(html.contains("Cần đính kèm trước khi nộp") && html.contains("Căn cước"), "the CCCD copy is missing");
    let confirm = |csrf: String, draft: String| {
        let c = &citizen;
        let url = app.url("/nop-ho-so/1.004873/xem-lai");
        async move { c.post(url).form(&[("csrf", csrf), ("nhap", draft)]).send().await.unwrap() }
    };
    assert_eq!(confirm(csrf_of(&html), draft.clone()).await.status(), 422, "required documents first");
    // The draft is listed under "my dossiers" and can be reopened with its files.
    let mine = citizen.get(app.url("/ho-so")).send().await.unwrap().text().await.unwrap();
    assert!(mine.contains(&format!("/nop-ho-so/1.004873?nhap={draft}")));
    let html =
        citizen.get(app.url(&format!("/nop-ho-so/1.004873?nhap={draft}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Đã đính kèm") && html.contains("to-khai.pdf"));
    // Another account cannot open it.
    let other = common::register(&app, "tranthibinh", "001190004567").await;
    let r =
        app.client.get(app.url(&format!("/nop-ho-so/1.004873?nhap={draft}"))).bearer_auth(&other).send().await.unwrap();
    assert_eq!(r.status(), 404, "someone else's draft");
    let add = reqwest::multipart::Form::new()
        .text("csrf", csrf_of(&html))
        .text("nhap", draft.clone())
        .text("org", "000.00.37.H22")
        .text("address", "Tổ 3, khu 5, phường Hạ Long")
        .text("do", "review")
        .text("mien", "poor_household")
        .part("component-2", reqwest::multipart::Part::bytes(b"\xFF\xD8\xFF\xE0 cccd".to_vec()).file_name("cccd.jpg"));
    let r = citizen.post(app.url("/nop-ho-so/1.004873")).multipart(add).send().await.unwrap();
    assert_eq!(r.headers()["location"].to_str().unwrap(), review, "the same draft");
    let html = citizen.get(app.url(&review)).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("Cần đính kèm trước khi nộp") && html.contains("cccd.jpg"));
    // The fee, waived for a poor household as claimed on the form.
    assert!(
        html.contains("Phí, lệ phí") && html.contains("miễn: Hộ nghèo") && html.contains("<strong>0 ₫</strong>"),
        "{html}"
    );
    let r = confirm(csrf_of(&html), draft.clone()).await;
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let code = location.trim_start_matches("/ho-so/").split('?').next().unwrap().to_owned();
    let html = citizen.get(app.url(&location)).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains("Đã nộp hồ sơ")
            && html.contains(&code)
            && html.contains("to-khai.pdf")
            && html.contains("cccd.jpg")
    );
    // A confirmation panel leads: the code large, the time limit, what happens next; withdrawing
    // is folded away below, behind its own confirmation — not the first thing offered.
    let panel = html.find("class=\"panel\"").expect("a confirmation panel");
    assert!(html[panel..].starts_with(&format!(
        "class=\"panel\" role=\"status\" aria-labelledby=\"submitted-title\">\n  <h2 id=\"submitted-title\">Đã nộp hồ sơ</h2>\n  <p>Mã hồ sơ của bạn<br><strong class=\"big-code\">{code}</strong></p>"
    )), "{html}");
    assert!(html.contains("Thời hạn giải quyết: 3 ngày làm việc kể từ khi hồ sơ được tiếp nhận"), "{html}");
    assert!(html.contains("Điều gì xảy ra tiếp theo") && html.contains(&format!("href=\"/tra-cuu?ma={code}\"")));
    let withdraw = html.find("<details class=\"later\"><summary>Rút hồ sơ…</summary>").expect("withdraw folded away");
    assert!(withdraw > panel && html[withdraw..].contains("name=\"xac_nhan\""), "and confirmed");
    assert!(!html[..withdraw].contains("value=\"withdraw\""), "no withdraw button before it");
    // Each file under the paper it answers, its type in words (not "application/pdf").
    assert!(html.contains("<strong>Tờ khai cấp Giấy xác nhận tình trạng hôn nhân</strong>: <a "), "{html}");
    assert!(!html.contains("(application/pdf)") && html.contains("PDF"), "{html}");
    // The receipt carries the dossier's QR code (its content is unit-tested in forms.rs).
    assert!(html.contains("<figure class=\"qr\"><svg"), "QR code on the receipt");
    // Submitted once: the draft is gone, and confirming again creates nothing.
    assert_eq!(confirm(csrf_of(&html), draft.clone()).await.status(), 404);
    let mine = citizen.get(app.url("/ho-so")).send().await.unwrap().text().await.unwrap();
    assert!(!mine.contains("nhap="), "no draft left");
    assert_eq!(mine.matches("href=\"/ho-so/").count(), 1, "one dossier");
    // Signed out, the form sends you to sign in and back to it afterwards — never elsewhere.
    let visitor = browser();
    let r = visitor.get(app.url("/nop-ho-so/1.004873")).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/dang-nhap?next=%2Fnop-ho-so%2F1.004873");
    let html =
        visitor.get(app.url("/dang-nhap?next=%2Fnop-ho-so%2F1.004873")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("name=\"next\" value=\"/nop-ho-so/1.004873\""));
    let login = |next: &'static str| {
        let fields = [
            ("csrf", csrf_of(&html)),
            ("username", "congdan".to_owned()),
            ("password", common::PASSWORD.to_owned()),
            ("next", next.to_owned()),
        ];
        visitor.post(app.url("/dang-nhap")).form(&fields).send()
    };
    let r = login("//evil.example/x").await.unwrap();
    assert_eq!(r.headers()["location"], "/ho-so", "an off-site target is ignored");
    let r = login("/nop-ho-so/1.004873").await.unwrap();
    assert_eq!(r.headers()["location"], "/nop-ho-so/1.004873");
    // A procedure done in person only has no online form.
    assert_eq!(citizen.get(app.url("/nop-ho-so/2.001035")).send().await.unwrap().status(), 409);

    // Officers carry it through the five steps from the dossier page.
    let steps = [
        ("halong.motcua", "receive", "Được tiếp nhận"),
        ("halong.chuyenvien", "forward", "Đang xử lý"),
        ("halong.lanhdao", "approve", "Đang xử lý"),
        ("halong.vanthu", "sign", "Đã xử lý xong"),
        ("halong.motcua", "return_result", "Đã trả kết quả"),
    ];
    let labels = ["Tiếp nhận hồ sơ", "Chuyển bước tiếp theo", "Phê duyệt", "Ký số, đóng dấu", "Trả kết quả"];
    for ((user, action, status), label) in steps.into_iter().zip(labels) {
        let b = browser();
        sign_in(&app, &b, user).await;
        let r = act_on_page(&app, &b, &code, action, &[]).await;
        assert_eq!(r.status(), 303, "{user} {action}");
        let html =
            b.get(app.url(r.headers()["location"].to_str().unwrap())).send().await.unwrap().text().await.unwrap();
        let said = format!("Đã thực hiện: {label}.");
        assert!(html.contains(&said) && html.contains(status), "{user} {action} → {status}: says which action");
    }
    // Nothing more can be done; the public page shows the whole timeline.
    let html = citizen.get(app.url(&format!("/ho-so/{code}"))).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("name=\"action\""), "no actions left");
    let html = app.client.get(app.url(&format!("/tra-cuu?ma={code}"))).send().await.unwrap().text().await.unwrap();
    for label in [
        "Nộp hồ sơ trực tuyến",
        "Tiếp nhận hồ sơ",
        "Chuyển bước tiếp theo",
        "Phê duyệt",
        "Ký số, đóng dấu",
        "Trả kết quả",
    ] {
        assert!(html.contains(label), "{label}");
    }

    // A refusal needs its reason: the page's form asks, the server insists.
    let desk = browser();
    sign_in(&app, &desk, "halong.motcua").await;
    let token = app.token("congdan").await;
    let code2 = app.submit_online(&token).await["code"].as_str().unwrap().to_owned();
    let r = act_on_page(&app, &desk, &code2, "refuse", &[("reason", " ")]).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("Cần nêu lý do từ chối"));
    let r = act_on_page(&app, &desk, &code2, "refuse", &[("reason", "Hồ sơ không thuộc thẩm quyền")]).await;
    assert_eq!(r.status(), 303);
}

/// Real headless Chromium: renders the pages, checks what a person sees (the DOM after
/// rendering) and saves screenshots to `target/screenshots/`. Needs `chromium`; skipped with
/// a message when it is missing, unless MOTCUA_REQUIRE_CHROMIUM=1 (CI).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_in_headless_chromium() {
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| browser_command(c).arg("--version").output().is_ok_and(|o| o.status.success()));
    let Some(chromium) = chromium else {
        assert!(
            std::env::var("MOTCUA_REQUIRE_CHROMIUM").as_deref() != Ok("1"),
            "MOTCUA_REQUIRE_CHROMIUM=1 but no chromium"
        );
        eprintln!("skipping: no chromium on this machine");
        return;
    };
    let app = TestApp::spawn(motcua_store::testing::Engine::Sqlite).await.unwrap();
    let citizen = app.token("congdan").await;
    let code = app.submit_online(&citizen).await["code"].as_str().unwrap().to_owned();
    let out_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&out_dir).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let pages = [
        ("trang-chu-tim-kiem", "/?q=dang+ky+khai+sinh", "Đăng ký khai sinh"),
        ("thu-tuc", "/thu-tuc/2.000488", "200.000 ₫"),
        ("tra-cuu", &format!("/tra-cuu?ma={code}") as &str, "Mới đăng ký"),
        ("english", "/?lang=en", "Find an administrative procedure"),
    ];
    for (name, path, expected) in pages {
        let url = app.url(path);
        let run = |extra: &[String]| {
            let chromium = chromium.to_owned();
            let mut args: Vec<String> = [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            args.push(format!("--user-data-dir={}", profile.path().display()));
            args.extend_from_slice(extra);
            args.push(url.clone());
            async move {
                tokio::task::spawn_blocking(move || browser_command(chromium).args(args).output())
                    .await
                    .unwrap()
                    .unwrap()
            }
        };
        let dom = run(&["--dump-dom".to_owned()]).await;
        let dom = String::from_utf8_lossy(&dom.stdout);
        assert!(dom.contains(expected), "{name}: rendered page lacks {expected}");
        let shot = out_dir.join(format!("{name}.png"));
        let _ = std::fs::remove_file(&shot);
        run(&["--window-size=1100,1300".to_owned(), format!("--screenshot={}", shot.display())]).await;
        assert!(std::fs::metadata(&shot).is_ok_and(|m| m.len() > 10_000), "{name}: screenshot written");
    }
}

/// Runs `e2e/SCRIPT` with node against `app`, screenshots to `target/screenshots`; `None`
/// when node, chromium or the e2e modules are missing (a failure if MOTCUA_REQUIRE_CHROMIUM=1).
pub(crate) async fn run_e2e(app: &TestApp, script: &str) -> Option<String> {
    run_e2e_with(app, script, Vec::new()).await
}

/// As [`run_e2e`], with environment variables for the script.
pub(crate) async fn run_e2e_with(app: &TestApp, script: &str, env: Vec<(&'static str, String)>) -> Option<String> {
    let e2e = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../e2e");
    let has = |cmd: &str| browser_command(cmd).arg("--version").output().is_ok_and(|o| o.status.success());
    let ready = e2e.join("node_modules/playwright-core").exists() && has("node") && has("chromium");
    if !ready {
        assert!(
            std::env::var("MOTCUA_REQUIRE_CHROMIUM").as_deref() != Ok("1"),
            "MOTCUA_REQUIRE_CHROMIUM=1 but node, chromium or e2e/node_modules is missing (scripts/test installs the last)"
        );
        eprintln!("skipping: needs node, chromium and e2e/node_modules");
        return None;
    }
    let out_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    let (base, script) = (app.base.clone(), e2e.join(script));
    let out = tokio::task::spawn_blocking(move || {
        browser_command("node").arg(script).arg(base).arg(out_dir).envs(env).output()
    })
    .await
    .unwrap()
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    Some(stdout)
}

/// Every page of the journeys, opened by whoever uses it, fits a 390 px phone without
/// sideways scrolling (and a 1366 px desktop), and axe-core finds no violation on it
/// (`e2e/widths.mjs`; screenshots of pages too wide go to `target/screenshots/width-*.png`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_fits_a_phone_in_chromium() {
    let app = TestApp::spawn(motcua_store::testing::Engine::Sqlite).await.unwrap();
    // A dossier with a paper, so the citizen's form offers stored papers, and its declaration
    // filled in online, so its pages show that too.
    let token = app.token("congdan").await;
    let address = json!({"province": "22", "commune": "06688", "detail": "Số 5, phố Lê Thánh Tông, tổ 3, khu 4"});
    let declaration = json!({
        "nguoi_yeu_cau": "Nguyễn Văn An", "so_dinh_danh_nguoi_yeu_cau": "022090001234", "noi_cu_tru": address,
        "quan_he": "Bản thân", "ho_ten": "Nguyễn Văn An", "ngay_sinh": "05/03/1990", "gioi_tinh": "Nam",
        "dan_toc": "Kinh", "quoc_tich": "Việt Nam", "so_dinh_danh": "022090001234",
        "noi_cu_tru_nguoi_duoc_cap": address, "tinh_trang": "Đã đăng ký kết hôn nhưng đã ly hôn",
        "muc_dich": "Để làm thủ tục đăng ký kết hôn với bà Trần Thị Cúc tại Ủy ban nhân dân phường Bãi Cháy", "so_ban": 1
    });
    let form = reqwest::multipart::Form::new()
        .text(
            "dossier",
            json!({"procedure": "1.004873", "org": "000.00.37.H22", "declaration": declaration}).to_string(),
        )
        .part(
            "component-0",
            reqwest::multipart::Part::bytes(b"%PDF-1.4 to khai".to_vec())
                .file_name("to-khai-tinh-trang-hon-nhan-rat-dai-ten-tep.pdf"),
        );
    let r = app.client.post(app.url("/api/v1/dossiers")).bearer_auth(&token).multipart(form).send().await.unwrap();
    let (s, v) = common::json(r).await;
    assert_eq!(s, 201, "{v}");
    let fixtures = json!({
        "dossier": v["code"],
        "centre": app.org_of("halong.motcua").await,
        "ubnd": app.org_of("halong.chuyenvien").await,
        "point": "halong-dat-dai",
    });
    // The second factor's pages: a leader whose organisation asks for one (the demo does not).
    let stp = motcua_domain::OrgCode::parse(&app.org_of("stp.lanhdao").await).unwrap();
    let leaders = [motcua_domain::Role::Leader];
    app.db.store.set_second_factor_policy(&stp, &leaders, jiff::Timestamp::now()).await.unwrap();
    let env = vec![("MOTCUA_PAGES", fixtures.to_string()), ("MOTCUA_SECOND_FACTOR", "stp.lanhdao".to_owned())];
    if let Some(stdout) = run_e2e_with(&app, "widths.mjs", env).await {
        assert!(stdout.contains("widths ok"), "{stdout}");
        assert!(stdout.contains("stp.lanhdao /dang-nhap/xac-thuc (recovery codes)"), "{stdout}");
    }
}

/// A citizen on a phone fills in a declaration online and submits without uploading it
/// (`e2e/eform.mjs`: labels, the error summary's link, axe-core and width at 390 px); the
/// dossier keeps the answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declaration_is_filled_in_on_a_phone_in_chromium() {
    let app = TestApp::spawn(motcua_store::testing::Engine::Sqlite).await.unwrap();
    if let Some(stdout) = run_e2e(&app, "eform.mjs").await {
        let code = stdout.trim().rsplit("eform ok ").next().unwrap_or_default().trim().to_owned();
        assert!(stdout.contains("eform ok"), "{stdout}");
        let token = app.token("congdan").await;
        let (s, d) = common::json(app.get_as(&format!("/api/v1/dossiers/{code}"), &token).await).await;
        assert_eq!(s, 200, "{d}");
        assert_eq!(d["declaration"]["answers"]["tinh_trang"], "Chưa kết hôn với ai");
    }
}

/// Stands in for the citizen's phone: writes the first one-time code the server sends (an
/// SMS whose topic starts with `prefix`) into `target/screenshots/<file>`, where the browser
/// script waits for it.
fn relay_code(app: &TestApp, prefix: &'static str, file: &str) -> tokio::task::JoinHandle<()> {
    let out_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&out_dir).unwrap();
    let otp_file = out_dir.join(file);
    let _ = std::fs::remove_file(&otp_file);
    let store = app.db.store.clone();
    tokio::spawn(async move {
        for _ in 0..600 {
            let notes = store.messages_about(prefix).await.unwrap();
            if let Some(sms) = notes.iter().find(|n| n.note.channel == "sms") {
                let code: String =
                    sms.note.body.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).unwrap().into();
                std::fs::write(&otp_file, code).unwrap();
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    })
}

/// The whole journey by clicks in headless Chromium (`e2e/journey.mjs`, playwright-core driving
/// Debian's chromium): search without diacritics, open the procedure, sign in, submit with an
/// attachment, five officers take the five steps, the citizen sees it returned, the public
/// page shows the timeline. Screenshots go to `target/screenshots/e2e-*.png`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journey_by_clicks_in_chromium() {
    let app = TestApp::spawn(motcua_store::testing::Engine::Sqlite).await.unwrap();
    // The journey sends an official document from the Department of Justice to the ward.
    let (stp, halong) = (app.org_of("stp.vanthu").await, app.org_of("halong.vanthu").await);
    app.enable_exchange(&[&stp, &halong]).await;
    let phone = relay_code(&app, "otp:reg:", "register-otp.txt");
    if let Some(stdout) = run_e2e(&app, "journey.mjs").await {
        assert!(stdout.contains("journey ok"), "{stdout}");
    }
    phone.abort();
}

/// The operations centre in headless Chromium (`e2e/ioc.mjs`): charts drawn on the server, then
/// a dossier submitted through the API shows up on the open page without a reload (server-sent
/// events), with no console error or blocked resource.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_centre_refreshes_live_in_chromium() {
    let app = TestApp::spawn(motcua_store::testing::Engine::Sqlite).await.unwrap();
    if let Some(stdout) = run_e2e(&app, "ioc.mjs").await {
        assert!(stdout.contains("ioc ok"), "{stdout}");
    }
}

async fn get_html(app: &TestApp, b: &reqwest::Client, path: &str) -> (u16, String) {
    let r = b.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn register_page(app: TestApp) {
    let b = browser();
    let (s, html) = get_html(&app, &b, "/dang-ky?next=%2Fnop-ho-so%2F1.004873").await;
    assert_eq!(s, 200);
    for label in ["<label for=\"cccd\">", "<label for=\"password2\">", "name=\"next\" value=\"/nop-ho-so/1.004873\""] {
        assert!(html.contains(label), "{label}");
    }
    let fields = |csrf: &str, cccd: &str, password2: &str| {
        vec![
            ("csrf", csrf.to_owned()),
            ("full_name", "Trần Thị Bình".to_owned()),
            ("cccd", cccd.to_owned()),
            ("phone", "0912345678".to_owned()),
            ("email", String::new()),
            ("username", "tranthibinh".to_owned()),
            ("password", "Mat-khau-2025".to_owned()),
            ("password2", password2.to_owned()),
            ("next", "/nop-ho-so/1.004873".to_owned()),
        ]
    };
    let csrf = csrf_of(&html);
    let post = |f: Vec<(&'static str, String)>| b.post(app.url("/dang-ky")).form(&f).send();
    let r = post(fields(&csrf, "001190004567", "khac-nhau-2025")).await.unwrap();
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Hai lần nhập mật khẩu không khớp") && html.contains("value=\"Trần Thị Bình\""),
        "kept what was typed"
    );
    assert!(!html.contains("Mat-khau-2025"), "never echoes the password");
    let r = post(fields(&csrf, "0011900", "Mat-khau-2025")).await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("căn cước"));
    // The demo citizen's CCCD is taken.
    let demo_cccd = common::json(app.get_as("/api/v1/me", &app.token("congdan").await).await).await.1["cccd"]
        .as_str()
        .unwrap()
        .to_owned();
    // ... but the answer does not say so: the same code page, and no code is sent.
    let r = post(fields(&csrf, &demo_cccd, "Mat-khau-2025")).await.unwrap();
    assert_eq!(r.status(), 200);
    let taken = r.text().await.unwrap();
    assert!(common::registration_code(&app, "0912345678").await.is_none());
    let r = post(fields(&csrf, "001190004567", "Mat-khau-2025")).await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let strip = |h: &str| h.split("name=\"challenge\"").next().unwrap_or_default().to_owned();
    assert_eq!(strip(&taken), strip(&html), "the same page up to the challenge");
    assert!(html.contains("09******78") && html.contains("name=\"code\""), "{html}");
    let at = html.find("name=\"challenge\" value=\"").unwrap() + "name=\"challenge\" value=\"".len();
    let challenge = html[at..at + 48].to_owned();
    let code = common::registration_code(&app, "0912345678").await.expect("the code went to the phone");
    let confirm = |code: String| {
        let f = vec![
            ("csrf", csrf.clone()),
            ("challenge", challenge.clone()),
            ("code", code),
            ("phone", "09******78".to_owned()),
            ("next", "/nop-ho-so/1.004873".to_owned()),
        ];
        b.post(app.url("/dang-ky/xac-nhan")).form(&f).send()
    };
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = confirm(wrong.to_owned()).await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("còn 4 lần"));
    let r = confirm(code).await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/nop-ho-so/1.004873", "signed in and back where they were going");
    let (s, html) = get_html(&app, &b, "/nop-ho-so/1.004873").await;
    assert_eq!(s, 200);
    assert!(html.contains("Trần Thị Bình"), "the form is prefilled from the new account");
}

async fn counter_reception_and_inbox_filters(app: TestApp) {
    for (user, status) in [("halong.chuyenvien", 403), ("halong.motcua", 200)] {
        let b = browser();
        sign_in(&app, &b, user).await;
        assert_eq!(get_html(&app, &b, "/quay/tiep-nhan").await.0, status, "{user}");
    }
    let citizen = browser();
    sign_in(&app, &citizen, "congdan").await;
    assert_eq!(get_html(&app, &citizen, "/quay/tiep-nhan").await.0, 403);

    let desk = browser();
    sign_in(&app, &desk, "halong.motcua").await;
    let (_, html) = get_html(&app, &desk, "/quay/tiep-nhan").await;
    let choice = "1.004873|000.00.37.H22|001.00.37.H22";
    assert!(html.contains(&format!("value=\"{choice}\"")), "the commune's procedures are offered");
    assert!(!html.contains("000.00.56.H22"), "not another commune's");
    let form = |csrf: String, choice: &str, name: &str| {
        reqwest::multipart::Form::new()
            .text("csrf", csrf)
            .text("choice", choice.to_owned())
            .text("full_name", name.to_owned())
            .text("cccd", "022088001122")
            .text("channel", "post")
            .part("component-0", reqwest::multipart::Part::bytes(b"%PDF-1.4 to khai".to_vec()).file_name("to-khai.pdf"))
    };
    // The procedure first; then the form asks for its papers, one input each.
    assert!(!html.contains("type=\"file\""), "no files before the procedure is chosen");
    let (_, html) = get_html(&app, &desk, &format!("/quay/tiep-nhan?thu-tuc={}", urlencode(choice))).await;
    assert!(
        html.contains("<label for=\"component-0\">Tờ khai cấp Giấy xác nhận tình trạng hôn nhân *</label>"),
        "{html}"
    );
    assert!(html.contains(&format!("name=\"choice\" value=\"{choice}\"")) && !html.contains("Tệp 1"));
    let (_, other_html) =
        get_html(&app, &desk, "/quay/tiep-nhan?thu-tuc=1.004873%7C000.00.56.H22%7C001.00.56.H22").await;
    assert!(!other_html.contains("type=\"file\""), "a choice not offered is not taken");
    // A choice not offered to this desk (another commune) is refused, and so is a bad name.
    let other = "1.004873|000.00.56.H22|001.00.56.H22";
    let r = desk
        .post(app.url("/quay/tiep-nhan"))
        .multipart(form(csrf_of(&html), other, "Đỗ Văn Minh"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = desk.post(app.url("/quay/tiep-nhan")).multipart(form(csrf_of(&html), choice, " ")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let r = desk
        .post(app.url("/quay/tiep-nhan"))
        .multipart(form(csrf_of(&html), choice, "Đỗ Văn Minh"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let code = location.trim_start_matches("/ho-so/").split('?').next().unwrap().to_owned();
    let (_, html) = get_html(&app, &desk, &location).await;
    for text in ["Đỗ Văn Minh", "Bưu chính", "Được tiếp nhận", "/dossiers/", "/forms/01", "to-khai.pdf"] {
        assert!(html.contains(text), "{text}");
    }
    assert!(
        html.contains("<strong>Tờ khai cấp Giấy xác nhận tình trạng hôn nhân</strong>: <a "),
        "filed under its paper"
    );
    // Received: now in the specialist's inbox; filters narrow it.
    let specialist = browser();
    sign_in(&app, &specialist, "halong.chuyenvien").await;
    let (_, inbox) = get_html(&app, &specialist, "/ho-so").await;
    assert!(inbox.contains(&code) && inbox.contains("Đỗ Văn Minh"));
    assert!(inbox.contains("<option value=\"appraise\""), "step filter offered");
    for (query, present) in [
        ("?tt=2", true),
        ("?tt=4", false),
        ("?buoc=appraise", true),
        ("?buoc=approve", false),
        ("?han=qua-han", false),
        ("?linh_vuc=khong-co", false),
    ] {
        let (s, html) = get_html(&app, &specialist, &format!("/ho-so{query}")).await;
        assert_eq!(s, 200, "{query}");
        assert_eq!(html.contains(&code), present, "{query}");
    }
    // The field of the procedure keeps it; another field does not.
    let (_, p) = common::json(app.get("/api/v1/procedures/1.004873").await).await;
    let field = p["field"]["code"].as_str().unwrap().to_owned();
    let (_, html) = get_html(&app, &specialist, &format!("/ho-so?linh_vuc={field}")).await;
    assert!(html.contains(&code));
    let (_, p) = common::json(app.get("/api/v1/procedures/1.001193").await).await;
    let other_field = p["field"]["code"].as_str().unwrap().to_owned();
    if other_field != field {
        let (_, html) = get_html(&app, &specialist, &format!("/ho-so?linh_vuc={other_field}")).await;
        assert!(!html.contains(&code));
    }
    // The desk no longer has it waiting, but finds it among all its unit's dossiers by the code
    // (or its end, as read off a paper), the applicant's name with or without diacritics, or CCCD.
    let (_, inbox) = get_html(&app, &desk, "/ho-so").await;
    assert!(inbox.contains("<input type=\"search\" id=\"tim\" name=\"tim\"") && !inbox.contains(&code));
    let tail = &code[code.len() - 11..];
    for words in [code.as_str(), tail, "Đỗ Văn Minh", "do van minh", "DO VAN", "022088001122"] {
        let (s, html) = get_html(&app, &desk, &format!("/ho-so?tim={}", urlencode(words))).await;
        assert_eq!(s, 200, "{words}");
        assert!(html.contains(&format!("href=\"/ho-so/{code}\"")), "{words}: {html}");
    }
    // LIKE's wildcards are matched literally; unknown people find nothing; other units see nothing.
    for words in ["%", "_", "nguyen van khong", "022088009999"] {
        let (_, html) = get_html(&app, &desk, &format!("/ho-so?tim={}", urlencode(words))).await;
        assert!(!html.contains(&code), "{words}");
    }
    let elsewhere = browser();
    sign_in(&app, &elsewhere, "cat.motcua").await;
    let (_, html) = get_html(&app, &elsewhere, "/ho-so?tim=022088001122").await;
    assert!(!html.contains(&code), "another unit's officer does not find it");
    // The JSON API searches the same way; words are bounded.
    let token = app.token("halong.motcua").await;
    let (s, v) = common::json(app.get_as("/api/v1/dossiers?scope=all&q=do%20van%20minh", &token).await).await;
    assert_eq!((s, v["total"].as_i64(), v["items"][0]["code"].as_str()), (200, Some(1), Some(code.as_str())), "{v}");
    let long = "a".repeat(101);
    common::assert_error(app.get_as(&format!("/api/v1/dossiers?q={long}"), &token).await, 400, "invalid_query").await;
    // The operations centre's "overdue" figure links to the overdue dossiers of the viewer's units.
    let (_, ioc) = get_html(&app, &desk, "/ioc").await;
    assert!(ioc.contains("href=\"/ho-so?pham-vi=tat-ca&#38;han=qua-han\""), "{ioc}");
    let (s, html) = get_html(&app, &desk, "/ho-so?pham-vi=tat-ca").await;
    assert!(s == 200 && html.contains("Mọi hồ sơ của đơn vị") && html.contains(&code), "all of the unit's dossiers");
    let (_, html) = get_html(&app, &desk, "/ho-so?pham-vi=tat-ca&han=qua-han").await;
    assert!(!html.contains(&code), "not overdue");
}

async fn administration_is_scoped(app: TestApp) {
    let citizen = browser();
    sign_in(&app, &citizen, "congdan").await;
    assert_eq!(get_html(&app, &citizen, "/quan-tri").await.0, 403);
    let desk = browser();
    sign_in(&app, &desk, "halong.motcua").await;
    assert_eq!(get_html(&app, &desk, "/quan-tri").await.0, 403);

    // A commune's administrator sees their committee and its centre, not other communes.
    let local = browser();
    sign_in(&app, &local, "halong.quantri").await;
    let (s, html) = get_html(&app, &local, "/quan-tri").await;
    assert_eq!(s, 200);
    assert!(html.contains("000.00.37.H22") && html.contains("001.00.37.H22"));
    assert!(!html.contains("000.00.56.H22") && !html.contains("000.00.00.H22"));
    assert_eq!(get_html(&app, &local, "/quan-tri/can-bo?org=000.00.56.H22").await.0, 403);
    assert_eq!(get_html(&app, &local, "/quan-tri/thu-tuc").await.0, 403, "province-wide settings");
    assert_eq!(get_html(&app, &local, "/quan-tri/ngay-nghi").await.0, 403);

    // Add a desk officer at the commune centre; they can sign in and work there.
    let (_, html) = get_html(&app, &local, "/quan-tri/can-bo?org=001.00.37.H22").await;
    assert!(html.contains("halong.motcua"));
    let add = |csrf: &str, roles: &[&str]| {
        let mut f = vec![
            ("csrf", csrf.to_owned()),
            ("org", "001.00.37.H22".to_owned()),
            ("username", "halong.motcua2".to_owned()),
            ("full_name", "Lý Thu Hà".to_owned()),
            ("email", String::new()),
            ("password", "Mot-cua-2025".to_owned()),
        ];
        f.extend(roles.iter().map(|r| ("role", r.to_string())));
        local.post(app.url("/quan-tri/can-bo")).form(&f).send()
    };
    assert_eq!(add("x", &["desk_officer"]).await.unwrap().status(), 403, "CSRF");
    assert_eq!(add(&csrf_of(&html), &[]).await.unwrap().status(), 400, "a role is needed");
    let r = add(&csrf_of(&html), &["desk_officer", "clerk"]).await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(add(&csrf_of(&html), &["desk_officer"]).await.unwrap().status(), 409, "username taken");
    let (s, login) = common::json(app.login("halong.motcua2", "Mot-cua-2025").await).await;
    assert_eq!(s, 200);
    let token = login["token"].as_str().unwrap().to_owned();
    let (_, me) = common::json(app.get_as("/api/v1/me", &token).await).await;
    let mut roles: Vec<&str> = me["roles"].as_array().unwrap().iter().map(|r| r["role"].as_str().unwrap()).collect();
    roles.sort_unstable();
    assert_eq!(roles, vec!["clerk", "desk_officer"]);

    // Roles replaced from the page; then the account is locked and cannot sign in.
    fn form(csrf: &str, extra: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
        let mut f = vec![("csrf", csrf.to_owned()), ("org", "001.00.37.H22".to_owned())];
        f.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        f
    }
    let csrf = csrf_of(&html);
    let r = local
        .post(app.url("/quan-tri/can-bo/halong.motcua2/vai-tro"))
        .form(&form(&csrf, &[("role", "desk_officer")]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, me) = common::json(app.get_as("/api/v1/me", &token).await).await;
    assert_eq!(me["roles"].as_array().unwrap().len(), 1);
    // The officer forgot the password: the administrator sets a new one; sessions end.
    assert!(html.contains("action=\"/quan-tri/can-bo/mat-khau\""), "the staff page offers it");
    let set = |csrf: &str, user: &str, password: &str| {
        let f = form(csrf, &[("username", user), ("password", password)]);
        local.post(app.url("/quan-tri/can-bo/mat-khau")).form(&f).send()
    };
    let r = set(&csrf, "halong.motcua2", "ngan").await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("Mật khẩu"), "the staff page says what the password lacks");
    assert_eq!(app.get_as("/api/v1/me", &token).await.status(), 200, "a refused password ends nothing");
    assert_eq!(set("x", "halong.motcua2", "Mat-khau-moi-2026").await.unwrap().status(), 403, "without its token");
    assert_eq!(set(&csrf, "halong.quantri", "Mat-khau-moi-2026").await.unwrap().status(), 409, "not one's own");
    assert_eq!(set(&csrf, "tienyen.motcua", "Mat-khau-moi-2026").await.unwrap().status(), 403, "not another unit's");
    assert_eq!(set(&csrf, "halong.motcua2", "Mat-khau-moi-2026").await.unwrap().status(), 303);
    assert_eq!(app.get_as("/api/v1/me", &token).await.status(), 401, "the officer's sessions ended");
    assert_eq!(app.login("halong.motcua2", "Mot-cua-2025").await.status(), 401);
    assert_eq!(app.login("halong.motcua2", "Mat-khau-moi-2026").await.status(), 200);
    let r = local
        .post(app.url("/quan-tri/can-bo/halong.motcua2/khoa"))
        .form(&form(&csrf, &[("lock", "1")]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(app.login("halong.motcua2", "Mat-khau-moi-2026").await.status(), 403);
    // Nobody locks themselves out, nor touches staff of an organisation they do not manage.
    let r = local
        .post(app.url("/quan-tri/can-bo/halong.quantri/khoa"))
        .form(&form(&csrf, &[("lock", "1")]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409, "not oneself");
    assert_eq!(app.login("halong.quantri", common::PASSWORD).await.status(), 200);
    let other = vec![("csrf", csrf.clone()), ("org", "001.00.56.H22".to_owned()), ("lock", "1".to_owned())];
    let r = local.post(app.url("/quan-tri/can-bo/tienyen.motcua/khoa")).form(&other).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(app.login("tienyen.motcua", common::PASSWORD).await.status(), 200);

    // The province's administrator: organisations, workflows and holidays.
    let province = browser();
    sign_in(&app, &province, "tinh.quantri").await;
    let (_, html) = get_html(&app, &province, "/quan-tri").await;
    assert!(html.contains("000.00.56.H22") && html.contains("Thêm hoặc sửa cơ quan"), "every organisation");
    let org = |csrf: &str, code: &str, unit: &str, parent: &str| {
        let f = [
            ("csrf", csrf.to_owned()),
            ("code", code.to_owned()),
            ("name", "Ban Quản lý Khu kinh tế Quảng Ninh".to_owned()),
            ("kind", "department".to_owned()),
            ("unit", unit.to_owned()),
            ("parent", parent.to_owned()),
        ];
        (province.post(app.url("/quan-tri")).form(&f).send(), local.post(app.url("/quan-tri")).form(&f).send())
    };
    let csrf = csrf_of(&html);
    let local_csrf = csrf_of(&get_html(&app, &local, "/quan-tri").await.1);
    assert_eq!(
        org(&local_csrf, "000.00.19.H22", "22", "000.00.00.H22").1.await.unwrap().status(),
        403,
        "province only"
    );
    assert_eq!(org(&csrf, "000.00.19.H22", "99999", "").0.await.unwrap().status(), 422, "unknown unit");
    assert_eq!(org(&csrf, "000.00.19.H22", "22", "000.00.19.H22").0.await.unwrap().status(), 400, "not under itself");
    assert_eq!(org(&csrf, "không hợp lệ", "22", "").0.await.unwrap().status(), 400);
    assert_eq!(org(&csrf, "000.00.19.H22", "22", "000.00.00.H22").0.await.unwrap().status(), 303);
    let (s, o) = common::json(app.get("/api/v1/organisations/000.00.19.H22").await).await;
    assert_eq!(
        (s, o["name"].as_str(), o["parent"].as_str()),
        (200, Some("Ban Quản lý Khu kinh tế Quảng Ninh"), Some("000.00.00.H22"))
    );
    let (s, html) = get_html(&app, &province, "/quan-tri/thu-tuc").await;
    assert_eq!(s, 200);
    assert!(html.contains("5-buoc") && html.contains("1.004873"));
    let (s, html) = get_html(&app, &province, "/quan-tri/ngay-nghi").await;
    assert_eq!(s, 200);
    assert!(html.contains("Giỗ Tổ Hùng Vương") || html.contains("Hùng"), "statutory holidays listed");
    let csrf = csrf_of(&html);
    let day = |date: &str| {
        let f = [
            ("csrf", csrf.clone()),
            ("date", date.to_owned()),
            ("kind", "off".to_owned()),
            ("name", "Nghỉ bù".to_owned()),
        ];
        province.post(app.url("/quan-tri/ngay-nghi")).form(&f).send()
    };
    assert_eq!(day("31/12/2026").await.unwrap().status(), 400, "the date input gives yyyy-mm-dd");
    assert_eq!(day("2026-12-31").await.unwrap().status(), 303);
    let (_, list) = common::json(app.get("/api/v1/calendar/adjustments").await).await;
    assert!(list.as_array().unwrap().iter().any(|a| a["date"] == "2026-12-31" && a["kind"] == "off"), "{list}");
    let (_, html) = get_html(&app, &province, "/quan-tri/ngay-nghi").await;
    assert!(html.contains("31/12/2026"));
}

async fn previews_cannot_run_scripts(app: TestApp) {
    let token = app.token("congdan").await;
    let png = b"\x89PNG\r\n\x1a\n0000IHDR".to_vec();
    let form = reqwest::multipart::Form::new()
        .text("dossier", json!({"procedure": "1.004873", "org": "000.00.37.H22"}).to_string())
        .part("file", reqwest::multipart::Part::bytes(png).file_name("anh.png"));
    let r = app.client.post(app.url("/api/v1/dossiers")).bearer_auth(&token).multipart(form).send().await.unwrap();
    let code = r.json::<serde_json::Value>().await.unwrap()["code"].as_str().unwrap().to_owned();
    let desk = app.token("halong.motcua").await;
    let r = app.get_as(&format!("/api/v1/dossiers/{code}/attachments/1?inline=true"), &desk).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"].to_str().unwrap().starts_with("inline;"));
    assert!(r.headers()["content-security-policy"].to_str().unwrap().starts_with("sandbox"));
    assert_eq!(r.headers()["content-type"], "image/png");
    let r = app.get_as(&format!("/api/v1/dossiers/{code}/attachments/1"), &desk).await;
    assert!(r.headers()["content-disposition"].to_str().unwrap().starts_with("attachment;"));
    // The officer's page offers the preview; the applicant's page does not need one.
    let b = browser();
    sign_in(&app, &b, "halong.motcua").await;
    let (_, html) = get_html(&app, &b, &format!("/ho-so/{code}")).await;
    assert!(html.contains("attachments/1?inline=true") && html.contains("<img class=\"preview\""));
}

async fn assistant_page(app: TestApp) {
    let (s, html) = page(&app, "/tro-ly").await;
    assert_eq!(s, 200);
    assert!(html.contains("<label for=\"hoi\">") && !html.contains("class=\"bubble"), "just the form");
    let (s, html) = page(&app, "/tro-ly?hoi=l%C3%A0m+l%E1%BA%A1i+b%E1%BA%B1ng+l%C3%A1i").await;
    assert_eq!(s, 200);
    for part in [
        "làm lại bằng lái",
        "Thủ tục phù hợp: Cấp lại giấy phép lái xe",
        "135.000 ₫",
        "href=\"/nop-ho-so/1.002809\"",
        "href=\"/thu-tuc/1.002809\"",
    ] {
        assert!(html.contains(part), "{part}");
    }
    // The way on is the button, not a path written out in the answer.
    assert!(!html.contains(">/nop-ho-so/") && !html.contains(" /nop-ho-so/"), "{html}");
    // Several fit: it answers for the one a citizen files and names the other in a line —
    // without match scores, which mean nothing to a citizen; the form carries the procedure
    // to the next question (a follow-up works without scripts).
    let (_, html) = page(&app, "/tro-ly?hoi=ly+lich+tu+phap").await;
    assert!(html.contains("Nếu bạn cần") && html.contains("href=\"/thu-tuc/2.000505\""), "{html}");
    assert!(html.contains("name=\"truoc\" value=\"ly lich tu phap\""), "{html}");
    assert!(!html.contains("%)"), "{html}");
    let (_, html) = page(&app, "/tro-ly?hoi=c%C3%B2n+l%E1%BB%87+ph%C3%AD+th%C3%AC+sao&thu_tuc=2.000488").await;
    assert!(
        html.contains("Lệ phí thủ tục «Cấp Phiếu lý lịch tư pháp cho công dân") && html.contains("200.000 ₫"),
        "{html}"
    );
    // In English the answer's own words are English, durations included; the catalog's stay.
    let (_, html) = page(&app, "/tro-ly?hoi=l%C3%A0m+l%E1%BA%A1i+b%E1%BA%B1ng+l%C3%A1i&lang=en").await;
    for part in [
        "The procedure: Cấp lại giấy phép lái xe",
        "Papers to prepare:",
        "Time limit: 5 working days",
        "online only 115.000 ₫",
    ] {
        assert!(html.contains(part), "{part}: {html}");
    }
    assert!(!html.contains("Thời hạn giải quyết") && !html.contains("ngày làm việc"), "{html}");
    let (_, html) = page(&app, "/tro-ly?hoi=ly+lich+tu+phap&lang=en").await;
    assert!(html.contains("If you mean") && html.contains("(code 2.000505)"), "{html}");
    // Markup in a question is shown as text.
    let (_, html) = page(&app, "/tro-ly?hoi=%3Cscript%3Ealert(1)%3C%2Fscript%3E+khai+sinh").await;
    assert!(!html.contains("<script>alert(1)") && html.contains("alert(1)"), "escaped, still shown");
    let long = "a".repeat(1200);
    let (s, html) = page(&app, &format!("/tro-ly?hoi={long}")).await;
    assert_eq!(s, 400);
    assert!(html.contains("Câu hỏi phải có từ 1 đến 1.000 ký tự"));
}

/// Registers, composing (multipart with a file), reading with the timeline, and the
/// recipient's action, through the pages.
async fn document_pages(app: TestApp) {
    let stp = app.org_of("stp.vanthu").await;
    let halong = app.org_of("halong.vanthu").await;
    app.enable_exchange(&[&stp, &halong]).await;
    let b = browser();
    assert_eq!(sign_in(&app, &b, "stp.vanthu").await.status(), 303);
    let (s, html) = get_html(&app, &b, "/van-ban?so=di").await;
    assert_eq!(s, 200);
    assert!(html.contains("Sổ văn bản đi") && html.contains("Chưa có văn bản nào"), "{html}");
    let (s, html) = get_html(&app, &b, "/van-ban/soan").await;
    assert_eq!(s, 200);
    assert!(html.contains("<label for=\"subject\">") && html.contains(&format!("value=\"{halong}\"")));
    let csrf = csrf_of(&html);
    let marker = "name=\"form_key\" value=\"";
    let at = html.find(marker).expect("the form's key") + marker.len();
    let form_key = html[at..at + html[at..].find('"').unwrap()].to_owned();
    assert_eq!(form_key.len(), 32, "a fresh random key: {form_key}");
    let form = |subject: &str, to: &str| {
        reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .text("form_key", form_key.clone())
            .text("from", stp.clone())
            .text("to", to.to_owned())
            .text("document_type", "Giấy mời")
            .text("notation", "GM-STP")
            .text("subject", subject.to_owned())
            .text("content", "Kính mời dự họp <b>giao ban</b>.")
            .text("signer_name", "Phạm Quang Huy")
            .text("priority", "2")
            .text("due_date", "")
            .part("file", reqwest::multipart::Part::bytes(b"%PDF-1.4 moi hop".to_vec()).file_name("giay-moi.pdf"))
    };
    // Refused input is shown again with the reason, keeping what was typed.
    let r = b.post(app.url("/van-ban/soan")).multipart(form("", &halong)).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("role=\"alert\"") && html.contains("GM-STP"), "{html}");
    // Sent: the page of the new document.
    let r = b
        .post(app.url("/van-ban/soan"))
        .multipart(form("Mời họp giao ban chuyển đổi số", &halong))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/van-ban/"), "{location}");
    // "Gửi" pressed again (or the answer lost and the form resent): the same document.
    let r = b
        .post(app.url("/van-ban/soan"))
        .multipart(form("Mời họp giao ban chuyển đổi số", &halong))
        .send()
        .await
        .unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["location"].to_str().unwrap()), (303, location.as_str()));
    // The same form edited after sending (the browser's Back): refused, said plainly.
    let r = b.post(app.url("/van-ban/soan")).multipart(form("Mời họp lần hai", &halong)).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Biểu mẫu này đã gửi một văn bản khác"));
    let (_, html) = get_html(&app, &b, "/van-ban/soan").await;
    assert!(!html.contains(&form_key), "each new form has its own key");
    let (s, html) = get_html(&app, &b, &location).await;
    assert_eq!(s, 200);
    assert!(html.contains("Giấy mời 1/GM-STP") && html.contains("Thượng khẩn") && html.contains("giay-moi.pdf"));
    assert!(!html.contains("<b>giao ban</b>") && html.contains("&#60;b&#62;giao ban"), "content is escaped");
    assert!(html.contains("Thu hồi, cập nhật, thay thế"));

    // The recipient's clerk sees it in the incoming register and accepts it.
    let c = browser();
    assert_eq!(sign_in(&app, &c, "halong.vanthu").await.status(), 303);
    let mut id = None;
    for _ in 0..100 {
        let (_, html) = get_html(&app, &c, "/van-ban").await;
        // A register row's link (the work list's link is above the register).
        if let Some(at) = html.find("<td><a href=\"/van-ban/") {
            let rest = &html[at + "<td><a href=\"/van-ban/".len()..];
            id = Some(rest[..rest.find('"').unwrap()].to_owned());
            assert!(html.contains("Mời họp giao ban chuyển đổi số") && html.contains("Đã đến"));
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let id = id.expect("the document arrives");
    let (_, html) = get_html(&app, &c, &format!("/van-ban/{id}")).await;
    assert!(html.contains("<option value=\"03\">") && html.contains("Ghi nhận và gửi báo nhận"));
    let csrf_c = csrf_of(&html);
    let r = c
        .post(app.url(&format!("/van-ban/{id}/trang-thai")))
        .form(&[("csrf", csrf_c.as_str()), ("status", "03"), ("description", "Đã vào sổ")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    // A forged form without the token changes nothing.
    let r = c
        .post(app.url(&format!("/van-ban/{id}/trang-thai")))
        .form(&[("csrf", "x"), ("status", "06")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // The sender's page shows the recipient's timeline.
    let (_, html) = get_html(&app, &b, &location).await;
    assert!(html.contains("01 · Đã đến") && html.contains("03 · Đã tiếp nhận") && html.contains("Đã vào sổ"), "{html}");
    // In English too.
    let (_, html) = get_html(&app, &b, &format!("{location}?lang=en")).await;
    assert!(html.contains("Status at each recipient") && html.contains("Accepted"));
    // Another organisation's officer cannot open it; a citizen is sent to sign in as staff.
    let o = browser();
    assert_eq!(sign_in(&app, &o, "tienyen.vanthu").await.status(), 303);
    let (s, _) = get_html(&app, &o, &location).await;
    assert_eq!(s, 404);
}

/// While payment is requested, the dossier page shows the fees and a VietQR code; after
/// payment, the receipt.
async fn payment_on_the_dossier_page(app: TestApp) {
    let token = app.token("congdan").await;
    let code = app.submit_online(&token).await["code"].as_str().unwrap().to_owned();
    app.act_as("halong.motcua", &code, "receive").await;
    let b = browser();
    assert_eq!(sign_in(&app, &b, "congdan").await.status(), 303);
    let (_, html) = get_html(&app, &b, &format!("/ho-so/{code}")).await;
    assert!(
        html.contains("Phí, lệ phí") && html.contains("15.000 ₫") && !html.contains("VietQR"),
        "fees shown, nothing to pay yet"
    );
    app.act_as("halong.chuyenvien", &code, "request_payment").await;
    let (_, html) = get_html(&app, &b, &format!("/ho-so/{code}")).await;
    assert!(html.contains("đề nghị nộp phí") && html.contains("Quét mã VietQR"), "{html}");
    assert!(html.matches("<svg").count() >= 2, "the tracking QR and the payment QR");
    assert!(html.contains(&format!("<code>{code}</code>")), "the transfer description is the dossier code");
    app.act_as("halong.chuyenvien", &code, "confirm_payment").await;
    let (_, html) = get_html(&app, &b, &format!("/ho-so/{code}")).await;
    assert!(!html.contains("Quét mã VietQR") && html.contains("Biên lai BL-000.00.37.H22-"), "{html}");
}

/// A kiosk session in headless Chromium (`e2e/kiosk.mjs`), by touches on the on-screen pad:
/// a queue ticket that the hall's display shows called without a reload, a dossier looked up
/// by code, a submission started by scanning the chip ID card's QR code and typing the
/// one-time code, "my dossiers", and signing out. The citizen's phone is played by this
/// test: it reads the code from the outbox and hands it to the script in a file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kiosk_session_in_chromium() {
    let app = TestApp::spawn(motcua_store::testing::Engine::Sqlite).await.unwrap();
    let phone = relay_code(&app, "otp:", "kiosk-otp.txt");
    if let Some(stdout) = run_e2e(&app, "kiosk.mjs").await {
        assert!(stdout.contains("kiosk ok"), "{stdout}");
    }
    phone.abort();
}

/// Booking, finding, moving and cancelling an appointment in headless Chromium
/// (`e2e/booking.mjs`), and the desk's list of the day.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn booking_in_chromium() {
    let app = TestApp::spawn(motcua_store::testing::Engine::Sqlite).await.unwrap();
    if let Some(stdout) = run_e2e(&app, "booking.mjs").await {
        assert!(stdout.contains("booking ok"), "{stdout}");
    }
}

/// The kiosk's pages over HTTP: a scanned tracking address or a typed code finds the dossier,
/// a code that is not one is 400 and an unknown one 404 with a message, an unknown centre is
/// 404, posts without the form's token are refused, and "my dossiers" asks who you are.
async fn kiosk_pages_answer_bad_input(app: TestApp) {
    let centre = app.org_of("halong.motcua").await;
    let citizen = app.token("congdan").await;
    let code = app.submit_online(&citizen).await["code"].as_str().unwrap().to_owned();
    let (s, html) = page(&app, &format!("/kiosk/{centre}/tra-cuu")).await;
    assert_eq!(s, 200);
    // The box starts empty (another agency's code begins otherwise); one key types this
    // centre's start, and letters are on the pad too.
    assert!(html.contains("id=\"ma\" name=\"ma\" value=\"\""), "{html}");
    assert!(html.contains(&format!("data-key=\"{centre}-\"")), "{html}");
    assert!(html.contains("data-key=\"H\"") && html.contains("data-key=\"Z\""), "a letter pad");
    // The receipt's QR code holds the public tracking address.
    let scanned = format!("{}/tra-cuu?ma={code}", app.base);
    let (s, html) = page(&app, &format!("/kiosk/{centre}/tra-cuu?ma={}", urlencode(&scanned))).await;
    assert_eq!(s, 200);
    assert!(html.contains("kiosk-result") && html.contains(&code), "found by the scanned address");
    let (s, html) = page(&app, &format!("/kiosk/{centre}/tra-cuu?ma=abc")).await;
    assert!(s == 400 && html.contains("role=\"alert\""), "{s}");
    let (s, html) = page(&app, &format!("/kiosk/{centre}/tra-cuu?ma={centre}-250101-9999")).await;
    assert!(s == 404 && html.contains("role=\"alert\""), "{s}");
    let (s, _) = page(&app, "/kiosk/000.00.99.H99").await;
    assert_eq!(s, 404);
    let post = |form: &'static [(&'static str, &'static str)]| {
        app.client.post(app.url(&format!("/kiosk/{centre}/so"))).form(form).send()
    };
    assert_eq!(post(&[("letter", "A")]).await.unwrap().status(), 400, "not the form");
    assert_eq!(post(&[("csrf", "forged"), ("letter", "A")]).await.unwrap().status(), 403, "not this page's token");
    let r = app.client.get(app.url(&format!("/kiosk/{centre}/ho-so"))).send().await.unwrap();
    assert_eq!(r.url().path(), format!("/kiosk/{centre}/cua-toi"), "asked to identify");
    let (s, html) = page(&app, &format!("/kiosk/{centre}/display")).await;
    assert!(s == 200 && html.contains(&format!("/api/v1/queue/{centre}/events")));
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Chromium, or node driving it, at the real time: under scripts/test-at the tests run with
/// libfaketime preloaded, and Chromium refuses to start with it.
fn browser_command(program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
    let mut c = std::process::Command::new(program);
    c.env_remove("LD_PRELOAD").env_remove("FAKETIME");
    c
}
