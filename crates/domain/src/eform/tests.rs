use jiff::civil::date;
use serde_json::{Value, json};

use super::*;

/// Quảng Ninh (22) with Phường Hạ Long (06688) and Xã Tiên Yên (07030); Hà Nội (01).
struct TwoProvinces;

impl Places for TwoProvinces {
    fn is_province(&self, code: &str) -> bool {
        matches!(code, "22" | "01")
    }
    fn is_commune_of(&self, commune: &str, province: &str) -> bool {
        province == "22" && matches!(commune, "06688" | "07030")
    }
}

const TODAY: jiff::civil::Date = date(2026, 12, 4);

fn shipped(code: &str) -> FormDef {
    let json = match code {
        "CT01" => include_str!("../../../../data/declarations/CT01.json"),
        "TK-KS" => include_str!("../../../../data/declarations/TK-KS.json"),
        "TK-XNHN" => include_str!("../../../../data/declarations/TK-XNHN.json"),
        "GPLX" => include_str!("../../../../data/declarations/GPLX.json"),
        "TK-KH" => include_str!("../../../../data/declarations/TK-KH.json"),
        "TK-KT" => include_str!("../../../../data/declarations/TK-KT.json"),
        other => panic!("no form {other}"),
    };
    FormDef::parse(json).unwrap_or_else(|e| panic!("{code}: {e}"))
}

fn check(form: &FormDef, given: Value) -> Result<Answers, Vec<FieldError>> {
    form.check(&given, &TwoProvinces, TODAY)
}

fn paths(errors: &[FieldError]) -> Vec<&str> {
    errors.iter().map(|e| e.path.as_str()).collect()
}

fn address() -> Value {
    json!({"province": "22", "commune": "06688", "detail": "Số 5, phố Lê Thánh Tông"})
}

fn ct01() -> Value {
    json!({
        "kinh_gui": "Công an phường Hạ Long",
        "ho_ten": "  Nguyễn Văn An ",
        "ngay_sinh": "05/03/1990",
        "gioi_tinh": "Nam",
        "so_dinh_danh": "022090001234",
        "dien_thoai": "+84 912 345 678",
        "ho_ten_chu_ho": "Nguyễn Văn Bình",
        "quan_he_chu_ho": "con",
        "so_dinh_danh_chu_ho": "022060001111",
        "noi_dung": "Đăng ký thường trú vào hộ gia đình của bố",
        "dia_chi_cu_tru": address(),
        "thanh_vien": [
            {"ho_ten": "Trần Thị Cúc", "ngay_sinh": "1992-07-01", "gioi_tinh": "Nữ", "so_dinh_danh": "022192001235", "quan_he_chu_ho": "con dâu"},
            {"ho_ten": "", "ngay_sinh": "", "gioi_tinh": "", "so_dinh_danh": "", "quan_he_chu_ho": ""}
        ],
        "y_kien_chu_ho": "có"
    })
}

#[test]
fn every_shipped_declaration_reads() {
    for code in ["CT01", "TK-KS", "TK-XNHN", "GPLX", "TK-KH", "TK-KT"] {
        let f = shipped(code);
        assert_eq!(f.code, code);
        assert!(f.fields().count() >= 10, "{code}: the real form's fields");
        assert!(f.fields().any(|f| f.required));
    }
}

#[test]
fn answers_come_out_in_normal_form() {
    let a = check(&shipped("CT01"), ct01()).unwrap().0;
    assert_eq!(a["ho_ten"], "Nguyễn Văn An", "trimmed");
    assert_eq!(a["ngay_sinh"], "1990-03-05", "dd/mm/yyyy read, stored as a date");
    assert_eq!(a["dien_thoai"], "0912345678");
    assert_eq!(a["y_kien_chu_ho"], true);
    assert_eq!(a["thanh_vien"].as_array().unwrap().len(), 1, "the blank row is dropped");
    assert_eq!(a["dia_chi_cu_tru"]["commune"], "06688");
    assert!(!a.contains_key("email"), "a blank optional field is left out");
}

#[test]
fn every_problem_is_reported_at_its_field() {
    let mut given = ct01();
    given["ho_ten"] = json!("");
    given["ngay_sinh"] = json!("31/02/1990");
    given["so_dinh_danh"] = json!("12345");
    given["gioi_tinh"] = json!("Khác");
    given["dia_chi_cu_tru"]["commune"] = json!("00004");
    given["thanh_vien"][0]["so_dinh_danh"] = json!("0221");
    given["ngay_sinh_ai_do"] = json!("x");
    let e = check(&shipped("CT01"), given).unwrap_err();
    assert_eq!(
        paths(&e),
        [
            "ho_ten",
            "ngay_sinh",
            "gioi_tinh",
            "so_dinh_danh",
            "dia_chi_cu_tru.commune",
            "thanh_vien[0].so_dinh_danh",
            "ngay_sinh_ai_do"
        ]
    );
    assert_eq!(e[0].message, "Chưa nhập họ, chữ đệm và tên");
    assert!(e[1].message.contains("dd/mm/yyyy"));
    assert!(e[4].message.contains("thuộc tỉnh"), "a commune of another province");
    assert_eq!(e[6].message, "Tờ khai không có trường này");
}

#[test]
fn dates_in_the_future_numbers_out_of_range_and_long_texts_are_refused() {
    let f = shipped("TK-XNHN");
    let given = json!({
        "nguoi_yeu_cau": "Nguyễn Văn An", "so_dinh_danh_nguoi_yeu_cau": "022090001234", "noi_cu_tru": address(),
        "quan_he": "Bản thân", "ho_ten": "Nguyễn Văn An", "ngay_sinh": "05/12/2026", "gioi_tinh": "Nam",
        "dan_toc": "Kinh", "quoc_tich": "Việt Nam", "so_dinh_danh": "022090001234",
        "noi_cu_tru_nguoi_duoc_cap": address(), "tinh_trang": "Chưa kết hôn với ai",
        "muc_dich": "x".repeat(301), "so_ban": "11"
    });
    let e = check(&f, given).unwrap_err();
    assert_eq!(paths(&e), ["ngay_sinh", "muc_dich", "so_ban"]);
    assert_eq!(e[0].message, "Không được sau ngày hôm nay");
    assert_eq!(e[2].message, "Phải từ 1 đến 10");
}

fn birth() -> Value {
    json!({
        "nguoi_yeu_cau": "Trần Thị Cúc", "so_dinh_danh_nguoi_yeu_cau": "022192001235", "noi_cu_tru": address(),
        "quan_he": "Mẹ", "ho_ten": "Nguyễn Minh Khôi", "ngay_sinh": "20/11/2026", "gioi_tinh": "Nam",
        "dan_toc": "Kinh", "quoc_tich": "Việt Nam", "noi_sinh": "Bệnh viện Bãi Cháy", "que_quan": "Hạ Long, Quảng Ninh",
        "ho_ten_me": "Trần Thị Cúc", "ngay_sinh_me": "01/07/1992", "co_cha": "không"
    })
}

#[test]
fn rule_required_if() {
    let f = shipped("TK-KS");
    assert!(check(&f, birth()).is_ok(), "no father declared: his name is not asked");
    let mut given = birth();
    given["co_cha"] = json!(true);
    let e = check(&f, given.clone()).unwrap_err();
    assert_eq!(paths(&e), ["ho_ten_cha"]);
    assert!(e[0].message.starts_with("Đã chọn khai thông tin người cha"));
    given["ho_ten_cha"] = json!("Nguyễn Văn An");
    assert!(check(&f, given).is_ok());
}

#[test]
fn rule_not_before() {
    let f = shipped("TK-KS");
    let mut given = birth();
    given["ngay_sinh_me"] = json!("2026-11-21");
    let e = check(&f, given).unwrap_err();
    assert_eq!(paths(&e), ["ngay_sinh"]);
    assert_eq!(e[0].message, "Ngày sinh của con không thể trước ngày sinh của mẹ");
    // Only when both are given and valid.
    let mut given = birth();
    given.as_object_mut().unwrap().remove("ngay_sinh_me");
    assert!(check(&f, given).is_ok());
}

#[test]
fn rule_different() {
    let f = FormDef::parse(
        r#"{"code": "T", "title": "T", "basis": "B", "sections": [{"title": "S", "fields": [
            {"name": "nguoi_khai", "label": "Người khai", "kind": "cccd", "required": true},
            {"name": "nguoi_lam_chung", "label": "Người làm chứng", "kind": "cccd"}]}],
          "rules": [{"rule": "different", "field": "nguoi_lam_chung", "other": "nguoi_khai", "message": "Người làm chứng phải là người khác"}]}"#,
    )
    .unwrap();
    let e = check(&f, json!({"nguoi_khai": "022090001234", "nguoi_lam_chung": " 022090001234"})).unwrap_err();
    assert_eq!((paths(&e), e[0].message.as_str()), (vec!["nguoi_lam_chung"], "Người làm chứng phải là người khác"));
    assert!(check(&f, json!({"nguoi_khai": "022090001234", "nguoi_lam_chung": "022192001235"})).is_ok());
}

#[test]
fn a_group_keeps_within_its_rows() {
    let f = FormDef::parse(
        r#"{"code": "T", "title": "T", "basis": "B", "sections": [{"title": "S", "fields": [
            {"name": "nguoi", "label": "Người", "kind": "group", "required": true, "max": 2, "fields": [
              {"name": "ten", "label": "Tên", "kind": "text", "required": true}]}]}]}"#,
    )
    .unwrap();
    assert_eq!(paths(&check(&f, json!({"nguoi": []})).unwrap_err()), ["nguoi"], "required: one row at least");
    let three = json!({"nguoi": [{"ten": "A"}, {"ten": "B"}, {"ten": "C"}]});
    assert_eq!(check(&f, three).unwrap_err()[0].message, "Tối đa 2 dòng");
    assert!(check(&f, json!({"nguoi": [{"ten": "A"}]})).is_ok());
    assert_eq!(paths(&check(&f, json!({"nguoi": [{"ten": "A", "tuoi": 3}]})).unwrap_err()), ["nguoi[0].tuoi"]);
}

#[test]
fn a_definition_that_does_not_hold_together_is_refused() {
    let form = |fields: &str, rules: &str| {
        FormDef::parse(&format!(
            r#"{{"code": "T", "title": "T", "basis": "B", "sections": [{{"title": "S", "fields": [{fields}]}}], "rules": [{rules}]}}"#
        ))
    };
    let text = r#"{"name": "a", "label": "A", "kind": "text"}"#;
    assert!(form(text, "").is_ok());
    for (fields, rules, why) in [
        (r#"{"name": "A", "label": "A", "kind": "text"}"#, "", "tên trường"),
        (&format!("{text}, {text}") as &str, "", "trùng tên"),
        (r#"{"name": "a", "label": "A", "kind": "colour"}"#, "", "loại trường"),
        (r#"{"name": "a", "label": "A", "kind": "one_of", "choices": ["x"]}"#, "", "hai lựa chọn"),
        (r#"{"name": "a", "label": "A", "kind": "number", "min": 5, "max": 1}"#, "", "min lớn hơn max"),
        (
            r#"{"name": "g", "label": "G", "kind": "group", "fields": [{"name": "h", "label": "H", "kind": "group", "fields": [{"name": "a", "label": "A", "kind": "text"}]}]}"#,
            "",
            "không lồng",
        ),
        (text, r#"{"rule": "different", "field": "a", "other": "b", "message": "m"}"#, "không có"),
        (text, r#"{"rule": "not_before", "field": "a", "other": "a", "message": "m"}"#, "không phải ngày"),
    ] {
        let e = form(fields, rules).unwrap_err().to_string();
        assert!(e.contains(why), "{fields} {rules}: {e}");
    }
}
