//! Citizen identity number (số căn cước công dân, Circular 07/2016/TT-BCA).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::DomainError;

/// 12 digits: province of birth (3), century and sex (1), year of birth (2), random (6).
/// `Debug` and [`Cccd::masked`] never show the whole number, so it cannot reach a log by
/// accident; only [`Cccd::as_str`] and serialisation give it out.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Cccd(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

/// Province-of-birth codes in use on CCCD numbers (the 63 pre-2025 provinces; numbers
/// already issued keep them).
const BIRTH_PROVINCES: [u16; 63] = [
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37, 38, 40, 42, 44, 45,
    46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92,
    93, 94, 95, 96,
];

impl Cccd {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        if s.len() != 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DomainError::Cccd("phải gồm đúng 12 chữ số"));
        }
        let province: u16 = s[0..3].parse().map_err(|_| DomainError::Cccd("mã tỉnh sai"))?;
        if !BIRTH_PROVINCES.contains(&province) {
            return Err(DomainError::Cccd("mã tỉnh nơi đăng ký khai sinh không tồn tại"));
        }
        Ok(Self(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The number with its middle hidden: `022******789`.
    pub fn masked(&self) -> String {
        format!("{}******{}", &self.0[..3], &self.0[9..])
    }
    pub fn birth_province(&self) -> &str {
        &self.0[..3]
    }
    pub fn sex(&self) -> Sex {
        let d = self.0.as_bytes()[3] - b'0';
        if d.is_multiple_of(2) { Sex::Male } else { Sex::Female }
    }
    /// Year of birth: the century digit gives 1900 + 100·(d / 2).
    pub fn birth_year(&self) -> u16 {
        let d = u16::from(self.0.as_bytes()[3] - b'0');
        let yy: u16 = u16::from(self.0.as_bytes()[4] - b'0') * 10 + u16::from(self.0.as_bytes()[5] - b'0');
        1900 + 100 * (d / 2) + yy
    }
}

impl fmt::Debug for Cccd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cccd({})", self.masked())
    }
}
impl fmt::Display for Cccd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}
impl Serialize for Cccd {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}
impl<'de> Deserialize<'de> for Cccd {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}
impl utoipa::PartialSchema for Cccd {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[0-9]{12}$"))
            .into()
    }
}
impl utoipa::ToSchema for Cccd {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_reads_fields() {
        let c = Cccd::parse("022301001234").unwrap();
        assert_eq!(c.birth_province(), "022");
        assert_eq!(c.sex(), Sex::Female);
        assert_eq!(c.birth_year(), 2001);
        let m = Cccd::parse("001085123456").unwrap();
        assert_eq!((m.sex(), m.birth_year()), (Sex::Male, 1985));
    }

    #[test]
    fn never_prints_whole_number() {
        let c = Cccd::parse("022301001234").unwrap();
        assert_eq!(c.masked(), "022******234");
        assert!(!format!("{c:?} {c}").contains("022301001234"));
    }

    #[test]
    fn rejects() {
        for bad in ["", "02230100123", "0223010012345", "02230100123a", "003301001234", "099301001234"] {
            assert!(Cccd::parse(bad).is_err(), "{bad}");
        }
    }
}
