//! The administration console (`/quan-tri`): organisations, staff and their roles, each
//! procedure's workflow, holidays. Its use cases are the [`Administration`] service here,
//! with what it shares with accounts (what an administrator administers), the catalog and
//! the calendar; the pages render them.

pub mod api;
pub mod pages;
mod second_factor;
mod workflows;

pub use workflows::Unreceived;

use std::collections::HashMap;

use motcua_domain::{Account, NewAccount, OrgCode, Organisation, RoleAssignment};
use motcua_store::{AccountStore, CatalogStore, SettingsStore, StoreError};

use crate::accounts::Accounts;
use crate::app::{AppError, AppResult, AppState, ErrorCode, Kind};
use crate::calendar::Calendars;

/// The administration's use cases, holding the accounts (staff, their roles and locks), the
/// catalog (organisations, procedures) and the province's settings (workflows).
pub struct Administration<'a> {
    accounts: &'a dyn AccountStore,
    catalog: &'a dyn CatalogStore,
    settings: &'a dyn SettingsStore,
    factors: &'a dyn motcua_store::second_factor::SecondFactorStore,
    administered: Accounts<'a>,
    calendars: Calendars<'a>,
}

impl<'a> Administration<'a> {
    pub fn of(state: &'a AppState) -> Self {
        let store = state.store.as_ref();
        Self {
            accounts: store,
            catalog: store,
            settings: store,
            factors: store,
            administered: Accounts::of(state),
            calendars: Calendars::of(state),
        }
    }

    /// How many staff accounts hold a role in each organisation.
    pub async fn staff_counts(&self) -> AppResult<HashMap<OrgCode, i64>> {
        Ok(self.accounts.staff_counts().await?)
    }

    /// The province's administrator adds an organisation or renames, re-kinds or re-attaches
    /// one. An unknown unit or parent is 422 `missing_reference`.
    pub async fn save_organisation(&self, account: &Account, org: &Organisation) -> AppResult<()> {
        if !self.calendars.is_province_admin(account).await? {
            return Err(AppError::forbidden());
        }
        if org.parent.as_ref() == Some(&org.code) {
            return Err(AppError::bad_request(ErrorCode::InvalidBody, "Cơ quan không thể trực thuộc chính nó"));
        }
        match self.catalog.upsert_organisations(std::slice::from_ref(org)).await {
            Ok(_) => {
                tracing::info!(by = account.id, org = %org.code, "organisation saved");
                Ok(())
            }
            Err(StoreError::MissingReference(_)) => Err(AppError::new(
                Kind::Unprocessable,
                ErrorCode::MissingReference,
                "Không có đơn vị hành chính hoặc cơ quan cấp trên này",
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// An organisation the account administers, with its staff (403 for any other).
    pub async fn staff(&self, account: &Account, org: &OrgCode) -> AppResult<(Organisation, Vec<Account>)> {
        let Some(o) = self.administered.administered(account).await?.into_iter().find(|o| &o.code == org) else {
            return Err(AppError::forbidden());
        };
        let staff = self.accounts.list_staff(org).await?;
        Ok((o, staff))
    }

    /// Creates a staff account with roles only in organisations the account administers; a
    /// username taken is 409.
    pub async fn add_staff(&self, account: &Account, new: &NewAccount) -> AppResult<Account> {
        let mine = self.administered.administered(account).await?;
        if new.roles.is_empty() || !new.roles.iter().all(|r| mine.iter().any(|o| o.code == r.org)) {
            return Err(AppError::forbidden());
        }
        match self.accounts.create_account(new).await {
            Ok(a) => {
                tracing::info!(by = account.id, account_id = a.id, "staff account created");
                Ok(a)
            }
            Err(StoreError::Conflict(_)) => {
                Err(AppError::new(Kind::Conflict, ErrorCode::Conflict, "Tên đăng nhập đã có người dùng"))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The staff account, if the administrator manages `org` and the account holds a role there.
    pub async fn managed_staff(
        &self,
        account: &Account,
        org: &str,
        username: &str,
    ) -> AppResult<Option<(OrgCode, Account)>> {
        let Ok(org) = OrgCode::parse(org) else { return Ok(None) };
        if !self.administered.administered(account).await?.iter().any(|o| o.code == org) {
            return Ok(None);
        }
        let staff = self.accounts.list_staff(&org).await?;
        Ok(staff.into_iter().find(|a| a.username.as_str() == username).map(|a| (org, a)))
    }

    /// Whether the administrator administers every organisation the account holds a role in
    /// (locking ends its sessions everywhere, so only such an administrator may).
    pub async fn administers_all(&self, admin: &Account, staff: &Account) -> AppResult<bool> {
        let mine = self.administered.administered(admin).await?;
        Ok(staff.roles.iter().all(|r| mine.iter().any(|o| o.code == r.org)))
    }

    /// Locks or unlocks a staff account (not one's own; only by an administrator of every
    /// organisation it serves).
    pub async fn set_locked(&self, admin: &Account, staff: &Account, lock: bool) -> AppResult<()> {
        if staff.id == admin.id {
            return Err(AppError::new(Kind::Conflict, ErrorCode::Conflict, "Không thể tự khóa tài khoản của mình"));
        }
        if !self.administers_all(admin, staff).await? {
            return Err(AppError::forbidden());
        }
        self.accounts.set_account_disabled(&staff.username, lock).await?;
        tracing::info!(by = admin.id, account_id = staff.id, lock, "staff account lock changed");
        Ok(())
    }

    /// Sets a new password for a staff member who forgot theirs, and ends every session of the
    /// account: not one's own (that page asks for the current one), and only by an
    /// administrator of every organisation it serves, as locking.
    pub async fn set_staff_password(
        &self,
        admin: &Account,
        staff: &Account,
        password: motcua_domain::Password,
    ) -> AppResult<()> {
        if staff.id == admin.id {
            return Err(AppError::new(
                Kind::Conflict,
                ErrorCode::Conflict,
                "Đổi mật khẩu của chính mình tại trang Đổi mật khẩu",
            ));
        }
        if !self.administers_all(admin, staff).await? {
            return Err(AppError::forbidden());
        }
        let hash = tokio::task::spawn_blocking(move || crate::accounts::auth::hash_password(&password))
            .await
            .map_err(|_| AppError::internal())?
            .map_err(|e| {
                tracing::error!(error = %e, "password hash");
                AppError::internal()
            })?;
        self.accounts.set_password(staff.id, &hash, None).await?;
        tracing::info!(by = admin.id, account_id = staff.id, "staff password set by an administrator");
        Ok(())
    }

    /// Replaces a staff account's roles (at least one; an administrator keeps their own
    /// administrator role in `org`).
    pub async fn set_roles(
        &self,
        admin: &Account,
        org: &OrgCode,
        staff: &Account,
        roles: &[RoleAssignment],
    ) -> AppResult<()> {
        if roles.is_empty() {
            return Err(AppError::bad_request(ErrorCode::InvalidBody, "Cán bộ phải có ít nhất một vai trò"));
        }
        if staff.id == admin.id && !roles.iter().any(|r| &r.org == org && r.role == motcua_domain::Role::Administrator)
        {
            return Err(AppError::new(Kind::Conflict, ErrorCode::Conflict, "Không thể tự bỏ quyền quản trị của mình"));
        }
        self.accounts.set_roles(&staff.username, roles).await?;
        tracing::info!(by = admin.id, account_id = staff.id, "staff roles changed");
        Ok(())
    }
}
