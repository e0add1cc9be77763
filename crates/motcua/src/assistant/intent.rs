//! What a citizen's question asks about a procedure — the fee, the time it takes, the papers,
//! where to go, whether it can be done online, how to start — and the question with those
//! words taken out, so that only the words naming the procedure are searched ("làm lại hộ
//! chiếu mất mấy ngày": "mất mấy ngày" asks how long; searched, "mất" would find procedures
//! for something lost).

use motcua_domain::text::fold;

/// What is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    Fee,
    Time,
    Papers,
    Place,
    Online,
    Start,
}

impl Intent {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fee => "fee",
            Self::Time => "time",
            Self::Papers => "papers",
            Self::Place => "place",
            Self::Online => "online",
            Self::Start => "start",
        }
    }
}

/// Phrases (folded: lower case, no diacritics) that ask each thing, the longer first where
/// one holds another. Taken out of the searched words.
const PHRASES: &[(Intent, &[&str])] = &[
    (
        Intent::Time,
        &[
            "mat may ngay",
            "mat bao lau",
            "mat bao nhieu ngay",
            "mat bao nhieu lau",
            "bao nhieu ngay",
            "trong bao lau",
            "bao lau thi co",
            "bao lau",
            "may ngay",
            "thoi han giai quyet",
            "thoi han",
            "thoi gian giai quyet",
            "thoi gian",
            "bao gio co",
            "khi nao co",
            "how long",
        ],
    ),
    (
        Intent::Fee,
        &[
            "le phi",
            "mat bao nhieu tien",
            "het bao nhieu tien",
            "ton bao nhieu tien",
            "bao nhieu tien",
            "mat bao nhieu",
            "het bao nhieu",
            "ton bao nhieu",
            "chi phi",
            "mat phi",
            "mat tien",
            "ton tien",
            "het tien",
            "tra tien",
            "tien phi",
            "phi",
            "gia bao nhieu",
            "fee",
            "cost",
        ],
    ),
    (
        Intent::Papers,
        &[
            "giay to gi",
            "giay to can",
            "giay to",
            "ho so gom",
            "ho so can",
            "can nhung gi",
            "can chuan bi",
            "chuan bi gi",
            "chuan bi",
            "mang theo gi",
            "mang theo",
            "thanh phan ho so",
            "can gi",
            "papers",
            "documents",
        ],
    ),
    (Intent::Online, &["lam truc tuyen", "nop truc tuyen", "truc tuyen", "online", "qua mang", "tren mang", "tai nha"]),
    (Intent::Place, &["nop o dau", "lam o dau", "den dau", "o dau", "noi nao", "co quan nao", "where"]),
    (Intent::Start, &["nop luon", "bat dau", "nop ho so", "lam sao de nop", "how to apply", "apply"]),
];

/// Small words that say nothing of the procedure once the asking words are gone.
const FILLER: &[&str] = &[
    "con", "thi", "sao", "vay", "a", "the", "nao", "nhu", "la", "co", "khong", "duoc", "bao", "nhieu", "gi", "can",
    "phai", "ko", "k", "nua", "ve", "cho", "toi", "minh", "em", "anh", "chi", "oi", "nhe", "nha", "a", "de", "va",
    "thu", "tuc", "nay", "do", "lam", "muon", "song", "hien", "o", "dang", "ban", "what", "about", "and", "is", "it",
    "how", "much", "the",
];

/// A question read: what it asks, and the words left to find the procedure by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub intents: Vec<Intent>,
    /// The question without the asking phrases (folded).
    pub rest: String,
    /// Nothing but small words is left: the question is about the procedure already talked of.
    pub follow_up: bool,
}

/// Reads a question.
pub fn read(question: &str) -> Reading {
    let mut text = format!(" {} ", words(&fold(question)));
    let mut intents = Vec::new();
    for (intent, phrases) in PHRASES {
        for p in *phrases {
            let needle = format!(" {p} ");
            if text.contains(&needle) {
                if !intents.contains(intent) {
                    intents.push(*intent);
                }
                text = text.replace(&needle, " ");
            }
        }
    }
    let rest = words(&text);
    let follow_up = only_filler(&rest);
    Reading { intents, rest, follow_up }
}

/// Whether nothing but small words is left (nothing names a procedure).
pub fn only_filler(rest: &str) -> bool {
    rest.split(' ').filter(|w| !w.is_empty()).all(|w| FILLER.contains(&w))
}

/// Letters and digits only, one space between words.
fn words(s: &str) -> String {
    s.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asking_words_are_read_and_taken_out() {
        let r = read("Làm lại hộ chiếu mất mấy ngày?");
        assert_eq!(
            (r.intents.as_slice(), r.rest.as_str(), r.follow_up),
            (&[Intent::Time][..], "lam lai ho chieu", false)
        );
        let r = read("lam lai ho chieu bi mat");
        assert!(r.intents.is_empty() && r.rest.contains("mat"), "lost is not how long: {r:?}");
        let r = read("còn lệ phí thì sao?");
        assert_eq!((r.intents.as_slice(), r.follow_up), (&[Intent::Fee][..], true));
        let r = read("cần giấy tờ gì, nộp ở đâu");
        assert_eq!(r.intents, vec![Intent::Papers, Intent::Place]);
        assert!(r.follow_up);
        let r = read("đăng ký khai sinh cho con");
        assert!(r.intents.is_empty() && !r.follow_up);
        let r = read("dang ky thuong tru het bao nhieu tien");
        assert_eq!((r.intents.as_slice(), r.rest.as_str()), (&[Intent::Fee][..], "dang ky thuong tru"));
    }
}
