//! Domain of motcua: the values a one-stop shop deals in, each of which can only exist
//! when valid. No SQL and no HTTP here: the store records what the domain decides, the
//! server translates it to and from the wire.

pub mod account;
pub mod attachment;
pub mod audit;
pub mod calendar;
pub mod catalog;
pub mod cccd;
pub mod codes;
pub mod dossier_code;
pub mod eform;
pub mod error;
pub mod feedback;
pub mod identity;
pub mod meeting;
pub mod money;
pub mod org;
pub mod payment;
pub mod rating;
pub mod second_factor;
pub mod service;
pub mod stats;
pub mod text;
pub mod unit;
pub mod work;
pub mod workflow;

pub use account::{Account, AccountKind, Email, NewAccount, Password, Phone, Role, RoleAssignment};
pub use catalog::{Component, Fee, FeeKind, Field, OnlineLevel, PaperForm, Procedure, ProcedureLevel, TimeLimit};
pub use cccd::{Cccd, Sex};
pub use codes::{FieldCode, OrgCode, ProcedureCode, UnitCode, Username};
pub use dossier_code::DossierCode;
pub use error::DomainError;
pub use money::Vnd;
pub use org::{OrgKind, Organisation};
pub use text::{BoundedText, Name, masked_name};
pub use unit::{AdminUnit, UnitRecord};
