//! The assistant as a conversation: the procedure, then its fee, its papers, the citizen's
//! commune and "nộp luôn" — through the API (the caller carries `procedure` and `commune`)
//! and through the `/tro-ly` page without scripts (the form carries the questions) — ending
//! on the submission form with the citizen's office chosen.

use crate::common;

use common::{TestApp, assert_error, browser, json, sign_in};
use serde_json::{Value, json};

on_both_backends!(
    assistant_walks_a_citizen_to_the_submission,
    assistant_fills_the_declaration,
    assistant_chat_page_without_scripts,
);

/// The Hạ Long ward of the demo (2025 code) and its People's Committee.
const HA_LONG: &str = "06688";

async fn ask(app: &TestApp, question: &str, context: &Value) -> Value {
    let body = json!({
        "question": question,
        "procedure": context["procedure"],
        "commune": context["commune"],
        "form": context["form"],
    });
    let (s, v) = json(app.client.post(app.url("/api/v1/assistant")).json(&body).send().await.unwrap()).await;
    assert_eq!(s, 200, "{question}: {v}");
    v
}

fn answer(v: &Value) -> &str {
    v["answer"].as_str().unwrap()
}

async fn assistant_walks_a_citizen_to_the_submission(app: TestApp) {
    let halong = app.org_of("halong.chuyenvien").await;
    let v = ask(&app, "làm giấy khai sinh cho con", &json!({})).await;
    assert_eq!((v["procedure"].as_str(), v["commune"].as_str()), (Some("1.001193"), None), "{v}");
    assert_eq!(v["candidates"][0]["start_url"], "/nop-ho-so/1.001193");
    let v = ask(&app, "còn lệ phí thì sao?", &v).await;
    assert!(answer(&v).starts_with("Thủ tục «Đăng ký khai sinh» không mất lệ phí."), "{v}");
    let v = ask(&app, "cần giấy tờ gì", &v).await;
    assert!(answer(&v).starts_with("Thủ tục «Đăng ký khai sinh» cần: "), "{v}");
    // Every commune's committee registers births: where depends on the citizen, so it asks.
    let v = ask(&app, "nộp ở đâu", &v).await;
    assert!(answer(&v).contains("Bạn ở xã, phường nào?"), "{v}");
    assert_eq!(v["procedure"], "1.001193");
    // Told, it names the office and keeps the commune for the turns after.
    let v = ask(&app, "tôi ở phường Hạ Long", &v).await;
    assert_eq!((v["commune"].as_str(), v["commune_name"].as_str()), (Some(HA_LONG), Some("Phường Hạ Long")), "{v}");
    assert!(answer(&v).starts_with("Bạn nộp thủ tục «Đăng ký khai sinh» tại Ủy ban nhân dân phường Hạ Long"), "{v}");
    assert!(!answer(&v).contains("Bạn ở xã, phường nào?"), "{v}");
    let v = ask(&app, "nộp luôn", &v).await;
    assert!(answer(&v).contains("Trang nộp hồ sơ sẽ chọn sẵn nơi giải quyết: Ủy ban nhân dân phường Hạ Long"), "{v}");
    let start = format!("/nop-ho-so/1.001193?noi={halong}");
    assert_eq!(v["candidates"][0]["start_url"], start.as_str(), "{v}");
    // The commune stays when the talk turns to another procedure handled by communes.
    let v = ask(&app, "dang ky tam tru mat bao lau", &v).await;
    assert_eq!((v["procedure"].as_str(), v["commune"].as_str()), (Some("1.004222"), Some(HA_LONG)), "{v}");
    assert!(v["candidates"][0]["start_url"].as_str().unwrap().contains("?noi="), "{v}");
    // Said in the first question, with no accents.
    let v = ask(&app, "toi o phuong ha long dang ky ket hon can giay to gi", &json!({})).await;
    assert_eq!((v["procedure"].as_str(), v["commune"].as_str()), (Some("1.000894"), Some(HA_LONG)), "{v}");
    assert!(answer(&v).starts_with("Thủ tục «Đăng ký kết hôn» cần: "), "{v}");
    // A commune alone, nothing talked of: noted, and it asks what to do.
    let v = ask(&app, "tôi sống ở phường Hạ Long", &json!({})).await;
    assert_eq!((v["clear"].as_bool(), v["commune"].as_str()), (Some(false), Some(HA_LONG)), "{v}");
    assert!(answer(&v).contains("Bạn cần làm thủ tục gì?"), "{v}");
    // A provincial procedure has one office: named without asking for the commune.
    let v = ask(&app, "làm lại bằng lái nộp ở đâu", &json!({})).await;
    assert!(!answer(&v).contains("Bạn ở xã, phường nào?"), "{v}");
    // A commune code that is none is refused, not carried.
    let bad = json!({"question": "lệ phí", "procedure": "1.001193", "commune": "99999"});
    assert_error(app.client.post(app.url("/api/v1/assistant")).json(&bad).send().await.unwrap(), 400, "invalid_value")
        .await;

    // The start link opens the submission form with the office chosen, for a citizen.
    let b = browser();
    sign_in(&app, &b, "congdan").await;
    let html = b.get(app.url(&start)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(&format!("<option value=\"{halong}\" selected>")), "{html}");
    // Not an office of the procedure: ignored, nothing chosen.
    let html = b.get(app.url("/nop-ho-so/1.001193?noi=000.00.01.H22")).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains(" selected>Ủy ban") && html.contains("name=\"org\""), "{html}");
}

/// The replies to the birth declaration (TK-KS) the assistant asks for, in its order, with
/// what it asks next: the address's street (the commune is known), the relation, the child.
const BIRTH_REPLIES: &[(&str, &str)] = &[
    ("số 5 đường Trần Hưng Đạo", "Quan hệ với người được khai sinh?"),
    ("tôi là mẹ", "Họ, chữ đệm, tên?"),
    ("Nguyễn Văn Bình", "Ngày, tháng, năm sinh?"),
    ("01/06/2026", "Giới tính?"),
    ("nam", "Dân tộc?"),
    ("Kinh", "Quốc tịch?"),
    ("Việt Nam", "Nơi sinh?"),
    ("Bệnh viện Bãi Cháy", "Quê quán?"),
    ("xã Quảng La", "Khai thông tin người cha?"),
];

async fn assistant_fills_the_declaration(app: TestApp) {
    let halong = app.org_of("halong.chuyenvien").await;
    let v = ask(&app, "tôi ở phường Hạ Long", &json!({})).await;
    let mut v = ask(&app, "đăng ký khai sinh cho con nộp luôn", &v).await;
    assert!(answer(&v).contains("Trợ lý giúp bạn khai «Tờ khai đăng ký khai sinh»"), "{v}");
    assert_eq!((v["form"]["form"].as_str(), v["form"]["asking"].as_str()), (Some("TK-KS"), Some("noi_cu_tru")), "{v}");
    // The commune is in the address already; the account's own fields are not asked.
    assert_eq!(v["form"]["answers"]["noi_cu_tru"]["commune"], HA_LONG, "{v}");
    assert!(!answer(&v).contains("người yêu cầu"), "{v}");
    for (i, (reply, next)) in BIRTH_REPLIES.iter().enumerate() {
        v = ask(&app, reply, &v).await;
        assert!(answer(&v).contains(next), "{reply} → {v}");
        if i == 2 {
            // A day to come is no birth day: said why, asked again.
            let again = ask(&app, "31/12/2099", &v).await;
            assert!(answer(&again).starts_with("Chưa đúng: Không được sau ngày hôm nay."), "{again}");
            assert_eq!(again["form"]["asking"], "ngay_sinh", "{again}");
            // A question in between is answered, and the field asked again.
            let between = ask(&app, "còn lệ phí thì sao?", &again).await;
            assert!(answer(&between).starts_with("Thủ tục «Đăng ký khai sinh» không mất lệ phí."), "{between}");
            assert!(answer(&between).contains("Ngày, tháng, năm sinh?"), "{between}");
            assert_eq!(between["form"], again["form"]);
        }
    }
    assert_eq!(v["form"]["answers"]["quan_he"], "Mẹ", "a reply naming one choice is that choice: {v}");
    // A place in a reply is the field's value, not where the citizen lives.
    assert_eq!(
        (v["form"]["answers"]["que_quan"].as_str(), v["commune"].as_str()),
        (Some("xã Quảng La"), Some(HA_LONG))
    );
    // Saying the father is declared asks for him (a rule of the form), then it is done.
    let v = ask(&app, "có", &v).await;
    assert!(answer(&v).contains("Họ, chữ đệm, tên người cha?"), "{v}");
    let v = ask(&app, "Nguyễn Văn An", &v).await;
    assert!(v["form"].is_null(), "{v}");
    for part in [
        "Bạn đã khai:",
        "- Họ, chữ đệm, tên: Nguyễn Văn Bình",
        "- Nơi cư trú: số 5 đường Trần Hưng Đạo",
        "Xem lại tờ khai",
    ] {
        assert!(answer(&v).contains(part), "{part}: {v}");
    }
    let review = v["review_url"].as_str().unwrap().to_owned();
    assert!(review.starts_with(&format!("/nop-ho-so/1.001193?noi={halong}&tk=")), "{review}");

    // The form to check: the office chosen, the answers in their fields, the account's too.
    let b = browser();
    sign_in(&app, &b, "congdan").await;
    let html = b.get(app.url(&review)).send().await.unwrap().text().await.unwrap();
    for part in [
        format!("<option value=\"{halong}\" selected>"),
        "value=\"Nguyễn Văn Bình\"".into(),
        "value=\"2026-06-01\"".into(),
        "value=\"số 5 đường Trần Hưng Đạo\"".into(),
        "value=\"Nguyễn Văn An\"".into(),
    ] {
        assert!(html.contains(&part), "{part}: {html}");
    }
    // Submitted as it stands, it is a dossier with the declaration.
    let form = &html[html.find("<form").unwrap()..];
    assert!(form.contains("name=\"tk.ho_ten\""), "{form}");

    // "Thôi" stops the filling.
    let v = ask(&app, "đăng ký khai sinh nộp luôn", &json!({"commune": HA_LONG})).await;
    let v = ask(&app, "thôi", &v).await;
    assert!(v["form"].is_null() && answer(&v).starts_with("Đã dừng khai tờ khai."), "{v}");
    // A form without its procedure is refused.
    let bad = json!({"question": "Kinh", "form": {"form": "TK-KS", "answers": {}, "asking": "dan_toc"}});
    assert_error(app.client.post(app.url("/api/v1/assistant")).json(&bad).send().await.unwrap(), 400, "invalid_value")
        .await;
}

/// An attribute's text as a browser reads it.
fn unescape(s: &str) -> String {
    [("&#10;", "\n"), ("&#34;", "\""), ("&quot;", "\""), ("&#39;", "'"), ("&#x27;", "'"), ("&lt;", "<"), ("&gt;", ">")]
        .iter()
        .fold(s.to_owned(), |s, (from, to)| s.replace(from, to))
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// The next question as the page's form sends it: its hidden fields and `hoi`.
fn next_question(html: &str, question: &str) -> Vec<(String, String)> {
    let form = &html[html.find("<form class=\"search\"").expect("the form")..];
    let form = &form[..form.find("</form>").unwrap()];
    let mut pairs = vec![("hoi".to_owned(), question.to_owned())];
    for input in form.split("<input type=\"hidden\" ").skip(1) {
        let field = |key: &str| {
            let at = input.find(&format!("{key}=\"")).unwrap() + key.len() + 2;
            unescape(&input[at..at + input[at..].find('"').unwrap()])
        };
        pairs.push((field("name"), field("value")));
    }
    pairs
}

async fn assistant_chat_page_without_scripts(app: TestApp) {
    let halong = app.org_of("halong.chuyenvien").await;
    let b = browser();
    sign_in(&app, &b, "congdan").await;
    let mut html = b.get(app.url("/tro-ly")).send().await.unwrap().text().await.unwrap();
    let turns = [
        ("đăng ký khai sinh cho con", "Thủ tục phù hợp: Đăng ký khai sinh"),
        ("còn lệ phí thì sao?", "Thủ tục «Đăng ký khai sinh» không mất lệ phí."),
        ("cần giấy tờ gì", "Thủ tục «Đăng ký khai sinh» cần: "),
        ("tôi ở phường Hạ Long", "tại Ủy ban nhân dân phường Hạ Long"),
        ("nộp luôn", "Trang nộp hồ sơ sẽ chọn sẵn nơi giải quyết"),
    ];
    for (i, (q, said)) in turns.iter().enumerate() {
        let query = next_question(&html, q);
        let r = b.get(app.url("/tro-ly")).query(&query).send().await.unwrap();
        assert_eq!(r.status(), 200, "{query:?}");
        html = r.text().await.unwrap();
        // The whole conversation shows, each question with its answer, the last one new.
        assert_eq!(html.matches("class=\"bubble me\"").count(), i + 1, "{html}");
        let last = &html[html.find("id=\"tra-loi\"").expect("the last answer")..];
        assert!(last.contains(said), "{q}: {last}");
    }
    for (q, _) in turns {
        assert!(html.contains(q), "{q}");
    }
    assert!(html.contains("Nơi bạn ở: Phường Hạ Long"), "{html}");
    // Filling the declaration now: the box asks for the answer.
    assert!(html.contains("<label for=\"hoi\">Câu trả lời của bạn</label>"), "{html}");
    let start = format!("href=\"/nop-ho-so/1.001193?noi={halong}\"");
    assert!(html.contains(&start), "{html}");
    // The declaration, filled through the page: the last turns shown, the earlier ones carried
    // as the state before them, so the conversation runs past what one page holds.
    let mut filled = html.clone();
    for (i, (reply, next)) in BIRTH_REPLIES.iter().chain(&[("không", "Bạn đã khai:")]).enumerate() {
        let query = next_question(&filled, reply);
        let r = b.get(app.url("/tro-ly")).query(&query).send().await.unwrap();
        assert_eq!(r.status(), 200, "{query:?}");
        filled = r.text().await.unwrap();
        let last = &filled[filled.find("id=\"tra-loi\"").expect("the last answer")..];
        assert!(last.contains(next), "{i}: {reply} → {last}");
        assert!(filled.matches("class=\"bubble me\"").count() <= 6, "{filled}");
    }
    assert!(filled.contains("name=\"to_khai\""), "the filling before the turns shown is carried: {filled}");
    let at = filled.find("Xem lại tờ khai và nộp</a>").expect("the review button");
    let href = &filled[filled[..at].rfind("href=\"").unwrap() + 6..];
    let review = unescape(&href[..href.find('"').unwrap()]);
    let form = b.get(app.url(&review)).send().await.unwrap().text().await.unwrap();
    assert!(
        form.contains("value=\"Nguyễn Văn Bình\"") && form.contains(&format!("<option value=\"{halong}\" selected>")),
        "{review}: {form}"
    );

    // A bad question in the middle is refused with the conversation kept.
    let long = "a".repeat(1001);
    let r = b.get(app.url("/tro-ly")).query(&next_question(&html, &long)).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let refused = r.text().await.unwrap();
    assert!(refused.contains("Câu hỏi phải có từ 1 đến 1.000 ký tự"), "{refused}");
    assert_eq!(refused.matches("class=\"bubble me\"").count(), 5, "{refused}");
    // A hand-made address carrying more questions than the form does: only the last six
    // are answered again (each costs a turn), the rest dropped.
    let many: Vec<String> = (0..40).map(|i| format!("câu hỏi {i} về khai sinh")).collect();
    let r = b
        .get(app.url("/tro-ly"))
        .query(&[("truoc", many.join("\n")), ("hoi", "nộp luôn".into())])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert_eq!(html.matches("class=\"bubble me\"").count(), 6, "{html}");
    assert!(html.contains("câu hỏi 39 về khai sinh") && !html.contains("câu hỏi 34 về"), "{html}");
    // Start over: an empty page.
    let fresh = b.get(app.url("/tro-ly")).send().await.unwrap().text().await.unwrap();
    assert!(!fresh.contains("class=\"bubble"), "{fresh}");
}
