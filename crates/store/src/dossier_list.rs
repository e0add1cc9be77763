//! Dossier lists that cost what they show (issue 28): the order a filter implies, where the
//! next page starts (a keyset cursor, not an offset), and counts that stop at a bound.

use motcua_domain::DossierCode;
use motcua_domain::workflow::Dossier;

use crate::DossierFilter;

/// The order of a dossier list, chosen by its filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListOrder {
    /// Work waiting for someone (an inbox, a step, overdue or due soon): soonest due first,
    /// those without a deadline last, then the latest submitted, then the code.
    Due,
    /// Everything else (a citizen's dossiers, every dossier of a unit, a search): the latest
    /// submitted first, then the code (descending), so the archive stays behind.
    Recent,
}

impl DossierFilter {
    /// [`ListOrder::Due`] when the filter keeps only dossiers that wait at a step.
    pub fn order(&self) -> ListOrder {
        if self.waiting_at.is_some() || self.open_due_before.is_some() || self.step.is_some() {
            ListOrder::Due
        } else {
            ListOrder::Recent
        }
    }
}

/// The sort key standing for "no deadline" (after every real one).
pub(crate) const NO_DUE: i64 = i64::MAX;

/// Where the next page of a list starts: the last row shown, by its sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierCursor {
    /// Present for [`ListOrder::Due`]: the row's deadline in microseconds ([`NO_DUE`] for none).
    pub(crate) due: Option<i64>,
    pub(crate) submitted: i64,
    pub(crate) code: DossierCode,
}

impl DossierCursor {
    /// The cursor after `d` in a list of this order.
    pub fn after(d: &Dossier, order: ListOrder) -> Self {
        let due = match order {
            ListOrder::Due => Some(d.due_at.map_or(NO_DUE, |t| t.as_microsecond())),
            ListOrder::Recent => None,
        };
        Self { due, submitted: d.submitted_at.as_microsecond(), code: d.code.clone() }
    }

    /// `d<due>~<submitted>~<code>` or `r<submitted>~<code>`; `None` for anything else.
    pub fn parse(raw: &str) -> Option<Self> {
        let (kind, rest) = raw.split_at_checked(1)?;
        let mut parts = rest.splitn(if kind == "d" { 3 } else { 2 }, '~');
        let due = match kind {
            "d" => Some(parts.next()?.parse::<i64>().ok()?),
            "r" => None,
            _ => return None,
        };
        let submitted = parts.next()?.parse::<i64>().ok()?;
        let code = DossierCode::parse(parts.next()?).ok()?;
        (code.as_str() == raw.rsplit('~').next()?).then_some(Self { due, submitted, code })
    }

    /// The cursor as text for an address (see [`DossierCursor::parse`]).
    pub fn encode(&self) -> String {
        match self.due {
            Some(due) => format!("d{due}~{}~{}", self.submitted, self.code),
            None => format!("r{}~{}", self.submitted, self.code),
        }
    }

    /// The order this cursor continues.
    pub fn order(&self) -> ListOrder {
        if self.due.is_some() { ListOrder::Due } else { ListOrder::Recent }
    }
}

/// A page of a dossier list: up to `limit` rows after `after` (from the start when `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierPage {
    pub after: Option<DossierCursor>,
    pub limit: i64,
}

impl DossierPage {
    /// The first `limit` rows (clamped to 1..=500).
    pub fn first(limit: i64) -> Self {
        Self { after: None, limit: limit.clamp(1, crate::Page::MAX_LIMIT) }
    }
    pub fn after(after: Option<DossierCursor>, limit: i64) -> Self {
        Self { after, ..Self::first(limit) }
    }
}

/// Lists count their rows up to this many; past it they say "more than".
pub const COUNT_BOUND: i64 = 1_000;

/// How many dossiers match a list's filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListTotal {
    Exact(i64),
    /// More than this many (the count stopped at [`COUNT_BOUND`]).
    MoreThan(i64),
}

impl ListTotal {
    /// The count, or the bound it passed.
    pub fn value(self) -> i64 {
        match self {
            ListTotal::Exact(n) | ListTotal::MoreThan(n) => n,
        }
    }
    pub fn is_exact(self) -> bool {
        matches!(self, ListTotal::Exact(_))
    }
}

/// One page of dossiers, how many match in all, and where the next page starts.
#[derive(Debug, Clone)]
pub struct DossierList {
    pub items: Vec<Dossier>,
    pub total: ListTotal,
    /// `None` on the last page.
    pub next: Option<DossierCursor>,
}

/// The words a dossier is found by in a unit's list (`dossier_terms`): the applicant's name
/// without diacritics as it starts and as it ends ("nguyen", "nguyen van", "nguyen van an",
/// "van an", "an"), their CCCD and phone, the code and its end as read off a paper
/// ("261205-0001"), and its procedure ([`procedure_term`]).
pub(crate) fn search_terms(d: &Dossier) -> Vec<String> {
    let a = &d.applicant;
    let folded = a.full_name.folded();
    let words: Vec<&str> = folded.split_whitespace().collect();
    let mut out: Vec<String> = Vec::new();
    for i in 1..=words.len() {
        out.push(words[..i].join(" "));
        out.push(words[words.len() - i..].join(" "));
    }
    out.extend(a.cccd.as_ref().map(|c| c.as_str().to_owned()));
    out.extend(a.phone.as_ref().map(|p| p.as_str().to_owned()));
    out.push(d.code.as_str().to_lowercase());
    if let Some((_, tail)) = d.code.as_str().split_once('-') {
        out.push(tail.to_lowercase());
    }
    out.push(procedure_term(d.procedure.as_str()));
    out.sort();
    out.dedup();
    out.retain(|t| !t.is_empty() && t.len() <= 200);
    out
}

/// The word a procedure's dossiers are found by (`thu-tuc:1.004194`), for the lists of a
/// procedure or a field (its procedures').
pub(crate) fn procedure_term(code: &str) -> String {
    format!("thu-tuc:{}", code.to_lowercase())
}

/// What a search looks up among [`search_terms`]: the words without diacritics, lower case,
/// one space between them.
pub(crate) fn search_term(q: &str) -> String {
    motcua_domain::text::fold(q).split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_what_they_wrote_and_nothing_else() {
        let code = DossierCode::parse("000.00.37.H22-261205-0001").unwrap();
        for due in [Some(1_733_390_000_000_000), Some(NO_DUE), Some(-5), None] {
            let c = DossierCursor { due, submitted: 1_733_000_000_000_123, code: code.clone() };
            assert_eq!(DossierCursor::parse(&c.encode()), Some(c.clone()), "{}", c.encode());
            assert_eq!(c.order(), if due.is_some() { ListOrder::Due } else { ListOrder::Recent });
        }
        for bad in [
            "",
            "x1~000.00.37.H22-261205-0001",
            "r~000.00.37.H22-261205-0001",
            "r12",
            "r12~",
            "r12~nope",
            "d1~2",
            "d1~2~000.00.37.H22-261205-0001~3",
            "rabc~000.00.37.H22-261205-0001",
            "r1~ 000.00.37.H22-261205-0001",
            "é1~000.00.37.H22-261205-0001",
        ] {
            assert_eq!(DossierCursor::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn work_waiting_is_listed_by_deadline_and_the_rest_by_date() {
        assert_eq!(DossierFilter::default().order(), ListOrder::Recent);
        assert_eq!(DossierFilter { owner: Some(1), ..Default::default() }.order(), ListOrder::Recent);
        assert_eq!(DossierFilter { waiting_at: Some(vec![]), ..Default::default() }.order(), ListOrder::Due);
        assert_eq!(DossierFilter { step: Some("appraise".into()), ..Default::default() }.order(), ListOrder::Due);
        let due = DossierFilter { open_due_before: Some(jiff::Timestamp::UNIX_EPOCH), ..Default::default() };
        assert_eq!(due.order(), ListOrder::Due);
    }
}
