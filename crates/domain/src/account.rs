//! Accounts: staff with roles scoped to organisations, and citizens.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{Cccd, DomainError, Name, OrgCode, Username};

/// Staff roles of the one-stop process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Cán bộ Bộ phận Một cửa: receives and returns dossiers.
    DeskOfficer,
    /// Chuyên viên: appraises.
    Specialist,
    /// Lãnh đạo: approves.
    Leader,
    /// Văn thư: numbers, signs/stamps and sends.
    Clerk,
    /// Quản trị: manages the organisation's accounts and settings.
    Administrator,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::DeskOfficer, Role::Specialist, Role::Leader, Role::Clerk, Role::Administrator];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::DeskOfficer => "desk_officer",
            Self::Specialist => "specialist",
            Self::Leader => "leader",
            Self::Clerk => "clerk",
            Self::Administrator => "administrator",
        }
    }
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| {
            DomainError::Invalid(format!(
                "vai trò không hợp lệ: {} (desk_officer, specialist, leader, clerk, administrator)",
                crate::text::truncate_for_message(s)
            ))
        })
    }
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::DeskOfficer => "Cán bộ một cửa",
            Self::Specialist => "Chuyên viên",
            Self::Leader => "Lãnh đạo",
            Self::Clerk => "Văn thư",
            Self::Administrator => "Quản trị",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RoleAssignment {
    pub org: OrgCode,
    pub role: Role,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    Staff,
    Citizen,
}

impl AccountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Staff => "staff",
            Self::Citizen => "citizen",
        }
    }
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "staff" => Ok(Self::Staff),
            "citizen" => Ok(Self::Citizen),
            _ => Err(DomainError::Invalid("loại tài khoản không hợp lệ".into())),
        }
    }
}

/// An e-mail address: one `@`, non-empty parts, a dot in the domain, no spaces, ≤ 254 bytes.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        let ok = s.len() <= 254
            && !s.chars().any(|c| c.is_whitespace() || c.is_control())
            && s.split_once('@').is_some_and(|(l, d)| {
                !l.is_empty() && !d.contains('@') && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
            });
        if ok { Ok(Self(s.to_lowercase())) } else { Err(DomainError::Email) }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for Email {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, DomainError> {
        Self::parse(&s)
    }
}
impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email(…@{})", self.0.split_once('@').map(|x| x.1).unwrap_or(""))
    }
}

/// A Vietnamese phone number: `0` and 9–10 more digits, or `+84` and 9–10 digits;
/// stored as `0…`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let compact: String = raw.chars().filter(|c| !matches!(c, ' ' | '.' | '-')).collect();
        let national = match compact.strip_prefix("+84") {
            Some(rest) => format!("0{rest}"),
            None => compact,
        };
        let ok = national.starts_with('0')
            && (10..=11).contains(&national.len())
            && national.bytes().all(|b| b.is_ascii_digit());
        if ok { Ok(Self(national)) } else { Err(DomainError::Phone) }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for Phone {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, DomainError> {
        Self::parse(&s)
    }
}
impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.0
    }
}
impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone(…{})", &self.0[self.0.len().saturating_sub(3)..])
    }
}

/// A password as typed, before hashing. Never printed.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 10;

    /// Policy: 10–128 characters, not only letters or only digits, and not the username.
    pub fn parse(raw: &str, username: &Username) -> Result<Self, DomainError> {
        let n = raw.chars().count();
        if n < Self::MIN_CHARS {
            return Err(DomainError::Password("phải có ít nhất 10 ký tự"));
        }
        if n > 128 {
            return Err(DomainError::Password("tối đa 128 ký tự"));
        }
        if raw.chars().all(|c| c.is_alphabetic()) || raw.chars().all(|c| c.is_ascii_digit()) {
            return Err(DomainError::Password("phải gồm cả chữ và chữ số hoặc ký hiệu"));
        }
        if raw.to_lowercase().contains(username.as_str()) {
            return Err(DomainError::Password("không được chứa tên đăng nhập"));
        }
        Ok(Self(raw.to_owned()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}
impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A stored account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Account {
    pub id: i64,
    pub username: Username,
    pub full_name: Name,
    pub kind: AccountKind,
    pub cccd: Option<Cccd>,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub roles: Vec<RoleAssignment>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    pub disabled: bool,
}

impl Account {
    /// Staff act only in their own organisation and role; citizens hold no staff role.
    pub fn can_act(&self, org: &OrgCode, role: Role) -> bool {
        !self.disabled && self.kind == AccountKind::Staff && self.roles.iter().any(|r| &r.org == org && r.role == role)
    }
    /// The organisations where this account holds any role.
    pub fn organisations(&self) -> Vec<&OrgCode> {
        let mut v: Vec<&OrgCode> = self.roles.iter().map(|r| &r.org).collect();
        v.sort();
        v.dedup();
        v
    }
}

/// What is needed to create an account; the password is already hashed.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: Username,
    pub full_name: Name,
    pub kind: AccountKind,
    pub cccd: Option<Cccd>,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub roles: Vec<RoleAssignment>,
    pub password_hash: String,
}

impl NewAccount {
    /// A staff account must hold at least one role; a citizen none, and must give a CCCD.
    pub fn check(self) -> Result<Self, DomainError> {
        match self.kind {
            AccountKind::Staff if self.roles.is_empty() => {
                Err(DomainError::Invalid("tài khoản cán bộ phải có ít nhất một vai trò tại một cơ quan".into()))
            }
            AccountKind::Citizen if !self.roles.is_empty() => {
                Err(DomainError::Invalid("tài khoản công dân không mang vai trò cán bộ".into()))
            }
            AccountKind::Citizen if self.cccd.is_none() => {
                Err(DomainError::Invalid("tài khoản công dân phải có số căn cước công dân".into()))
            }
            _ => Ok(self),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(roles: Vec<(&str, Role)>) -> Account {
        Account {
            id: 1,
            username: Username::parse("a.b").unwrap(),
            full_name: Name::parse("n", "Nguyễn Văn A").unwrap(),
            kind: AccountKind::Staff,
            cccd: None,
            email: None,
            phone: None,
            roles: roles
                .into_iter()
                .map(|(o, r)| RoleAssignment { org: OrgCode::parse(o).unwrap(), role: r })
                .collect(),
            created_at: Timestamp::UNIX_EPOCH,
            disabled: false,
        }
    }

    #[test]
    fn acts_only_in_own_org_and_role() {
        let a = staff(vec![("000.00.01.H22", Role::DeskOfficer)]);
        let own = OrgCode::parse("000.00.01.H22").unwrap();
        let other = OrgCode::parse("000.00.02.H22").unwrap();
        assert!(a.can_act(&own, Role::DeskOfficer));
        assert!(!a.can_act(&own, Role::Leader));
        assert!(!a.can_act(&other, Role::DeskOfficer));
        let mut d = a.clone();
        d.disabled = true;
        assert!(!d.can_act(&own, Role::DeskOfficer));
    }

    #[test]
    fn password_policy() {
        let u = Username::parse("stp.motcua").unwrap();
        assert!(Password::parse("ngan1", &u).is_err());
        assert!(Password::parse("chiluchucai", &u).is_err());
        assert!(Password::parse("12345678901", &u).is_err());
        assert!(Password::parse("xx-stp.motcua-1", &u).is_err());
        let p = Password::parse("Quang-Ninh-2025", &u).unwrap();
        assert_eq!(format!("{p:?}"), "Password(***)");
    }

    #[test]
    fn emails_and_phones() {
        assert_eq!(Email::parse(" A@Quangninh.Gov.VN ").unwrap().as_str(), "a@quangninh.gov.vn");
        for bad in ["a", "a@b", "@b.vn", "a b@c.vn", "a@.vn", "a@b@c.vn"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Phone::parse("+84 912 345 678").unwrap().as_str(), "0912345678");
        for bad in ["12345", "0912a45678", "+1 555 0100"] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn roles_parse() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()).unwrap(), r);
        }
        assert!(Role::parse("root").is_err());
    }
}
