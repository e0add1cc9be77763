//! Which of the close candidates the assistant answers for. The index ranks by words; among
//! procedures that share most of them ("khai sinh" / "khai sinh kết hợp nhận cha, mẹ, con";
//! "đổi" / "cấp lại" / "quốc tế" of a driving licence; a building permit and its extension) a
//! citizen means the plain one unless they say the variant. So a candidate whose name holds a
//! variant the question does not say goes after one that holds none, and one whose variant
//! the question says goes first. Then, among those still level, the applicant the question
//! implies: an organisation's procedure when it names one ("tòa án", "công ty"), else one a
//! citizen can file.

use motcua_domain::Procedure;

/// A variant of a procedure: how its name says it (folded; `^` = the name starts so), how a
/// question says it, whether it is the plain one (never counted as unsaid), and whether
/// saying it lifts the procedure over the index's order — not for the general actions ("làm
/// lại", "đổi"), said of any paper: "làm lại hộ chiếu" is no reason to lift "cấp lại giấy
/// phép lái xe" over the passport.
struct Variant {
    name: &'static [&'static str],
    said: &'static [&'static str],
    plain: bool,
    lifts: bool,
}

const VARIANTS: &[Variant] = &[
    Variant { name: &["gia han"], said: &["gia han"], plain: false, lifts: true },
    Variant {
        name: &["cap lai"],
        said: &[
            "cap lai",
            "lam lai",
            "xin lai",
            "bi mat",
            "lam mat",
            "danh mat",
            "that lac",
            "mat so",
            "mat the",
            "mat can cuoc",
            "mat cccd",
            "mat bang",
            "mat giay",
            "mat ho chieu",
        ],
        plain: false,
        lifts: false,
    },
    Variant {
        name: &["dang ky lai"],
        said: &["dang ky lai", "lam lai", "mat so goc", "mat ban chinh"],
        plain: false,
        lifts: false,
    },
    Variant {
        name: &["cai chinh"],
        said: &["cai chinh", "sua", "thay doi", "bo sung", "doi ten", "doi ho"],
        plain: false,
        lifts: true,
    },
    Variant {
        name: &["thay doi"],
        said: &["thay doi", "doi", "sua", "cap nhat", "chuyen dia chi", "doi dia chi"],
        plain: false,
        lifts: false,
    },
    Variant {
        name: &["cap doi", "^doi"],
        said: &["doi", "cap doi", "het han", "bi hong", "rach"],
        plain: false,
        lifts: false,
    },
    Variant { name: &["xoa"], said: &["xoa", "cat khau", "cat ho khau"], plain: false, lifts: true },
    Variant {
        name: &["tam ngung"],
        said: &["tam ngung", "tam nghi", "nghi ban", "ngung kinh doanh", "dung kinh doanh", "tiep tuc"],
        plain: false,
        lifts: true,
    },
    Variant { name: &["ket hop"], said: &["ket hop", "cung luc", "dong thoi"], plain: false, lifts: true },
    Variant {
        name: &["nhan cha"],
        said: &["nhan cha", "nhan me", "nhan con", "ngoai gia thu"],
        plain: false,
        lifts: true,
    },
    Variant { name: &["ban sao"], said: &["ban sao", "trich luc", "sao y"], plain: false, lifts: true },
    Variant { name: &["quoc te"], said: &["quoc te"], plain: false, lifts: true },
    Variant { name: &["lien thong"], said: &["lien thong", "mot lan", "cung luc", "ca ba"], plain: false, lifts: true },
    Variant { name: &["lan dau"], said: &["lan dau", "moi lam", "chua co"], plain: true, lifts: false },
];

/// Words that say the applicant is an organisation, not a citizen.
const ORGANISATION_WORDS: &[&str] =
    &["toa an", "vien kiem sat", "co quan", "doanh nghiep", "cong ty", "cty", "nha xuong", "to chuc"];

fn has(text: &str, phrase: &str) -> bool {
    format!(" {text} ").contains(&format!(" {phrase} "))
}

/// (variants of the name the question does not say, variants it says).
fn variants(name: &str, question: &str) -> (usize, usize) {
    let name = motcua_domain::text::fold(name);
    let mut name: String =
        name.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ");
    let (mut unsaid, mut said) = (0, 0);
    for v in VARIANTS {
        let in_name = v.name.iter().any(|n| match n.strip_prefix('^') {
            Some(start) => name.starts_with(&format!("{start} ")),
            None => has(&name, n),
        });
        if !in_name {
            continue;
        }
        // Its words are this variant's, not another's ("thay đổi, cải chính, bổ sung" is one).
        let mut rest = format!(" {name} ");
        for w in v.said.iter().copied().chain(v.name.iter().map(|n| n.trim_start_matches('^'))) {
            rest = rest.replace(&format!(" {w} "), " ");
        }
        name = rest.trim().to_owned();
        if v.said.iter().any(|s| has(question, s)) {
            said += usize::from(v.lifts);
        } else if !v.plain {
            unsaid += 1;
        }
    }
    (unsaid, said)
}

/// Whether citizens (not only organisations) can file the procedure.
pub(super) fn for_citizens(p: &Procedure) -> bool {
    p.applicants.is_empty()
        || p.applicants.iter().any(|a| {
            let a = motcua_domain::text::fold(a.as_str());
            a.contains("cong dan") || a.contains("ca nhan") || a.contains("ho gia dinh") || a.contains("nguoi")
        })
}

/// The candidates in the assistant's order for `question` (folded, the asking words out):
/// variants not said last, variants said first; then, unless the index's first clearly leads,
/// the applicant the question implies first. Stable: otherwise the index's order.
pub fn likeliest_first<T>(items: &mut [T], clear: bool, question: &str, procedure: impl Fn(&T) -> &Procedure) {
    let by_organisation = ORGANISATION_WORDS.iter().any(|w| has(question, w));
    items.sort_by_cached_key(|t| {
        let p = procedure(t);
        let (unsaid, said) = variants(p.name.as_str(), question);
        let applicant = if clear { 0 } else { u8::from(for_citizens(p) == by_organisation) };
        (unsaid > 0, std::cmp::Reverse(said), applicant)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_said_and_unsaid() {
        assert_eq!(variants("Cấp lại giấy phép lái xe", "doi bang lai xe"), (1, 0));
        assert_eq!(variants("Đổi giấy phép lái xe do ngành Giao thông vận tải cấp", "doi bang lai xe"), (0, 0));
        assert_eq!(variants("Đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch", "cai chinh ten"), (0, 1));
        assert_eq!(variants("Đăng ký khai sinh", "dang ky khai sinh cho con"), (0, 0));
        assert_eq!(variants("Đăng ký khai sinh kết hợp nhận cha, mẹ, con", "dang ky khai sinh cho con"), (2, 0));
        // The plain variant is never held against a procedure.
        assert_eq!(variants("Cấp thẻ căn cước (cấp lần đầu)", "lam can cuoc"), (0, 0));
        // "thay đổi" is not "đổi" when the name starts with it.
        assert_eq!(variants("Đăng ký thay đổi nội dung đăng ký doanh nghiệp", "thanh lap cong ty"), (1, 0));
    }
}
