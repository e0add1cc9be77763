//! A person as an identity provider (VNeID, the national portal's single sign-on) vouches for
//! them: what its ID token says, parsed into our types, and how surely it identified them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{Cccd, DomainError, Name, Phone, Sex};

/// How surely a session's holder was identified: a local password, or the provider's
/// electronic identification level 1 or 2 (Decree 69/2024/NĐ-CP).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Assurance {
    #[default]
    Password,
    Level1,
    Level2,
}

impl Assurance {
    pub fn as_i32(self) -> i32 {
        match self {
            Self::Password => 0,
            Self::Level1 => 1,
            Self::Level2 => 2,
        }
    }
    pub fn from_i32(n: i32) -> Self {
        match n {
            2 => Self::Level2,
            1 => Self::Level1,
            _ => Self::Password,
        }
    }
    /// The level an `acr` value names: one of `level2` is level 2, anything else level 1.
    pub fn from_acr(acr: Option<&str>, level2: &[String]) -> Self {
        match acr {
            Some(a) if level2.iter().any(|l| l == a) => Self::Level2,
            _ => Self::Level1,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Password => "Tài khoản của Cổng",
            Self::Level1 => "Định danh điện tử mức 1",
            Self::Level2 => "Định danh điện tử mức 2",
        }
    }
}

/// An address as the provider gives it (OpenID Connect's `address` claim): names, not codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ClaimedAddress {
    /// Tỉnh/thành phố (`region`).
    pub province: String,
    /// Xã/phường (`locality`).
    pub commune: String,
    /// Số nhà, đường phố (`street_address`, or `formatted` when nothing else is given).
    pub detail: String,
}

/// What a verified identity says of the person, kept with the link to prefill declarations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityProfile {
    pub full_name: Name,
    pub cccd: Cccd,
    /// ISO `yyyy-mm-dd`.
    pub birth_date: Option<jiff::civil::Date>,
    pub sex: Option<Sex>,
    pub phone: Option<Phone>,
    pub address: Option<ClaimedAddress>,
}

fn text<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claims.get(name).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

impl IdentityProfile {
    /// Reads an ID token's claims: the identity number from the claim named `cccd_claim`
    /// (required, a valid CCCD), the name (`name`, required), and what else is there and well
    /// formed (`birthdate`, `gender`, `phone_number`, `address`).
    pub fn from_claims(claims: &Map<String, Value>, cccd_claim: &str) -> Result<Self, DomainError> {
        let cccd = Cccd::parse(
            text(claims, cccd_claim)
                .ok_or_else(|| DomainError::Invalid(format!("thiếu số định danh cá nhân ({cccd_claim})")))?,
        )?;
        let full_name = Name::parse("Họ và tên", text(claims, "name").unwrap_or_default())?;
        let birth_date = text(claims, "birthdate").and_then(|d| d.parse().ok());
        let sex = match text(claims, "gender").map(str::to_lowercase).as_deref() {
            Some("male" | "nam") => Some(Sex::Male),
            Some("female" | "nữ" | "nu") => Some(Sex::Female),
            _ => None,
        };
        let phone = text(claims, "phone_number").and_then(|p| Phone::parse(p).ok());
        let address = claims.get("address").and_then(Value::as_object).map(|a| ClaimedAddress {
            province: text(a, "region").unwrap_or_default().to_owned(),
            commune: text(a, "locality").unwrap_or_default().to_owned(),
            detail: text(a, "street_address").or_else(|| text(a, "formatted")).unwrap_or_default().to_owned(),
        });
        Ok(Self { full_name, cccd, birth_date, sex, phone, address })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn a_profile_is_read_from_standard_claims_and_the_identity_number() {
        let p = IdentityProfile::from_claims(
            &claims(serde_json::json!({
                "sub": "x", "cccd": "001090012345", "name": "Nguyễn Thị An", "birthdate": "1990-05-17",
                "gender": "female", "phone_number": "0912345678",
                "address": {"region": "Quảng Ninh", "locality": "Phường Hạ Long", "street_address": "Số 12"}
            })),
            "cccd",
        )
        .unwrap();
        assert_eq!(p.cccd.as_str(), "001090012345");
        assert_eq!(p.full_name.as_str(), "Nguyễn Thị An");
        assert_eq!(p.birth_date, Some(jiff::civil::date(1990, 5, 17)));
        assert_eq!(p.sex, Some(Sex::Female));
        assert_eq!(p.phone.as_ref().map(|p| p.as_str()), Some("0912345678"));
        assert_eq!(p.address.as_ref().map(|a| a.commune.as_str()), Some("Phường Hạ Long"));
    }

    #[test]
    fn an_identity_without_a_valid_number_or_a_name_is_refused() {
        let no_number = claims(serde_json::json!({"name": "Nguyễn Văn A"}));
        assert!(IdentityProfile::from_claims(&no_number, "cccd").is_err());
        let bad_number = claims(serde_json::json!({"name": "Nguyễn Văn A", "cccd": "12345"}));
        assert!(IdentityProfile::from_claims(&bad_number, "cccd").is_err());
        let no_name = claims(serde_json::json!({"cccd": "001090012345"}));
        assert!(IdentityProfile::from_claims(&no_name, "cccd").is_err());
        // Badly formed optional claims are left out, not trusted.
        let odd =
            claims(serde_json::json!({"name": "Lê B", "cccd": "001090012345", "birthdate": "17/05", "gender": "?"}));
        let p = IdentityProfile::from_claims(&odd, "cccd").unwrap();
        assert_eq!((p.birth_date, p.sex), (None, None));
    }

    #[test]
    fn the_level_comes_from_acr() {
        let l2 = vec!["level2".to_owned()];
        assert_eq!(Assurance::from_acr(Some("level2"), &l2), Assurance::Level2);
        assert_eq!(Assurance::from_acr(Some("level1"), &l2), Assurance::Level1);
        assert_eq!(Assurance::from_acr(None, &l2), Assurance::Level1);
        assert!(Assurance::Level2 > Assurance::Level1 && Assurance::Level1 > Assurance::Password);
        assert_eq!(Assurance::from_i32(Assurance::Level2.as_i32()), Assurance::Level2);
    }
}
