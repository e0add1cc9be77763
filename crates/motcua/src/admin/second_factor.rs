//! The administrator's side of officers' second factor: which roles of their organisation
//! must use one, who has enrolled, and a reset for an officer who lost their phone.

use std::collections::HashSet;

use motcua_domain::second_factor::DEFAULT_ROLES;
use motcua_domain::{Account, OrgCode, Role};

use super::Administration;
use crate::app::{AppError, AppResult, ErrorCode, Kind};

impl Administration<'_> {
    /// The roles of `org` that must use a second factor (its own policy, or the default).
    pub async fn second_factor_roles(&self, org: &OrgCode) -> AppResult<Vec<Role>> {
        let policies = self.factors.second_factor_policies().await?;
        Ok(policies.get(org).cloned().unwrap_or_else(|| DEFAULT_ROLES.to_vec()))
    }

    /// Sets which roles of `org` must use a second factor, for an administrator of it.
    pub async fn set_second_factor_roles(&self, admin: &Account, org: &OrgCode, roles: &[Role]) -> AppResult<()> {
        if !self.administered.administered(admin).await?.iter().any(|o| &o.code == org) {
            return Err(AppError::forbidden());
        }
        self.factors.set_second_factor_policy(org, roles, jiff::Timestamp::now()).await?;
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        tracing::info!(by = admin.id, org = %org, roles = names.join(","), "second factor policy set");
        Ok(())
    }

    /// Which of `staff` have enrolled an authenticator, by account id.
    pub async fn enrolled(&self, staff: &[Account]) -> AppResult<HashSet<i64>> {
        let mut out = HashSet::new();
        for a in staff {
            if self.factors.totp_secret(a.id).await?.is_some() {
                out.insert(a.id);
            }
        }
        Ok(out)
    }

    /// Forgets an officer's authenticator and recovery codes and ends their sessions (a lost
    /// phone); they enrol again at their next sign-in. Not one's own, and only by an
    /// administrator of every organisation the officer serves, as locking.
    pub async fn reset_second_factor(&self, admin: &Account, staff: &Account) -> AppResult<bool> {
        if staff.id == admin.id {
            return Err(AppError::new(
                Kind::Conflict,
                ErrorCode::Conflict,
                "Không thể tự xóa xác thực hai lớp của mình; nhờ quản trị viên khác",
            ));
        }
        if !self.administers_all(admin, staff).await? {
            return Err(AppError::forbidden());
        }
        let had = self.factors.reset_second_factor(staff.id).await?;
        tracing::info!(by = admin.id, account_id = staff.id, had, "second factor reset by an administrator");
        Ok(had)
    }
}
