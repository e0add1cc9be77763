//! Organisations that receive and process dossiers.

use serde::{Deserialize, Serialize};

use crate::{Name, OrgCode, UnitCode};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// Ủy ban nhân dân (province or commune).
    PeoplesCommittee,
    /// Sở and equivalent provincial departments.
    Department,
    /// Công an (police).
    Police,
    /// Trung tâm Phục vụ hành chính công: the one-stop desk.
    ServiceCentre,
    Other,
}

impl OrgKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PeoplesCommittee => "peoples_committee",
            Self::Department => "department",
            Self::Police => "police",
            Self::ServiceCentre => "service_centre",
            Self::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::PeoplesCommittee, Self::Department, Self::Police, Self::ServiceCentre, Self::Other]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    /// Electronic identifier (mã định danh điện tử).
    pub code: OrgCode,
    pub name: Name,
    pub kind: OrgKind,
    /// The administrative unit it serves.
    pub unit: UnitCode,
    /// The organisation it belongs to, if any (a commune centre belongs to its People's Committee).
    #[serde(default)]
    pub parent: Option<OrgCode>,
}
