//! The commune a citizen names in a question ("tôi ở phường Hạ Long", "o xa quang la"), found
//! among the 2025 communes motcua ships, and the question without those words.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::catalog::declarations;

/// Words that say what comes next is a place: the unit's kind, or "in / at".
const MARKERS: &[&str] = &["phuong", "xa", "dac khu", "o", "tai", "song o", "song tai"];

/// The markers that are a unit's kind.
const KINDS: &[&str] = &["phuong", "xa", "dac khu"];

/// The longest commune name, in words ("Văn Miếu - Quốc Tử Giám" is five).
const MAX_WORDS: usize = 6;

/// A commune named: its code and its name as the list writes it ("Phường Hạ Long").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub code: String,
    pub name: String,
    /// Its province's code.
    pub province: String,
}

/// Folded bare name ("ha long") → the communes of that name (several provinces may have one).
fn by_name() -> &'static HashMap<String, Vec<Named>> {
    static BY_NAME: OnceLock<HashMap<String, Vec<Named>>> = OnceLock::new();
    BY_NAME.get_or_init(|| {
        let mut out: HashMap<String, Vec<Named>> = HashMap::new();
        for (province, _) in declarations::provinces() {
            for (code, name) in declarations::communes_of(&province) {
                out.entry(bare(&name)).or_default().push(Named { code, name, province: province.clone() });
            }
        }
        out
    })
}

/// The commune with this code, if it is one.
pub fn named_by_code(code: &str) -> Option<Named> {
    by_name().values().flatten().find(|n| n.code == code).cloned()
}

/// "Phường Hạ Long" → "ha long": folded, words only, without the kind.
fn bare(name: &str) -> String {
    let folded = words(&motcua_domain::text::fold(name));
    ["phuong ", "xa ", "dac khu ", "thi tran "]
        .iter()
        .find_map(|k| folded.strip_prefix(k).map(str::to_owned))
        .unwrap_or(folded)
}

fn words(s: &str) -> String {
    s.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

/// The communes named in `folded` (lower case, no diacritics, words separated by one space)
/// and the words left once the naming words are out. The longest name after a marker wins;
/// none: nothing named, the words as given.
pub fn find(folded: &str) -> (Vec<Named>, String) {
    let w: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    let names = by_name();
    // (start of the marker, end after the name, communes)
    let mut best: Option<(usize, usize, Vec<Named>)> = None;
    for start in 0..w.len() {
        for marker in MARKERS {
            let m: Vec<&str> = marker.split(' ').collect();
            if w.len() < start + m.len() || w[start..start + m.len()] != m[..] {
                continue;
            }
            let from = start + m.len();
            for len in (1..=MAX_WORDS.min(w.len().saturating_sub(from))).rev() {
                let candidate = w[from..from + len].join(" ");
                if let Some(found) = names.get(&candidate) {
                    // After a kind ("phường"), only units of that kind: "phường Hạ Long" is
                    // not "xã Hà Long", which folds the same.
                    let of_kind: Vec<Named> = found
                        .iter()
                        .filter(|n| {
                            !KINDS.contains(marker) || words(&motcua_domain::text::fold(&n.name)).starts_with(marker)
                        })
                        .cloned()
                        .collect();
                    let longer = best.as_ref().is_none_or(|(s, e, _)| from + len - start > e - s);
                    if longer && !of_kind.is_empty() {
                        best = Some((start, from + len, of_kind));
                    }
                    break;
                }
            }
        }
    }
    match best {
        Some((mut start, end, found)) => {
            // "ở phường …": the preposition goes with the place.
            while start > 0 && ["o", "tai", "song"].contains(&w[start - 1]) {
                start -= 1;
            }
            let rest = w[..start].iter().chain(&w[end..]).copied().collect::<Vec<_>>().join(" ");
            (found, rest)
        }
        None => (Vec::new(), w.join(" ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commune_is_found_after_its_kind_or_a_preposition_and_taken_out() {
        let (found, rest) = find("toi o phuong ha long muon dang ky khai sinh");
        assert_eq!(found.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(), ["Phường Hạ Long"]);
        assert_eq!(rest, "toi muon dang ky khai sinh");
        // Without the kind, every commune of the name (folded, "Hạ Long" is also "Hà Long").
        let (found, rest) = find("dang ky thuong tru o ha long");
        assert!(found.iter().any(|n| n.name == "Phường Hạ Long") && found.len() == 2, "{found:?}");
        assert_eq!(rest, "dang ky thuong tru");
        assert_eq!(find("xa ha long").0.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(), ["Xã Hà Long"]);
        // Not after a marker: a name alone is not a place ("long" is no commune either).
        let (found, rest) = find("ha long dang ky ket hon");
        assert!(found.is_empty() && rest == "ha long dang ky ket hon");
        // "ở đâu" is no commune.
        assert!(find("nop o dau").0.is_empty());
        // A name several provinces share gives every one of them.
        let (found, _) = find("xa tan lap");
        assert!(found.len() > 1, "{found:?}");
    }
}
