//! The applicant's rating of how their dossier was handled (one per dossier, after the
//! result is returned), as the province's satisfaction index counts it.

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// 1 (very dissatisfied) to 5 (very satisfied).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct Stars(u8);

impl Stars {
    pub fn new(n: i64) -> Result<Self, DomainError> {
        match u8::try_from(n) {
            Ok(v @ 1..=5) => Ok(Self(v)),
            _ => Err(DomainError::Stars),
        }
    }
    pub fn get(self) -> u8 {
        self.0
    }
    pub fn label_vi(self) -> &'static str {
        match self.0 {
            1 => "Rất không hài lòng",
            2 => "Không hài lòng",
            3 => "Bình thường",
            4 => "Hài lòng",
            _ => "Rất hài lòng",
        }
    }
    pub fn label_en(self) -> &'static str {
        match self.0 {
            1 => "Very dissatisfied",
            2 => "Dissatisfied",
            3 => "Neutral",
            4 => "Satisfied",
            _ => "Very satisfied",
        }
    }
}

impl<'de> Deserialize<'de> for Stars {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Stars::new(i64::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_one_to_five() {
        assert!(Stars::new(0).is_err());
        assert!(Stars::new(6).is_err());
        assert!(Stars::new(-1).is_err());
        assert!(Stars::new(300).is_err());
        assert_eq!(Stars::new(5).map(Stars::get), Ok(5));
        assert!(serde_json::from_str::<Stars>("7").is_err());
        assert_eq!(serde_json::from_str::<Stars>("4").map(Stars::get).ok(), Some(4));
    }
}
