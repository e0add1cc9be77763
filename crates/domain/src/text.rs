//! Vietnamese text: NFC normalisation, diacritic folding and slugs, and bounded text values.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};

use crate::DomainError;

/// Canonical (NFC) form: the same word typed on different keyboards compares equal.
pub fn nfc(s: &str) -> String {
    s.nfc().collect()
}

/// Lower-case and strip every diacritic (đ → d included): "Đăng ký khai sinh" → "dang ky khai sinh".
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'đ' | 'Đ' => out.push('d'),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Folded text with every run of non-alphanumeric characters turned into one `-`.
pub fn slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in fold(s).chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// Invisible characters that change how text around them is shown: the bidirectional
/// overrides and isolates (U+202E makes `exe.pdf` read as `fdp.exe`), zero-width characters,
/// the byte-order mark and the soft hyphen. No name or file name needs them.
pub fn is_deceptive_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// Text that is NFC-normalised, trimmed, non-empty, at most `MAX` characters and free of
/// control characters (newlines and tabs allowed).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BoundedText<const MAX: usize>(String);

/// Names of units, organisations, procedures, people.
pub type Name = BoundedText<500>;

/// A person's name as a paper's QR code and public pages show it: the family name, then the
/// initial of every other word ("Nguyễn Thị Lan" → "Nguyễn T. L."): enough to match the
/// holder's identity card, not enough to read who it is from the code alone.
pub fn masked_name(full: &str) -> String {
    let mut words = full.split_whitespace();
    let Some(family) = words.next() else { return String::new() };
    let mut out = family.to_owned();
    for w in words {
        if let Some(c) = w.chars().next() {
            out.push(' ');
            out.extend(c.to_uppercase());
            out.push('.');
        }
    }
    out
}

impl<const MAX: usize> BoundedText<MAX> {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, DomainError> {
        let s = nfc(raw.trim());
        if s.is_empty() {
            return Err(DomainError::Text { field, reason: "không được để trống" });
        }
        if s.chars().count() > MAX {
            return Err(DomainError::Text { field, reason: "quá dài" });
        }
        if s.chars().any(|c| (c.is_control() && c != '\n' && c != '\t') || is_deceptive_format(c)) {
            return Err(DomainError::Text { field, reason: "chứa ký tự điều khiển" });
        }
        Ok(Self(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn folded(&self) -> String {
        fold(&self.0)
    }
}

impl<const MAX: usize> fmt::Display for BoundedText<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl<const MAX: usize> fmt::Debug for BoundedText<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}
impl<const MAX: usize> Serialize for BoundedText<MAX> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}
impl<'de, const MAX: usize> Deserialize<'de> for BoundedText<MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        Self::parse("văn bản", &s).map_err(serde::de::Error::custom)
    }
}
impl<const MAX: usize> utoipa::PartialSchema for BoundedText<MAX> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .min_length(Some(1))
            .max_length(Some(MAX))
            .into()
    }
}
impl<const MAX: usize> utoipa::ToSchema for BoundedText<MAX> {}

/// A short, printable excerpt of rejected input for an error message.
pub fn truncate_for_message(raw: &str) -> String {
    let mut s: String = raw.chars().filter(|c| !c.is_control() && !is_deceptive_format(*c)).take(40).collect();
    if raw.chars().count() > 40 {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_vietnamese() {
        assert_eq!(fold("Đăng ký khai sinh"), "dang ky khai sinh");
        assert_eq!(fold("ĐẶC KHU CÔ TÔ"), "dac khu co to");
        assert_eq!(fold("Hùng Vương, Quảng Ninh"), "hung vuong, quang ninh");
        // Decomposed input (as some keyboards send it) folds the same.
        assert_eq!(fold("Nga\u{300}y"), "ngay");
    }

    #[test]
    fn names_are_masked_to_the_family_name_and_initials() {
        assert_eq!(masked_name("Nguyễn Thị Lan"), "Nguyễn T. L.");
        assert_eq!(masked_name("  đặng   văn   ấn "), "đặng V. Ấ.");
        assert_eq!(masked_name("Mai"), "Mai");
        assert_eq!(masked_name(""), "");
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("Hộ tịch"), "ho-tich");
        assert_eq!(slug("  Đất đai / Môi trường "), "dat-dai-moi-truong");
    }

    #[test]
    fn bounded_text_normalises_and_rejects() {
        let t = Name::parse("tên", "  Nga\u{300}y  ").unwrap();
        assert_eq!(t.as_str(), "Ngày");
        assert!(Name::parse("tên", "   ").is_err());
        assert!(BoundedText::<3>::parse("tên", "abcd").is_err());
        assert!(Name::parse("tên", "a\u{7}b").is_err());
        assert!(Name::parse("tên", "Nguyễn \u{202E}nA").is_err(), "a right-to-left override");
        assert!(Name::parse("tên", "An\u{200B}").is_err(), "a zero-width space");
    }
}
