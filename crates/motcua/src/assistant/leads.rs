//! The first sentence or two of an answer: what was asked (the fee, the time, the papers,
//! where, online or not, how to start), said before the rest.

use motcua_domain::{OnlineLevel, Procedure};

use super::intent::Intent;

/// Where the citizen files: the organisation of their commune (or the only one), if known;
/// `ask_commune`: several communes' organisations handle it and the citizen's is not known.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Where<'a> {
    pub org: Option<&'a str>,
    pub ask_commune: bool,
}

impl Where<'_> {
    /// The line asking for the commune, when it matters and is not known.
    pub fn hint(&self, en: bool) -> Option<&'static str> {
        (self.ask_commune && self.org.is_none()).then_some(if en {
            "Tell me your commune or ward (e.g. «I live in phường Hạ Long») and I will name the office to file with."
        } else {
            "Bạn ở xã, phường nào? Cho trợ lý biết (ví dụ «tôi ở phường Hạ Long») để chỉ đúng nơi nộp."
        })
    }
}

fn fee_sentence(p: &Procedure, en: bool) -> String {
    if p.fees.is_empty() {
        return if en {
            format!("«{}» costs nothing: there is no fee.", p.name)
        } else {
            format!("Thủ tục «{}» không mất lệ phí.", p.name)
        };
    }
    let parts: Vec<String> = p
        .fees
        .iter()
        .map(|f| match (f.online_amount, en) {
            (Some(o), false) if o.amount() == 0 => format!("{} {} (miễn khi nộp trực tuyến)", f.description, f.amount),
            (Some(o), true) if o.amount() == 0 => format!("{} {} (free online)", f.description, f.amount),
            (Some(o), false) => format!("{} {} (nộp trực tuyến chỉ {o})", f.description, f.amount),
            (Some(o), true) => format!("{} {} (online only {o})", f.description, f.amount),
            (None, _) => format!("{} {}", f.description, f.amount),
        })
        .collect();
    if en {
        format!("The fee for «{}»: {}.", p.name, parts.join("; "))
    } else {
        format!("Lệ phí thủ tục «{}»: {}.", p.name, parts.join("; "))
    }
}

fn papers_sentence(p: &Procedure, en: bool) -> String {
    let required: Vec<&str> = p.components.iter().filter(|c| c.required).map(|c| c.name.as_str()).collect();
    let optional = p.components.len() - required.len();
    if required.is_empty() {
        let all: Vec<&str> = p.components.iter().map(|c| c.name.as_str()).collect();
        return match (all.is_empty(), en) {
            (true, false) => format!("Thủ tục «{}» không cần nộp giấy tờ nào.", p.name),
            (true, true) => format!("«{}» needs no papers.", p.name),
            (false, false) => {
                format!("Thủ tục «{}» không có giấy tờ bắt buộc; nộp nếu có: {}.", p.name, all.join("; "))
            }
            (false, true) => format!("«{}» has no required papers; file if you have them: {}.", p.name, all.join("; ")),
        };
    }
    let mut s = if en {
        format!("For «{}» prepare: {}.", p.name, required.join("; "))
    } else {
        format!("Thủ tục «{}» cần: {}.", p.name, required.join("; "))
    };
    if optional > 0 {
        s.push_str(if en {
            " Some papers only if they apply (below)."
        } else {
            " Một số giấy tờ chỉ cần nếu có (xem dưới)."
        });
    }
    s
}

fn online_sentence(p: &Procedure, en: bool) -> String {
    match (p.online, en) {
        (OnlineLevel::Full, false) => {
            format!("Có: «{}» làm trực tuyến toàn trình được, từ nộp hồ sơ, nộp phí đến nhận kết quả.", p.name)
        }
        (OnlineLevel::Full, true) => {
            format!("Yes: «{}» can be done fully online, from applying and paying to the result.", p.name)
        }
        (OnlineLevel::Partial, false) => {
            format!("Được một phần: «{}» nộp hồ sơ trực tuyến được, nhưng có bước phải đến trực tiếp.", p.name)
        }
        (OnlineLevel::Partial, true) => {
            format!("Partly: «{}» can be applied for online, but some steps need a visit.", p.name)
        }
        (OnlineLevel::None, false) => {
            format!("Chưa: «{}» chưa làm trực tuyến được; bạn mang giấy tờ đến Bộ phận Một cửa.", p.name)
        }
        (OnlineLevel::None, true) => {
            format!("Not yet: «{}» cannot be done online; bring the papers to the one-stop desk.", p.name)
        }
    }
}

/// The sentences answering `intents`, in the order asked (none: the question only named the
/// procedure).
pub(super) fn leads(p: &Procedure, intents: &[Intent], en: bool, at: Where<'_>) -> Vec<String> {
    let mut out: Vec<String> = intents
        .iter()
        .map(|i| match i {
            Intent::Fee => fee_sentence(p, en),
            Intent::Time => {
                if en {
                    format!("«{}» takes {}.", p.name, p.time_limit.english())
                } else {
                    format!("Thời hạn giải quyết thủ tục «{}»: {}.", p.name, p.time_limit)
                }
            }
            Intent::Papers => papers_sentence(p, en),
            Intent::Place => match (at.org, en) {
                (Some(org), false) => format!(
                    "Bạn nộp thủ tục «{}» tại {org} ({}), ở Bộ phận Một cửa hoặc trực tuyến nếu được.",
                    p.name, p.agency
                ),
                (Some(org), true) => {
                    format!(
                        "File «{}» with {org} ({}), at its one-stop desk or online where possible.",
                        p.name, p.agency
                    )
                }
                _ => {
                    if en {
                        format!(
                            "«{}» is handled by {}: apply at its one-stop desk, or online where possible.",
                            p.name, p.agency
                        )
                    } else {
                        format!(
                            "Nơi giải quyết thủ tục «{}»: {}; nộp tại Bộ phận Một cửa hoặc trực tuyến nếu được.",
                            p.name, p.agency
                        )
                    }
                }
            },
            Intent::Online => online_sentence(p, en),
            Intent::Start => match (p.online == OnlineLevel::None, en) {
                (false, false) => format!("Để bắt đầu «{}», bấm nút «Nộp hồ sơ trực tuyến» bên dưới.", p.name),
                (false, true) => format!("To start «{}», press «Apply online» below.", p.name),
                (true, false) => {
                    format!("«{}» chưa nộp trực tuyến được: mang giấy tờ đến Bộ phận Một cửa để bắt đầu.", p.name)
                }
                (true, true) => {
                    format!("«{}» cannot be filed online: bring the papers to the one-stop desk to start.", p.name)
                }
            },
        })
        .collect();
    if let (Some(org), true) = (at.org, intents.contains(&Intent::Start) && p.online != OnlineLevel::None) {
        out.push(if en {
            format!("The form opens with {org} chosen as the place of processing.")
        } else {
            format!("Trang nộp hồ sơ sẽ chọn sẵn nơi giải quyết: {org}.")
        });
    }
    if intents.iter().any(|i| matches!(i, Intent::Place | Intent::Start))
        && let Some(h) = at.hint(en)
    {
        out.push(h.to_owned());
    }
    out
}
