//! Whether an answer states what the question asked: a labelled question names its procedure
//! and what it asks (`"asks": ["fee"]`); the answer states it when the assistant chose that
//! procedure, read the question as asking it, and its first sentences carry the catalog's
//! own fact — each fee's amount, the time limit, the first required paper, the agency, the
//! online level, the way to start. Reported per set (`"set": "tuning"` or `"heldout"`: the
//! held-out half is never used to tune the assistant).

use motcua_domain::{OnlineLevel, Procedure};

use super::intent::{self, Intent};

/// What the answer must say for `asked` about `p` (any of the strings).
fn expected(p: &Procedure, asked: Intent) -> Vec<String> {
    match asked {
        Intent::Fee if p.fees.is_empty() => vec!["không mất lệ phí".into()],
        Intent::Fee => vec![p.fees.iter().map(|f| f.amount.to_string()).collect::<Vec<_>>().join("|")],
        Intent::Time => vec![p.time_limit.to_string()],
        Intent::Papers => {
            let first = p.components.iter().find(|c| c.required).or(p.components.first());
            vec![first.map(|c| c.name.to_string()).unwrap_or_else(|| "không cần nộp giấy tờ".into())]
        }
        Intent::Place => vec![p.agency.to_string()],
        Intent::Online => vec![
            match p.online {
                OnlineLevel::Full => "trực tuyến toàn trình",
                OnlineLevel::Partial => "nộp hồ sơ trực tuyến được",
                OnlineLevel::None => "chưa làm trực tuyến",
            }
            .into(),
        ],
        Intent::Start => vec!["Nộp hồ sơ trực tuyến".into(), "Bộ phận Một cửa".into()],
    }
}

fn parse_intent(s: &str) -> Option<Intent> {
    [Intent::Fee, Intent::Time, Intent::Papers, Intent::Place, Intent::Online, Intent::Start]
        .into_iter()
        .find(|i| i.as_str() == s)
}

/// Whether the answer about `chosen` to `question` states every thing in `asks`.
pub(super) fn states(question: &str, chosen: &Procedure, asks: &[String]) -> bool {
    let reading = intent::read(question);
    let lines = super::leads::leads(chosen, &reading.intents, false, Default::default()).join("\n");
    asks.iter().all(|a| {
        let Some(i) = parse_intent(a) else { return false };
        reading.intents.contains(&i)
            && expected(chosen, i).iter().any(|e| e.split('|').all(|part| lines.contains(part)))
    })
}

/// Counts of one set.
#[derive(Debug, Default)]
pub(super) struct SetCounts {
    pub n: usize,
    pub right: usize,
    pub stated: usize,
    pub asked_back: usize,
}

impl SetCounts {
    pub fn line(&self, name: &str) -> String {
        let pct = |a: usize| 100.0 * a as f64 / self.n.max(1) as f64;
        format!(
            "[{name}] {} câu: thủ tục đúng (top-1) {:.1} %, nêu đúng điều được hỏi {:.1} %, hỏi lại {:.1} %",
            self.n,
            pct(self.right),
            pct(self.stated),
            pct(self.asked_back)
        )
    }
}
