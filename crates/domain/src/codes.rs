//! Identifiers that come from outside: each parses or is refused.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::DomainError;

/// Serde, Display, FromStr and an OpenAPI string schema for a string newtype with a `parse`.
macro_rules! string_newtype {
    ($name:ident, $pattern:expr, $example:expr) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }
        impl FromStr for $name {
            type Err = DomainError;
            fn from_str(s: &str) -> Result<Self, DomainError> {
                Self::parse(s)
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = std::borrow::Cow::<str>::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .pattern(Some($pattern))
                    .examples([serde_json::json!($example)])
                    .into()
            }
        }
        impl utoipa::ToSchema for $name {}
    };
}

/// Official code of an administrative unit (General Statistics Office numbering): 2 digits
/// for a province, 3 for a (historic) district, 5 for a commune. Leading zeros matter.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnitCode(String);

impl UnitCode {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        if (2..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(DomainError::UnitCode(crate::text::truncate_for_message(raw)))
        }
    }
    /// From the numeric code of the published lists, padded to `width` digits.
    pub fn from_number(n: u32, width: usize) -> Result<Self, DomainError> {
        Self::parse(&format!("{n:0width$}"))
    }
}
string_newtype!(UnitCode, "^[0-9]{2,8}$", "22");

/// A group of a dotted code: non-empty, digits and capital letters only.
fn is_group(g: &str) -> bool {
    !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

/// Electronic identifier of an organisation (Decision 20/2020/QĐ-TTg, QCVN 102 form):
/// dot-separated groups of digits and capital letters, at most 35 characters,
/// e.g. `000.00.00.H22`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrgCode(String);

impl OrgCode {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        let ok = s.len() <= 35 && s.split('.').all(is_group);
        if ok { Ok(Self(s.to_owned())) } else { Err(DomainError::OrgCode(crate::text::truncate_for_message(raw))) }
    }
}
string_newtype!(OrgCode, "^[0-9A-Z]+(\\.[0-9A-Z]+)*$", "000.00.00.H22");

/// Code of an administrative procedure in the national database, e.g. `1.001193`, or a
/// local variant with further dot-separated groups (`2.000986.000.00.00.H22`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProcedureCode(String);

impl ProcedureCode {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        // A numeric prefix of 1–3 digits, then at least one group.
        let ok = s.len() <= 40
            && s.split_once('.').is_some_and(|(head, rest)| {
                (1..=3).contains(&head.len())
                    && head.bytes().all(|b| b.is_ascii_digit())
                    && rest.split('.').all(is_group)
            });
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(DomainError::ProcedureCode(crate::text::truncate_for_message(raw)))
        }
    }
}
string_newtype!(ProcedureCode, "^[0-9]{1,3}(\\.[0-9A-Z]+)+$", "1.001193");

/// Code of a field (lĩnh vực), the slug of its name: `ho-tich` for "Hộ tịch".
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldCode(String);

impl FieldCode {
    /// Accepts a code or a name ("Hộ tịch", "ho tich" and "ho-tich" are the same field).
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = crate::text::slug(raw);
        if s.is_empty() || s.len() > 100 {
            Err(DomainError::FieldCode(crate::text::truncate_for_message(raw)))
        } else {
            Ok(Self(s))
        }
    }
}
string_newtype!(FieldCode, "^[a-z0-9]+(-[a-z0-9]+)*$", "ho-tich");

/// Login name: 3–64 characters of lower-case ASCII letters, digits, `.`, `_`, `-`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        let ok = (3..=64).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'))
            && s.as_bytes()[0].is_ascii_alphanumeric();
        if ok { Ok(Self(s.to_owned())) } else { Err(DomainError::Username) }
    }
}
string_newtype!(Username, "^[a-z0-9][a-z0-9._-]{2,63}$", "stp.motcua");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_codes() {
        assert_eq!(UnitCode::parse("22").unwrap().as_str(), "22");
        assert_eq!(UnitCode::from_number(70, 5).unwrap().as_str(), "00070");
        for bad in ["", "2", "2a", "123456789", "-22", "２２"] {
            assert!(UnitCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn org_codes() {
        for good in ["000.00.00.H22", "H22", "G01.1"] {
            assert!(OrgCode::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "000..H22", "000.00.00.h22", ".H22", "H22.", "a b", &"1".repeat(36)] {
            assert!(OrgCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn procedure_codes() {
        for good in ["1.001193", "2.000986.000.00.00.H22", "3.000123"] {
            assert!(ProcedureCode::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "1", "1.", "a.001193", "1..2", "1.001193 x", "1234.5"] {
            assert!(ProcedureCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn field_codes_accept_names() {
        assert_eq!(FieldCode::parse("Hộ tịch").unwrap(), FieldCode::parse("ho-tich").unwrap());
        assert_eq!(FieldCode::parse("ho tich").unwrap().as_str(), "ho-tich");
        assert!(FieldCode::parse("  --  ").is_err());
    }

    #[test]
    fn usernames() {
        assert!(Username::parse("stp.motcua").is_ok());
        for bad in ["ab", "Admin", ".abc", "a b c", "nguyễn"] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn serde_round_trip_and_refusal() {
        let c: ProcedureCode = serde_json::from_str("\"1.001193\"").unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"1.001193\"");
        assert!(serde_json::from_str::<UnitCode>("\"x\"").is_err());
    }
}
