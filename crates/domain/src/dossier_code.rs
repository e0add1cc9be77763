//! Dossier codes (Circular 01/2018/TT-VPCP Art. 19): `<unit identifier>-YYMMDD-XXXX`.

use std::fmt;

use jiff::civil::Date;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{DomainError, OrgCode};

/// `000.00.01.H22-250303-0001`: the receiving unit's identifier, the reception date, and the
/// day's sequence number for that unit (at least 4 digits; `AA0001` with a two-letter prefix
/// for nationally centralised services, Circular 04/2025).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DossierCode(String);

impl DossierCode {
    pub fn new(unit: &OrgCode, date: Date, sequence: u32) -> Result<Self, DomainError> {
        let yy = date.year().rem_euclid(100);
        Self::parse(&format!("{unit}-{yy:02}{:02}{:02}-{sequence:04}", date.month(), date.day()))
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        let bad =
            || DomainError::Invalid(format!("Mã hồ sơ không hợp lệ: «{}»", crate::text::truncate_for_message(raw)));
        let mut parts = s.rsplitn(3, '-');
        let (seq, day, unit) =
            (parts.next().ok_or_else(bad)?, parts.next().ok_or_else(bad)?, parts.next().ok_or_else(bad)?);
        OrgCode::parse(unit).map_err(|_| bad())?;
        let digits = seq.trim_start_matches(|c: char| c.is_ascii_uppercase());
        let prefix = seq.len() - digits.len();
        if prefix > 2 || digits.len() < 4 || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        if day.len() != 6 || !day.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let n = |i: usize| day[i..i + 2].parse::<i8>().map_err(|_| bad());
        Date::new(2000 + i16::from(n(0)?), n(2)?, n(4)?).map_err(|_| bad())?;
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The receiving unit's identifier.
    pub fn unit(&self) -> &str {
        self.0.rsplitn(3, '-').nth(2).unwrap_or_default()
    }

    /// The reception date the code carries.
    pub fn date(&self) -> Option<Date> {
        let day = self.0.rsplit('-').nth(1)?;
        let n = |i: usize| day.get(i..i + 2)?.parse::<i8>().ok();
        Date::new(2000 + i16::from(n(0)?), n(2)?, n(4)?).ok()
    }

    /// The day's sequence number.
    pub fn sequence(&self) -> u32 {
        let seq = self.0.rsplit('-').next().unwrap_or_default();
        seq.trim_start_matches(|c: char| c.is_ascii_uppercase()).parse().unwrap_or(0)
    }
}

impl fmt::Display for DossierCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Debug for DossierCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DossierCode({})", self.0)
    }
}
impl Serialize for DossierCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}
impl<'de> Deserialize<'de> for DossierCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}
impl utoipa::PartialSchema for DossierCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .examples([serde_json::json!("000.00.01.H22-250303-0001")])
            .into()
    }
}
impl utoipa::ToSchema for DossierCode {}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn builds_and_parses() {
        let c = DossierCode::new(&OrgCode::parse("000.00.01.H22").unwrap(), date(2025, 3, 3), 7).unwrap();
        assert_eq!(c.as_str(), "000.00.01.H22-250303-0007");
        assert_eq!((c.unit(), c.sequence()), ("000.00.01.H22", 7));
        assert_eq!(DossierCode::parse("000.00.01.H22-250303-12345").unwrap().sequence(), 12345);
        assert_eq!(DossierCode::parse("G01-251122-AB0001").unwrap().sequence(), 1);
    }

    #[test]
    fn refuses_malformed_codes() {
        for bad in [
            "",
            "x",
            "000.00.01.H22-250303",
            "000.00.01.H22-251303-0001",
            "000.00.01.H22-250303-001",
            "h22-250303-0001",
            "000.00.01.H22-250303-ABC0001",
            "-250303-0001",
        ] {
            assert!(DossierCode::parse(bad).is_err(), "{bad}");
        }
    }
}
