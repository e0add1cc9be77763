//! Accounts: signing in (with wrong passwords counted per username and address), sessions,
//! citizens' registration confirmed by a code to their phone, changing one's own password,
//! and which organisations an administrator administers.

pub mod api;
pub mod auth;
pub mod device;
pub mod identity;
pub mod lockout;
pub mod pages;
pub mod provider;
pub mod registration;
pub mod reset;
pub mod second_factor;

use jiff::Timestamp;
use motcua_domain::{Account, OrgCode, Role, Username};

use motcua_store::AccountStore;
use motcua_store::service::CodeStore;

use crate::app::snapshot::Versions;
use crate::app::{AppError, AppResult, AppState, ErrorCode, Kind};
use crate::calendar::Calendars;
use crate::catalog::Catalog;

/// The signed-in account acting, the session it acts through, and the versions of reference
/// data read with the session (what the request's snapshot is taken at).
pub struct CurrentAccount {
    pub account: Account,
    pub(crate) token_hash: String,
    pub(crate) versions: Versions,
}

impl CurrentAccount {
    pub(crate) fn new(account: Account, token_hash: String, versions: Versions) -> Self {
        Self { account, token_hash, versions }
    }
}

/// What a citizen types to ask for an account.
pub struct Registration {
    pub username: String,
    pub full_name: String,
    pub cccd: String,
    pub phone: String,
    pub email: Option<String>,
    pub password: String,
}

fn invalid_credentials() -> AppError {
    AppError::new(Kind::Unauthenticated, ErrorCode::InvalidCredentials, "Tên đăng nhập hoặc mật khẩu không đúng")
}

/// The accounts' use cases, holding the accounts and their sessions, the one-time codes of
/// registration, the catalog's organisations (what an administrator administers), the count of
/// wrong passwords, and how long a session lasts. Built per request from the shared state.
pub struct Accounts<'a> {
    accounts: &'a dyn AccountStore,
    codes: &'a dyn CodeStore,
    factors: &'a dyn motcua_store::second_factor::SecondFactorStore,
    identities: &'a dyn motcua_store::identity::IdentityStore,
    identity: Option<&'a provider::IdentityProvider>,
    public_url: &'a str,
    catalog: Catalog<'a>,
    calendars: Calendars<'a>,
    logins: &'a lockout::LoginGuard,
    session_ttl: jiff::SignedDuration,
    email_on: bool,
}

impl<'a> Accounts<'a> {
    pub fn of(state: &'a AppState) -> Self {
        let store = state.store.as_ref();
        Self {
            accounts: store,
            codes: store,
            factors: store,
            identities: store,
            identity: state.identity.as_deref(),
            public_url: state.public_url(),
            catalog: Catalog::of(state),
            calendars: Calendars::of(state),
            logins: &state.logins,
            session_ttl: state.settings.session_ttl,
            email_on: state.email_on(),
        }
    }

    /// The account a live session belongs to, by its token's hash.
    pub async fn session(&self, token_hash: &str) -> AppResult<Option<Account>> {
        Ok(self.accounts.session_account(token_hash, Timestamp::now()).await?)
    }

    /// As [`Accounts::session`], with the versions of reference data read in the same
    /// statement: a request that goes on to take a snapshot need not read them again.
    pub async fn session_at(&self, token_hash: &str) -> AppResult<Option<(Account, Versions)>> {
        let found = self.accounts.session_account_and_metas(token_hash, Timestamp::now(), &Versions::KEYS).await?;
        Ok(found.map(|(account, metas)| (account, Versions::from_metas(metas))))
    }

    /// Ends a session (signing out), by its token's hash.
    pub async fn sign_out(&self, token_hash: &str) -> AppResult<()> {
        self.accounts.delete_session(token_hash).await?;
        Ok(())
    }

    /// The staff of an organisation the account administers (404 for one that does not exist).
    pub async fn staff_of(&self, account: &Account, org: &OrgCode) -> AppResult<Vec<Account>> {
        if !self.administered(account).await?.iter().any(|o| &o.code == org) {
            return Err(AppError::forbidden());
        }
        self.catalog.organisation(org).await?;
        Ok(self.accounts.list_staff(org).await?)
    }

    /// Checks a username and password: a session (the account, the new session's token and
    /// when it expires), or, for an officer who must use a second factor, a waiting sign-in
    /// ([`second_factor`]). Unknown usernames cost the same time as wrong passwords.
    pub async fn authenticate(
        &self,
        client: crate::throttle::ClientKey,
        username: &str,
        password: String,
    ) -> AppResult<second_factor::SignIn> {
        use crate::accounts::lockout::Locked;
        let now = crate::throttle::now_ms();
        if let Some(locked) = self.logins.locked(username, client, now).await? {
            let (wait, whose) = match locked {
                Locked::Username(w) => (w, "Đăng nhập sai quá nhiều lần"),
                Locked::Address(w) => (w, "Có quá nhiều lần đăng nhập sai từ địa chỉ của bạn"),
            };
            tracing::info!(?locked, "login refused: too many failures");
            let minutes = wait.as_secs().div_ceil(60).max(1);
            return Err(AppError::new(
                Kind::TooMany,
                ErrorCode::TooManyAttempts,
                format!("{whose}; vui lòng thử lại sau {minutes} phút"),
            ));
        }
        if password.len() > 1024 {
            self.logins.failed(username, client, now).await?;
            return Err(invalid_credentials());
        }
        let found = match Username::parse(username) {
            Ok(u) => self.accounts.account_credentials(&u).await?,
            Err(_) => None,
        };
        let (account, ok) = tokio::task::spawn_blocking(move || match found {
            Some((account, hash)) => {
                let ok = auth::verify_password(&password, &hash);
                (Some(account), ok)
            }
            None => {
                auth::verify_against_dummy(&password);
                (None, false)
            }
        })
        .await
        .map_err(|_| AppError::internal())?;
        let account = match account {
            Some(a) if ok => a,
            _ => {
                tracing::info!("login refused");
                self.logins.failed(username, client, now).await?;
                return Err(invalid_credentials());
            }
        };
        if account.disabled {
            return Err(AppError::new(Kind::Forbidden, ErrorCode::AccountDisabled, "Tài khoản đã bị khóa"));
        }
        let outcome = self.after_password(account).await?;
        // The username's wrong sign-ins are forgotten only once the whole sign-in succeeded: a
        // right password alone must not reset the count of wrong second-factor codes.
        if matches!(outcome, second_factor::SignIn::Open { .. }) {
            self.logins.succeeded(username, client).await?;
        }
        Ok(outcome)
    }

    /// A new session for an account whose password was just proven (signing in, or creating
    /// the account): its token and when it expires.
    pub async fn open_session(&self, account: &Account) -> AppResult<(String, Timestamp)> {
        let (token, token_hash) = auth::new_session_token().map_err(|e| {
            tracing::error!(error = %e, "session token");
            AppError::internal()
        })?;
        let expires_at = Timestamp::now() + self.session_ttl;
        self.accounts.create_session(&token_hash, account.id, expires_at).await?;
        tracing::info!(account_id = account.id, "login");
        Ok((token, expires_at))
    }

    /// Starts a citizen's registration from what they typed: every value parsed, the password
    /// checked against the policy and hashed off the async threads, a code sent to the phone.
    pub async fn start_registration(&self, req: Registration) -> AppResult<crate::service::OtpChallenge> {
        let username = Username::parse(req.username.trim())?;
        let full_name = motcua_domain::Name::parse("Họ và tên", &req.full_name)?;
        let cccd = motcua_domain::Cccd::parse(req.cccd.trim())?;
        let phone = motcua_domain::Phone::parse(&req.phone)?;
        let email = req
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(motcua_domain::Email::parse)
            .transpose()?;
        let password = motcua_domain::Password::parse(&req.password, &username)?;
        let hash = password_work(move || auth::hash_password(&password)).await?;
        let new = motcua_domain::NewAccount {
            username,
            full_name,
            kind: motcua_domain::AccountKind::Citizen,
            cccd: Some(cccd),
            email,
            phone: Some(phone),
            roles: vec![],
            password_hash: hash,
        };
        Ok(crate::accounts::registration::start(self.accounts, self.codes, self.email_on, &new, Timestamp::now())
            .await?)
    }

    /// Finishes a registration with its code: the new account.
    pub async fn finish_registration(&self, challenge: &str, code: &str) -> AppResult<Account> {
        let otp = motcua_domain::service::Otp::parse(code)?;
        Ok(crate::accounts::registration::finish(self.accounts, self.codes, challenge, &otp, Timestamp::now()).await?)
    }

    /// Sends a code to reset a citizen's forgotten password (the same answer for any
    /// well-formed username, whether or not it has an account).
    pub async fn start_reset(&self, username: &str) -> AppResult<crate::service::OtpChallenge> {
        let username = Username::parse(username.trim())?;
        Ok(reset::start(self.accounts, self.codes, self.email_on, &username, Timestamp::now()).await?)
    }

    /// Sets the forgotten password anew with the code sent: the new one checked against the
    /// policy before the code is spent; every session of the account ends, and the username's
    /// wrong sign-ins are forgotten (its holder has just proven the phone).
    pub async fn finish_reset(
        &self,
        client: crate::throttle::ClientKey,
        username: &str,
        challenge: &str,
        code: &str,
        new: &str,
    ) -> AppResult<()> {
        let username = Username::parse(username.trim())?;
        let otp = motcua_domain::service::Otp::parse(code)?;
        let password = motcua_domain::Password::parse(new, &username)?;
        let account = reset::finish(self.accounts, self.codes, &username, challenge, &otp, Timestamp::now()).await?;
        let hash = password_work(move || auth::hash_password(&password)).await?;
        self.accounts.set_password(account.id, &hash, None).await?;
        self.logins.succeeded(username.as_str(), client).await?;
        tracing::info!(account_id = account.id, "password reset");
        Ok(())
    }

    /// Changes one's own password (the API and the page's form), keeping this session.
    pub async fn change_own_password(
        &self,
        client: crate::throttle::ClientKey,
        current: &CurrentAccount,
        old: String,
        new: &str,
    ) -> AppResult<()> {
        let username = current.account.username.clone();
        let now = crate::throttle::now_ms();
        if self.logins.locked(username.as_str(), client, now).await?.is_some() {
            return Err(AppError::new(
                Kind::TooMany,
                ErrorCode::TooManyAttempts,
                "Nhập sai mật khẩu quá nhiều lần; vui lòng thử lại sau 15 phút",
            ));
        }
        let password = motcua_domain::Password::parse(new, &username)?;
        if old.len() > 1024 {
            return Err(wrong_password());
        }
        let Some((_, stored)) = self.accounts.account_credentials(&username).await? else {
            return Err(AppError::unauthenticated());
        };
        let hash = password_work(move || {
            if auth::verify_password(&old, &stored) { auth::hash_password(&password).map(Some) } else { Ok(None) }
        })
        .await?;
        let Some(hash) = hash else {
            self.logins.failed(username.as_str(), client, now).await?;
            return Err(wrong_password());
        };
        self.accounts.set_password(current.account.id, &hash, Some(&current.token_hash)).await?;
        tracing::info!(account_id = current.account.id, "password changed");
        Ok(())
    }

    /// The organisations the account administers, and those below them, by code.
    pub async fn administered(&self, account: &Account) -> Result<Vec<motcua_domain::Organisation>, AppError> {
        if account.disabled || account.kind != motcua_domain::AccountKind::Staff {
            return Ok(Vec::new());
        }
        let roots: Vec<&OrgCode> =
            account.roles.iter().filter(|r| r.role == Role::Administrator).map(|r| &r.org).collect();
        if roots.is_empty() {
            return Ok(Vec::new());
        }
        let all =
            self.catalog.organisations(&motcua_store::OrgFilter::default(), motcua_store::Page::all()).await?.items;
        // The province's administrator runs the platform: every organisation.
        if self.calendars.is_province_admin(account).await? {
            return Ok(all);
        }
        let parent_of = |code: &OrgCode| all.iter().find(|o| &o.code == code).and_then(|o| o.parent.clone());
        let mut out: Vec<motcua_domain::Organisation> = all
            .iter()
            .filter(|o| {
                // Walk up (bounded: a cycle in bad data must not hang the page).
                let mut cur = Some(o.code.clone());
                for _ in 0..8 {
                    match cur {
                        Some(c) if roots.contains(&&c) => return true,
                        Some(c) => cur = parent_of(&c),
                        None => return false,
                    }
                }
                false
            })
            .cloned()
            .collect();
        out.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(out)
    }
}

/// Runs password work (argon2 takes tens of milliseconds) off the async threads.
async fn password_work<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, auth::AuthError> + Send + 'static,
) -> AppResult<T> {
    tokio::task::spawn_blocking(work).await.map_err(|_| AppError::internal())?.map_err(|e| {
        tracing::error!(error = %e, "password hash");
        AppError::internal()
    })
}

fn wrong_password() -> AppError {
    AppError::new(Kind::Forbidden, ErrorCode::WrongPassword, "Mật khẩu hiện tại không đúng")
}
