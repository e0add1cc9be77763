use super::*;

const CATALOG: &str = include_str!("../../../data/demo/catalog-quang-ninh.json");

fn catalog() -> Vec<Procedure> {
    serde_json::from_str(CATALOG).expect("demo catalog")
}

fn index() -> CatalogIndex {
    CatalogIndex::build(&catalog(), Synonyms::shipped()).unwrap()
}

fn top(ix: &CatalogIndex, q: &str, n: usize) -> Vec<String> {
    ix.search(q, &Filter::default(), n).unwrap().into_iter().map(|h| h.code.to_string()).collect()
}

#[track_caller]
fn first(ix: &CatalogIndex, q: &str, code: &str) {
    let got = top(ix, q, 3);
    assert_eq!(got.first().map(String::as_str), Some(code), "«{q}» → {got:?}");
}

/// For queries that fit several procedures equally (the assistant asks which one).
#[track_caller]
fn within(ix: &CatalogIndex, q: &str, code: &str, n: usize) {
    let got = top(ix, q, n);
    assert!(got.iter().any(|c| c == code), "«{q}» → {got:?}");
}

#[test]
fn with_or_without_diacritics() {
    let ix = index();
    assert_eq!(ix.len(), 52);
    for q in ["Đăng ký khai sinh", "dang ky khai sinh", "DANG KY KHAI SINH", "đang ky khai sinh", "khai sinh"] {
        first(&ix, q, "1.001193");
    }
    first(&ix, "dang ky ket hon", "1.000894");
    first(&ix, "khai tu", "1.000656");
    // The linked group is found by its words too, with or without diacritics.
    first(&ix, "lien thong khai sinh thuong tru", "9.LT0001");
    first(&ix, "Liên thông khai tử", "9.LT0002");
    first(&ix, "dang ky tam tru", "1.004222");
    within(&ix, "ly lich tu phap", "2.000488", 2);
    within(&ix, "ly lich tu phap", "2.000505", 2);
}

#[test]
fn one_typo_per_word() {
    let ix = index();
    first(&ix, "dang ky khai sinhh", "1.001193");
    first(&ix, "dang ky khai snih", "1.001193");
    for code in ["1.009994", "1.009974", "1.009978"] {
        within(&ix, "giay phep xay dunng", code, 3);
    }
    first(&ix, "ho chieu pho thongg", "2.002089");
}

#[test]
fn everyday_words_through_synonyms() {
    let ix = index();
    first(&ix, "làm lại bằng lái", "1.002809");
    first(&ix, "lam lai bang lai", "1.002809");
    first(&ix, "xin giấy phép xây nhà", "1.009994");
    first(&ix, "sổ đỏ bị mất", "1.012792");
    first(&ix, "đăng ký tạm trú", "1.004222");
    let cmnd = top(&ix, "lam lai cmnd", 3);
    assert!(cmnd.contains(&"1.012393".to_owned()), "CMND is the căn cước now: {cmnd:?}");
    let khau = top(&ix, "nhap ho khau", 3);
    assert!(khau.contains(&"1.004194".to_owned()), "hộ khẩu is thường trú: {khau:?}");
}

#[test]
fn exact_accents_rank_first() {
    let mut list = catalog();
    let mut fake = list.iter().find(|p| p.code.as_str() == "1.004222").unwrap().clone();
    fake.code = ProcedureCode::parse("9.000001").unwrap();
    fake.name = motcua_domain::Name::parse("n", "Đăng ký tâm trú").unwrap();
    list.push(fake);
    let ix = CatalogIndex::build(&list, Synonyms::default()).unwrap();
    first(&ix, "đăng ký tâm trú", "9.000001");
    first(&ix, "đăng ký tạm trú", "1.004222");
    // Without accents both match.
    let both = top(&ix, "dang ky tam tru", 2);
    assert!(both.contains(&"9.000001".to_owned()) && both.contains(&"1.004222".to_owned()), "{both:?}");
}

#[test]
fn filters_narrow_the_results() {
    let mut list = catalog();
    for p in &mut list {
        if p.code.as_str() == "1.001193" {
            p.organisations = vec![OrgCode::parse("000.00.37.H22").unwrap()];
        }
    }
    let ix = CatalogIndex::build(&list, Synonyms::shipped()).unwrap();
    let search = |f: Filter| ix.search("dang ky", &f, 100).unwrap().into_iter().map(|h| h.code.to_string()).collect();
    let all: Vec<String> = search(Filter::default());
    assert!(all.len() > 10);
    let here: Vec<String> =
        search(Filter { orgs: Some(vec![OrgCode::parse("000.00.37.H22").unwrap()]), ..Default::default() });
    assert_eq!(here, vec!["1.001193".to_owned()]);
    let hotich: Vec<String> = search(Filter { field: Some("ho-tich".into()), ..Default::default() });
    assert!(
        !hotich.is_empty()
            && hotich.iter().all(|c| list.iter().any(|p| p.code.as_str() == c && p.field.code.as_str() == "ho-tich"))
    );
    let none: Vec<String> = search(Filter { online: Some("none".into()), ..Default::default() });
    assert!(
        none.iter().all(|c| list.iter().any(|p| p.code.as_str() == c && p.online == motcua_domain::OnlineLevel::None))
    );
    let province: Vec<String> = search(Filter { level: Some("province".into()), ..Default::default() });
    assert!(!province.is_empty() && province.len() < all.len());
}

#[test]
fn bad_queries_find_nothing_or_something_but_never_fail() {
    let ix = index();
    for q in ["", "   ", "\u{0}\u{7}\u{1b}[31m", "😀😀😀", "?!.,;:", "-- DROP TABLE procedures;"] {
        let r = ix.search(q, &Filter::default(), 10);
        assert!(r.is_ok(), "{q:?}");
    }
    assert!(ix.search("", &Filter::default(), 10).unwrap().is_empty());
    assert!(ix.search("😀", &Filter::default(), 10).unwrap().is_empty());
    assert!(ix.search("tôi muốn hỏi thủ tục này", &Filter::default(), 10).unwrap().is_empty(), "filler only");
    assert!(ix.search("chim yen", &Filter::default(), 10).unwrap().is_empty(), "near-misses only");
    let long = "đăng ký khai sinh ".repeat(600);
    assert!(long.len() > 10_000);
    first(&ix, &long, "1.001193");
}

#[test]
fn synonym_list_parses() {
    let s = Synonyms::parse("# comment\nbằng lái | giấy phép lái xe\n\nlone\n");
    assert_eq!(s.groups.len(), 1, "a line with one phrase is no group");
    let words: Vec<String> = ["lam", "lai", "bang", "lai"].iter().map(|w| w.to_string()).collect();
    assert_eq!(s.expansions(&words), vec![vec!["giay", "phep", "lai", "xe"]]);
    assert!(Synonyms::shipped().groups.len() >= 30);
}

#[test]
fn suggestions_are_clear_or_ask_back() {
    let ix = index();
    let s = ix.suggest("làm lại bằng lái").unwrap();
    assert!(s.clear, "{s:?}");
    assert_eq!(s.candidates[0].0.as_str(), "1.002809");
    let sum: f32 = s.candidates.iter().map(|c| c.1).sum();
    assert!((sum - 1.0).abs() < 1e-3 && s.candidates.windows(2).all(|w| w[0].1 >= w[1].1), "{s:?}");
    // Two procedures fit "lý lịch tư pháp" equally: ask which.
    let s = ix.suggest("ly lich tu phap").unwrap();
    assert!(!s.clear && s.candidates.len() >= 2, "{s:?}");
    let s = ix.suggest("").unwrap();
    assert!(!s.clear && s.candidates.is_empty());
}
