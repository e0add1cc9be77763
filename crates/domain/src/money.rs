//! Money in Vietnamese đồng.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::DomainError;

/// A non-negative whole amount of đồng (VND has no minor unit in use), at most
/// 10¹⁵ ₫. Displays the Vietnamese way: `1.200.000 ₫`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Vnd(i64);

impl Vnd {
    pub const MAX: i64 = 1_000_000_000_000_000;
    pub const ZERO: Vnd = Vnd(0);

    pub fn new(amount: i64) -> Result<Self, DomainError> {
        if amount < 0 {
            Err(DomainError::Money("không được âm"))
        } else if amount > Self::MAX {
            Err(DomainError::Money("quá lớn"))
        } else {
            Ok(Self(amount))
        }
    }
    pub fn amount(self) -> i64 {
        self.0
    }
    pub fn checked_add(self, other: Vnd) -> Option<Vnd> {
        Vnd::new(self.0.checked_add(other.0)?).ok()
    }
}

/// `1234567` → `1.234.567` (Vietnamese thousands separator), with `sep` instead of `.` if
/// asked.
pub fn group_thousands(n: i64, sep: char) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + 8);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

impl fmt::Display for Vnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ₫", group_thousands(self.0, '.'))
    }
}
impl fmt::Debug for Vnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Vnd({})", self.0)
    }
}
impl Serialize for Vnd {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.0)
    }
}
impl<'de> Deserialize<'de> for Vnd {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = i64::deserialize(d)?;
        Vnd::new(n).map_err(serde::de::Error::custom)
    }
}
impl utoipa::PartialSchema for Vnd {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Int64)))
            .minimum(Some(0))
            .maximum(Some(Self::MAX))
            .description(Some("Số tiền (đồng)"))
            .into()
    }
}
impl utoipa::ToSchema for Vnd {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_vietnamese() {
        assert_eq!(Vnd::new(1_200_000).unwrap().to_string(), "1.200.000 ₫");
        assert_eq!(Vnd::new(0).unwrap().to_string(), "0 ₫");
        assert_eq!(Vnd::new(999).unwrap().to_string(), "999 ₫");
        assert_eq!(Vnd::new(1000).unwrap().to_string(), "1.000 ₫");
        assert_eq!(Vnd::new(135_000).unwrap().to_string(), "135.000 ₫");
    }

    #[test]
    fn rejects_negative_and_huge() {
        assert!(Vnd::new(-1).is_err());
        assert!(Vnd::new(Vnd::MAX + 1).is_err());
        assert!(serde_json::from_str::<Vnd>("-5").is_err());
        assert!(serde_json::from_str::<Vnd>("1.5").is_err());
        assert_eq!(Vnd::new(Vnd::MAX).unwrap().checked_add(Vnd::new(1).unwrap()), None);
    }
}
