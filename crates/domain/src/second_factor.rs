//! Officers' second factor: which officers must use one, and the codes they type.
//!
//! An organisation's policy names the roles that must use a second factor; without a policy
//! of its own an organisation asks it of its leaders, clerks and administrators (they approve,
//! sign and number for the state, and manage accounts). An officer with a role that the policy
//! of that role's organisation names must use one; an officer who enrolled one always does.

use std::collections::HashMap;
use std::fmt;

use crate::{Account, AccountKind, DomainError, OrgCode, Role};

/// The roles asked for a second factor where an organisation has set no policy.
pub const DEFAULT_ROLES: [Role; 3] = [Role::Leader, Role::Clerk, Role::Administrator];

/// Whether `account` must use a second factor, under `policies` (organisations' own
/// policies; one not listed has [`DEFAULT_ROLES`]). Citizens never are (they sign in with a
/// password, a kiosk code or an identity provider).
pub fn required(account: &Account, policies: &HashMap<OrgCode, Vec<Role>>) -> bool {
    account.kind == AccountKind::Staff
        && account.roles.iter().any(|a| match policies.get(&a.org) {
            Some(roles) => roles.contains(&a.role),
            None => DEFAULT_ROLES.contains(&a.role),
        })
}

/// The letters of recovery codes: lower-case letters and digits without the look-alikes
/// (0/o, 1/l/i), 31 of them, so a 10-character code carries 49 bits.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// What an officer types as a second factor. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub enum SecondFactorCode {
    /// Six digits from the authenticator (RFC 6238).
    Totp(String),
    /// One of the printed recovery codes, normalised (lower case, no dash or spaces).
    Recovery(String),
}

impl SecondFactorCode {
    /// Six digits, or a recovery code as printed (`abcde-fghjk`, any case, spaces ignored).
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s: String = raw.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(Self::Totp(s));
        }
        let lower = s.to_ascii_lowercase();
        if lower.len() == 10 && lower.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)) {
            return Ok(Self::Recovery(lower));
        }
        Err(DomainError::SecondFactorCode)
    }
}

impl fmt::Debug for SecondFactorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Totp(_) => "Totp(***)",
            Self::Recovery(_) => "Recovery(***)",
        })
    }
}

/// A new recovery code from 10 random bytes, as printed for the officer (`abcde-fghjk`);
/// [`SecondFactorCode::parse`] reads it back.
pub fn recovery_code(random: [u8; 10]) -> String {
    let n = RECOVERY_ALPHABET.len();
    let mut s = String::with_capacity(11);
    for (i, b) in random.iter().enumerate() {
        if i == 5 {
            s.push('-');
        }
        // 256 is not a multiple of 31: the first 8 letters are a little likelier (9 in 256
        // against 8), which costs well under one bit of the code's 49.
        s.push(char::from(RECOVERY_ALPHABET[usize::from(*b) % n]));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Name, RoleAssignment, Username};

    fn staff(roles: &[(&str, Role)]) -> Account {
        Account {
            id: 1,
            username: Username::parse("can.bo").unwrap(),
            full_name: Name::parse("Họ tên", "Cán Bộ").unwrap(),
            kind: AccountKind::Staff,
            cccd: None,
            email: None,
            phone: None,
            roles: roles.iter().map(|(o, r)| RoleAssignment { org: OrgCode::parse(o).unwrap(), role: *r }).collect(),
            created_at: jiff::Timestamp::UNIX_EPOCH,
            disabled: false,
        }
    }

    #[test]
    fn leaders_clerks_and_administrators_by_default_and_as_each_organisation_says() {
        let none = HashMap::new();
        assert!(required(&staff(&[("000.00.01.H40", Role::Leader)]), &none));
        assert!(required(&staff(&[("000.00.01.H40", Role::Clerk)]), &none));
        assert!(required(&staff(&[("000.00.01.H40", Role::Administrator)]), &none));
        assert!(!required(&staff(&[("000.00.01.H40", Role::DeskOfficer), ("000.00.01.H40", Role::Specialist)]), &none));
        let off: HashMap<OrgCode, Vec<Role>> = [(OrgCode::parse("000.00.01.H40").unwrap(), vec![])].into();
        assert!(!required(&staff(&[("000.00.01.H40", Role::Leader)]), &off), "turned off there");
        assert!(required(&staff(&[("000.00.01.H40", Role::Leader), ("000.00.02.H40", Role::Leader)]), &off));
        let desk: HashMap<OrgCode, Vec<Role>> =
            [(OrgCode::parse("000.00.01.H40").unwrap(), vec![Role::DeskOfficer])].into();
        assert!(required(&staff(&[("000.00.01.H40", Role::DeskOfficer)]), &desk));
        let mut citizen = staff(&[("000.00.01.H40", Role::Leader)]);
        citizen.kind = AccountKind::Citizen;
        assert!(!required(&citizen, &none));
    }

    #[test]
    fn codes_are_six_digits_or_a_recovery_code() {
        assert_eq!(SecondFactorCode::parse(" 123 456 ").unwrap(), SecondFactorCode::Totp("123456".into()));
        let printed = recovery_code([0, 1, 2, 3, 4, 5, 6, 7, 8, 255]);
        assert_eq!(printed.len(), 11);
        assert_eq!(&printed[5..6], "-");
        let read = SecondFactorCode::parse(&printed.to_uppercase()).unwrap();
        assert_eq!(read, SecondFactorCode::Recovery(printed.replace('-', "")));
        for bad in ["", "12345", "1234567", "abcde-fghi0", "abcde-fghjkm", "12345a"] {
            assert_eq!(SecondFactorCode::parse(bad), Err(DomainError::SecondFactorCode), "{bad:?}");
        }
        assert_eq!(format!("{:?}", SecondFactorCode::parse("123456").unwrap()), "Totp(***)");
    }
}
