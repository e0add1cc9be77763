//! Declarations filled in online (e-forms): a procedure's form through the API, a submission
//! carrying its answers instead of the scanned paper, checked whole, kept in the dossier (in
//! the state its hash chain commits to) and shown to the officer, on SQLite and PostgreSQL.

use crate::common;

use common::{TestApp, assert_error, json};
use serde_json::{Value, json};

on_both_backends!(
    a_procedure_publishes_its_declaration_form,
    a_declaration_filled_in_online_is_kept_in_the_dossier,
    a_declaration_with_mistakes_is_refused_field_by_field,
    the_catalog_names_only_forms_that_exist,
    a_citizen_fills_in_the_declaration_on_the_submission_page,
);

/// "Cấp Giấy xác nhận tình trạng hôn nhân", whose declaration is the e-form TK-XNHN.
const MARITAL: &str = "1.004873";

fn marital_status() -> Value {
    let address = json!({"province": "22", "commune": "06688", "detail": "Số 5, phố Lê Thánh Tông"});
    json!({
        "nguoi_yeu_cau": "Nguyễn Văn An", "so_dinh_danh_nguoi_yeu_cau": "022090001234", "noi_cu_tru": address,
        "quan_he": "Bản thân", "ho_ten": "Nguyễn Văn An", "ngay_sinh": "05/03/1990", "gioi_tinh": "Nam",
        "dan_toc": "Kinh", "quoc_tich": "Việt Nam", "so_dinh_danh": "022090001234",
        "noi_cu_tru_nguoi_duoc_cap": address, "tinh_trang": "Chưa kết hôn với ai",
        "muc_dich": "Để đăng ký kết hôn", "so_ban": "2"
    })
}

async fn submit(app: &TestApp, token: &str, declaration: Value) -> reqwest::Response {
    let body = json!({"procedure": MARITAL, "org": "000.00.37.H22", "declaration": declaration});
    app.post_json("/api/v1/dossiers", token, body).await
}

async fn a_procedure_publishes_its_declaration_form(app: TestApp) {
    let (s, form) = json(app.get(&format!("/api/v1/procedures/{MARITAL}/declaration")).await).await;
    assert_eq!(s, 200, "{form}");
    assert_eq!(form["code"], "TK-XNHN");
    assert_eq!(form["title"], "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân");
    let fields: Vec<&Value> =
        form["sections"].as_array().unwrap().iter().flat_map(|s| s["fields"].as_array().unwrap()).collect();
    let tinh_trang = fields.iter().find(|f| f["name"] == "tinh_trang").unwrap();
    assert_eq!(tinh_trang["kind"]["type"], "one_of");
    assert_eq!(tinh_trang["kind"]["choices"].as_array().unwrap().len(), 4);
    let cccd = fields.iter().find(|f| f["name"] == "so_dinh_danh").unwrap();
    assert_eq!((cccd["kind"]["type"].as_str(), cccd["prefill"].as_str()), (Some("cccd"), Some("cccd")));
    assert_eq!(form["rules"][0]["rule"], "not_before");
    // The procedure says which of its papers the form stands for.
    let (_, p) = json(app.get(&format!("/api/v1/procedures/{MARITAL}")).await).await;
    assert_eq!(p["components"][0]["eform"], "TK-XNHN");
    // A procedure whose declaration is paper only, and one that does not exist.
    assert_error(app.get("/api/v1/procedures/2.000908/declaration").await, 404, "no_declaration_form").await;
    assert_error(app.get("/api/v1/procedures/9.999999/declaration").await, 404, "not_found").await;
    assert_error(app.get("/api/v1/procedures/x/declaration").await, 400, "invalid_procedure_code").await;
    // Every procedure that names a form names one that exists (the import checks it).
    for code in [
        "1.001193", "1.000894", "1.000656", "1.004194", "1.004222", "1.004206", "1.004235", "1.004225", "1.002804",
        "1.002809",
    ] {
        assert_eq!(app.get(&format!("/api/v1/procedures/{code}/declaration")).await.status(), 200, "{code}");
    }
}

async fn a_declaration_filled_in_online_is_kept_in_the_dossier(app: TestApp) {
    let token = app.token("congdan").await;
    let (s, d) = json(submit(&app, &token, marital_status()).await).await;
    assert_eq!(s, 201, "{d}");
    let code = d["code"].as_str().unwrap().to_owned();
    let declaration = &d["declaration"];
    assert_eq!(declaration["form"], "TK-XNHN");
    assert_eq!(declaration["answers"]["ngay_sinh"], "1990-03-05", "in normal form");
    assert_eq!(declaration["answers"]["so_ban"], 2);
    // The officer who receives it reads it as data.
    let officer = app.token("halong.motcua").await;
    let (s, seen) = json(app.get_as(&format!("/api/v1/dossiers/{code}"), &officer).await).await;
    assert_eq!(s, 200, "{seen}");
    assert_eq!(seen["declaration"], *declaration);
    // The officer's page shows it as data, and prints it as the official form.
    let b = common::browser();
    assert_eq!(common::sign_in(&app, &b, "halong.motcua").await.status(), 303);
    let page = b.get(app.url(&format!("/ho-so/{code}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("<h2>Tờ khai cấp Giấy xác nhận tình trạng hôn nhân</h2>"), "{page}");
    assert!(page.contains("<dt>Ngày, tháng, năm sinh</dt><dd>05/03/1990</dd>"), "dates as people write them");
    assert!(page.contains("Số 5, phố Lê Thánh Tông, Phường Hạ Long, Quảng Ninh"), "the address with its names");
    assert!(page.contains(&format!("/dossiers/{code}/forms/to-khai")), "a link to print it");
    let r = app.get_as(&format!("/dossiers/{code}/forms/to-khai"), &officer).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let printed = r.text().await.unwrap();
    assert!(
        printed.contains("<h1>Tờ khai cấp Giấy xác nhận tình trạng hôn nhân</h1>")
            && printed.contains("Chưa kết hôn với ai")
    );
    assert!(printed.contains("Mẫu tờ khai ban hành kèm theo Thông tư số 04/2020/TT-BTP"));
    // Another citizen, or an officer of another organisation, is told it does not exist.
    let other = app.token("stp.motcua").await;
    assert_eq!(app.get_as(&format!("/dossiers/{code}/forms/to-khai"), &other).await.status(), 404);
    // A dossier without one has no such form.
    let (_, plain) =
        json(app.post_json("/api/v1/dossiers", &token, json!({"procedure": MARITAL, "org": "000.00.37.H22"})).await)
            .await;
    let r = app.get_as(&format!("/dossiers/{}/forms/to-khai", plain["code"].as_str().unwrap()), &token).await;
    assert_error(r, 409, "form_not_available").await;
    // It is part of the state the dossier's chain commits to: the audit holds.
    let report = motcua::dossiers::audit::verify(app.db.store.as_ref()).await.expect("the chain holds");
    assert!(report.dossiers >= 1);
}

async fn a_declaration_with_mistakes_is_refused_field_by_field(app: TestApp) {
    let token = app.token("congdan").await;
    let (_, before) = json(app.get_as("/api/v1/dossiers", &token).await).await;
    let mut wrong = marital_status();
    wrong["ngay_sinh"] = json!("31/02/1990");
    wrong["so_ban"] = json!("20");
    wrong["noi_cu_tru"]["commune"] = json!("00004");
    wrong.as_object_mut().unwrap().remove("tinh_trang");
    let r = submit(&app, &token, wrong).await;
    let (s, v) = json(r).await;
    assert_eq!((s, v["error"]["code"].as_str()), (400, Some("invalid_declaration")), "{v}");
    let paths: Vec<&str> =
        v["error"]["fields"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["noi_cu_tru.commune", "ngay_sinh", "tinh_trang", "so_ban"]);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Tờ khai cấp Giấy xác nhận tình trạng hôn nhân chưa hợp lệ")
    );
    // A rule between fields.
    let mut backwards = marital_status();
    backwards["cu_tru_tu"] = json!("01/01/2020");
    backwards["cu_tru_den"] = json!("01/01/2019");
    let (s, v) = json(submit(&app, &token, backwards).await).await;
    assert_eq!((s, v["error"]["fields"][0]["path"].as_str()), (400, Some("cu_tru_den")), "{v}");
    // A declaration for a procedure whose form is paper only.
    let body = json!({"procedure": "2.000908", "org": "000.00.37.H22", "declaration": {"x": 1}});
    assert_error(app.post_json("/api/v1/dossiers", &token, body).await, 400, "invalid_declaration").await;
    // Nothing was created.
    let (_, after) = json(app.get_as("/api/v1/dossiers", &token).await).await;
    assert_eq!(after["total"], before["total"]);
}

async fn the_catalog_names_only_forms_that_exist(app: TestApp) {
    // The demo's procedure, its declaration pointed at a form motcua does not have.
    let demo: Vec<Value> = serde_json::from_str(motcua::demo::CATALOG).unwrap();
    let mut record = demo.into_iter().find(|r| r["code"] == MARITAL).unwrap();
    record["components"][0]["eform"] = json!("TK-KHONG-CO");
    let text = serde_json::to_string(&vec![record]).unwrap();
    let e = motcua::catalog::import::import_catalog(app.db.store.as_ref(), &text).await.unwrap_err().to_string();
    assert!(e.contains("tờ khai điện tử TK-KHONG-CO chưa có"), "{e}");
    let (_, still) = json(app.get(&format!("/api/v1/procedures/{MARITAL}")).await).await;
    assert_eq!(still["components"][0]["eform"], "TK-XNHN", "nothing imported");
}

/// The submission page's fields as a multipart form, with `extra` (name, value) pairs.
fn page_form(csrf: &str, extra: &[(&str, &str)]) -> reqwest::multipart::Form {
    let mut form =
        reqwest::multipart::Form::new().text("csrf", csrf.to_owned()).text("org", "000.00.37.H22").text("do", "review");
    for (k, v) in extra {
        form = form.text(k.to_string(), v.to_string());
    }
    form
}

async fn a_citizen_fills_in_the_declaration_on_the_submission_page(app: TestApp) {
    let b = common::browser();
    assert_eq!(common::sign_in(&app, &b, "congdan").await.status(), 303);
    let url = app.url(&format!("/nop-ho-so/{MARITAL}"));
    let html = b.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("<h2 id=\"eform-title\">Tờ khai cấp Giấy xác nhận tình trạng hôn nhân</h2>"));
    // Prefilled from the account: name, CCCD, and the sex the CCCD encodes.
    assert!(html.contains(r#"name="tk.ho_ten" aria-required="true" value="Nguyễn Văn An""#), "prefilled name");
    assert!(html.contains(r#"name="tk.so_dinh_danh" aria-required="true" value="022090001234""#), "prefilled CCCD");
    assert!(html.contains("<option selected>Nam</option>"), "sex from the CCCD");
    assert!(html.contains("Đã khai trực tuyến ở phần tờ khai bên trên"), "the paper need not be attached");
    // Quảng Ninh's communes to choose from by default.
    assert!(html.contains(r#"<option value="06688">Phường Hạ Long</option>"#) || html.contains(">Hạ Long</option>"));

    // Continuing with half of it: the page again, every problem listed and linked to its field.
    let some = [
        ("tk.nguoi_yeu_cau", "Nguyễn Văn An"),
        ("tk.so_dinh_danh_nguoi_yeu_cau", "022090001234"),
        ("tk.ho_ten", "Nguyễn Văn An"),
        ("tk.so_dinh_danh", "022090001234"),
        ("tk.ngay_sinh", "2030-01-01"),
    ];
    let r = b.post(&url).multipart(page_form(&common::csrf_of(&html), &some)).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let again = r.text().await.unwrap();
    assert!(
        again.contains(r##"<a href="#tk-ngay_sinh">Ngày, tháng, năm sinh: Không được sau ngày hôm nay</a>"##),
        "{again}"
    );
    assert!(again.contains(r##"href="#tk-noi_cu_tru""##) && again.contains(r##"href="#tk-tinh_trang""##));
    assert!(again.contains(r#"id="tk-ngay_sinh" name="tk.ngay_sinh" aria-required="true" value="2030-01-01" min="1900-01-01" aria-invalid="true""#));
    let draft = again.split("name=\"nhap\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();

    // Filled in whole: on to the review, then submitted without any file.
    let all = [
        ("nhap", draft.as_str()),
        ("tk.nguoi_yeu_cau", "Nguyễn Văn An"),
        ("tk.so_dinh_danh_nguoi_yeu_cau", "022090001234"),
        ("tk.noi_cu_tru.province", "22"),
        ("tk.noi_cu_tru.commune", "06688"),
        ("tk.noi_cu_tru.detail", "Số 5, phố Lê Thánh Tông"),
        ("tk.quan_he", "Bản thân"),
        ("tk.ho_ten", "Nguyễn Văn An"),
        ("tk.ngay_sinh", "1990-03-05"),
        ("tk.gioi_tinh", "Nam"),
        ("tk.dan_toc", "Kinh"),
        ("tk.quoc_tich", "Việt Nam"),
        ("tk.so_dinh_danh", "022090001234"),
        ("tk.noi_cu_tru_nguoi_duoc_cap.province", "22"),
        ("tk.noi_cu_tru_nguoi_duoc_cap.commune", "06688"),
        ("tk.noi_cu_tru_nguoi_duoc_cap.detail", "Số 5, phố Lê Thánh Tông"),
        ("tk.tinh_trang", "Chưa kết hôn với ai"),
        ("tk.muc_dich", "Để đăng ký kết hôn"),
        ("tk.so_ban", "1"),
    ];
    // The ID card is still shown (attached); the declaration is not.
    let id_card = reqwest::multipart::Part::bytes(b"%PDF-1.4 can cuoc".to_vec()).file_name("can-cuoc.pdf");
    let form = page_form(&common::csrf_of(&again), &all).part("component-2", id_card);
    let r = b.post(&url).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let review_url = app.url(r.headers()["location"].to_str().unwrap());
    let review = b.get(&review_url).send().await.unwrap().text().await.unwrap();
    assert!(review.contains("<dt>Ngày, tháng, năm sinh</dt><dd>05/03/1990</dd>"), "{review}");
    assert!(review.contains("Khai trực tuyến") && !review.contains(" disabled>"), "nothing missing");
    let confirm = [("csrf", common::csrf_of(&review)), ("nhap", draft.clone())];
    let r = b.post(app.url(&format!("/nop-ho-so/{MARITAL}/xem-lai"))).form(&confirm).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let code =
        r.headers()["location"].to_str().unwrap().trim_start_matches("/ho-so/").split('?').next().unwrap().to_owned();
    let token = app.token("congdan").await;
    let (_, d) = json(app.get_as(&format!("/api/v1/dossiers/{code}"), &token).await).await;
    assert_eq!(d["declaration"]["form"], "TK-XNHN", "{d}");
    assert_eq!(d["declaration"]["answers"]["noi_cu_tru"]["commune"], "06688");
    assert_eq!(d["declaration"]["answers"]["so_ban"], 1);
    let (_, files) = json(app.get_as(&format!("/api/v1/dossiers/{code}/attachments"), &token).await).await;
    assert_eq!(files.as_array().map(Vec::len), Some(1), "only the ID card was uploaded: {files}");
}
